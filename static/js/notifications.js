/* Beacon notifications: the bell, the live feed, alerts and job progress bars.
 *
 * Plain script, no build step. Data always goes into the page as text (textContent,
 * setAttribute), never as HTML. The connection resumes on every (re)connect from the last
 * activity id seen, through the Socket.IO `auth` payload, so the server sends what was
 * missed, in order, before live events.
 */
(function () {
  "use strict";

  var body = document.body;
  if (!body || !body.dataset.userId || typeof window.io !== "function") {
    return;
  }

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var feedEl = document.querySelector("[data-feed]");
  var bell = document.querySelector("[data-bell]");
  var bellItems = document.querySelector("[data-bell-items]");
  var countEls = document.querySelectorAll("[data-unread-count]");
  var BELL_ITEMS = 5;
  var MARKS = { ok: "\u2713", failed: "\u2717", info: "\u2022" };
  var TITLES = { ok: "Succeeded", failed: "Failed", info: "Info" };

  var source = feedEl || bell;
  var lastId = source ? Number(source.dataset.resumeAfter || 0) : 0;
  var system = !!(feedEl && feedEl.dataset.system === "1");
  var seen = new Set();

  function outcome(value) {
    if (value === true) return "ok";
    if (value === false) return "failed";
    return "info";
  }

  function relativeTime(iso) {
    // Beacon's times are ISO 8601 UTC with "Z" and microseconds; Date.parse is only
    // specified for milliseconds, so the fraction is cut to three digits.
    var then = Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
    if (isNaN(then)) return iso;
    var seconds = Math.floor((Date.now() - then) / 1000);
    if (seconds < 45) return "just now";
    var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      var size = units[i][1];
      if (seconds >= size) {
        var n = Math.floor(seconds / size);
        if (units[i][0] === "day" && n > 30) return iso.slice(0, 10);
        return n + " " + units[i][0] + (n === 1 ? "" : "s") + " ago";
      }
    }
    return "1 minute ago";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function timeEl(iso) {
    var t = el("time", "feed-time", relativeTime(iso));
    t.setAttribute("datetime", iso);
    t.setAttribute("title", iso);
    return t;
  }

  function safeUrl(url) {
    return typeof url === "string" &&
      ((url.charAt(0) === "/" && url.charAt(1) !== "/") || /^https?:\/\//.test(url));
  }

  function feedItem(item) {
    var mark = outcome(item.value);
    var li = el("li", "feed-item" + (item.read ? "" : " unread"));
    li.dataset.id = String(item.id);
    li.dataset.key = item.key;
    var markEl = el("span", "mark mark-" + mark, MARKS[mark]);
    markEl.setAttribute("title", TITLES[mark]);
    li.appendChild(markEl);
    var bodyEl = el("div", "feed-body");
    var head = el("div", "feed-head");
    head.appendChild(el("span", "feed-label", item.label));
    if (item.system) head.appendChild(el("span", "tag", "system"));
    head.appendChild(timeEl(item.created_at));
    bodyEl.appendChild(head);
    if (item.message) bodyEl.appendChild(el("p", "feed-message", item.message));
    li.appendChild(bodyEl);
    return li;
  }

  function alertItem(item) {
    var li = el("li", "alert-item");
    li.dataset.alertId = String(item.id);
    var bodyEl = el("div", "feed-body");
    var head = el("div", "feed-head");
    head.appendChild(el("span", "feed-label", item.label));
    head.appendChild(timeEl(item.created_at));
    bodyEl.appendChild(head);
    if (item.message) bodyEl.appendChild(el("p", "feed-message", item.message));
    li.appendChild(bodyEl);
    if (safeUrl(item.action_url)) {
      var a = el("a", "button primary alert-action", item.action_label || "Open");
      a.setAttribute("href", item.action_url);
      li.appendChild(a);
    }
    return li;
  }

  function setCount(count) {
    countEls.forEach(function (node) {
      node.textContent = String(count);
      node.classList.toggle("zero", count === 0);
    });
    var toggle = document.querySelector("[data-bell-toggle]");
    if (toggle) toggle.setAttribute("aria-label", "Notifications, " + count + " unread");
  }

  function toggleEmpty(selector, list) {
    var empty = document.querySelector(selector);
    if (empty && list) empty.hidden = list.children.length > 0;
  }

  function addToFeed(item) {
    var live = feedEl && feedEl.dataset.live === "1";
    if (live && (!item.system || system) && !feedEl.querySelector('[data-id="' + item.id + '"]')) {
      insertOrdered(feedEl, feedItem(item), item.id);
      toggleEmpty("[data-feed-empty]", feedEl);
    }
    if (bellItems && !item.system && !bellItems.querySelector('[data-id="' + item.id + '"]')) {
      insertOrdered(bellItems, feedItem(item), item.id);
      while (bellItems.children.length > BELL_ITEMS) bellItems.removeChild(bellItems.lastChild);
      toggleEmpty("[data-bell-empty]", bellItems);
    }
  }

  // Newest first: a late row (an older id) goes below the newer ones.
  function insertOrdered(list, node, id) {
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      if (Number(children[i].dataset.id) < id) {
        list.insertBefore(node, children[i]);
        return;
      }
    }
    list.appendChild(node);
  }

  function addAlert(item) {
    var section = document.querySelector("[data-alerts]");
    var list = document.querySelector("[data-alert-list]");
    if (!section || !list || list.querySelector('[data-alert-id="' + item.id + '"]')) return;
    list.insertBefore(alertItem(item), list.firstChild);
    section.hidden = false;
  }

  function removeAlert(id) {
    var section = document.querySelector("[data-alerts]");
    var node = document.querySelector('[data-alert-id="' + id + '"]');
    if (node) node.parentNode.removeChild(node);
    var list = document.querySelector("[data-alert-list]");
    if (section && list && list.children.length === 0) section.hidden = true;
  }

  function updateJob(job) {
    var list = document.querySelector("[data-job-list]");
    if (!list) return;
    var li = list.querySelector('[data-job-id="' + CSS.escape(String(job.id)) + '"]');
    if (!li) {
      li = el("li", "job-item");
      li.dataset.jobId = String(job.id);
      li.appendChild(el("span", "job-name", job.label || job.task || "Job"));
      var state = el("span", "state");
      state.setAttribute("data-job-state", "");
      li.appendChild(state);
      var bar = el("progress", "job-progress");
      bar.setAttribute("max", "100");
      bar.setAttribute("data-job-progress", "");
      li.appendChild(bar);
      var pct = el("span", "job-percent");
      pct.setAttribute("data-job-percent", "");
      li.appendChild(pct);
      list.insertBefore(li, list.firstChild);
    }
    var percent = Math.max(0, Math.min(100, Math.round(Number(job.percent) || 0)));
    var stateEl = li.querySelector("[data-job-state]");
    stateEl.textContent = job.status;
    stateEl.className = "state state-" + String(job.status).replace(/[^a-z_]/g, "");
    var barEl = li.querySelector("[data-job-progress]");
    barEl.value = percent;
    barEl.textContent = percent + "%";
    li.querySelector("[data-job-percent]").textContent = percent + "%";
    var section = document.querySelector("[data-jobs]");
    if (section) section.hidden = false;
  }

  function markAllReadInPage() {
    document.querySelectorAll(".feed-item.unread").forEach(function (node) {
      node.classList.remove("unread");
    });
  }

  function postJson(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  // Socket.IO: resume from the last id on every (re)connect.
  var socket = window.beaconConnect({
    auth: function (cb) {
      cb({ after: lastId, system: system });
    },
  });

  socket.on("activity", function (item) {
    if (seen.has(item.id)) return;
    seen.add(item.id);
    if (item.id > lastId) lastId = item.id;
    addToFeed(item);
  });
  socket.on("alert", addAlert);
  socket.on("alert_resolved", function (data) {
    removeAlert(data.id);
  });
  socket.on("unread", function (data) {
    setCount(Number(data.count) || 0);
  });
  socket.on("job", updateJob);
  socket.on("backlog_truncated", function () {
    if (feedEl) window.location.reload();
  });
  socket.on("error", function (data) {
    if (window.console) console.warn("notifications:", data && data.message);
  });
  socket.on("disconnect", function (reason) {
    // The client reconnects by itself after a network failure, not after the server ended
    // the session (a restart, a deploy): then ask again, resuming from the last id seen.
    if (reason === "io server disconnect") {
      window.setTimeout(function () { socket.connect(); }, 1000);
    }
  });
  socket.on("connect_error", function (err) {
    if (window.console) console.warn("notifications: cannot connect:", err && err.message);
  });

  // Mark all read: one request; the server answers with the new count.
  document.querySelectorAll("[data-mark-all]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      postJson("/api/notifications/read", { all: true }).then(function (data) {
        setCount(data.count);
        markAllReadInPage();
      }, function () {
        form.submit();
      });
    });
  });

  // Clicking an unread item marks it read.
  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest(".feed-item.unread");
    if (!item) return;
    postJson("/api/notifications/read", { ids: [Number(item.dataset.id)] }).then(function (data) {
      document.querySelectorAll('.feed-item[data-id="' + item.dataset.id + '"]').forEach(
        function (node) { node.classList.remove("unread"); });
      setCount(data.count);
    });
  });

  // Load more: the next page through the JSON API (the link works without JavaScript too).
  var more = document.querySelector("[data-load-more]");
  if (more && feedEl) {
    more.addEventListener("click", function (event) {
      event.preventDefault();
      var url = "/api/notifications?limit=50&before=" + encodeURIComponent(more.dataset.nextBefore) +
        (system ? "&system=1" : "");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) {
          data.items.forEach(function (item) {
            if (!feedEl.querySelector('[data-id="' + item.id + '"]')) feedEl.appendChild(feedItem(item));
          });
          if (data.next_before) {
            more.dataset.nextBefore = String(data.next_before);
          } else {
            more.parentNode.removeChild(more);
          }
        });
    });
  }

  // The bell's dropdown.
  var toggle = document.querySelector("[data-bell-toggle]");
  var menu = document.querySelector("[data-bell-menu]");
  if (toggle && menu) {
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      menu.hidden = !menu.hidden;
      toggle.setAttribute("aria-expanded", menu.hidden ? "false" : "true");
    });
    document.addEventListener("click", function (event) {
      if (!menu.hidden && !bell.contains(event.target)) {
        menu.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !menu.hidden) {
        menu.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // Relative times stay true while the page is open.
  window.setInterval(function () {
    document.querySelectorAll("time.feed-time[datetime]").forEach(function (t) {
      t.textContent = relativeTime(t.getAttribute("datetime"));
    });
  }, 30000);
})();
