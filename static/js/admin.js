/* Beacon admin pages: live updates over Socket.IO.
 *
 * The page says what it shows in #admin-page[data-live] ("operation", "operations", "jobs",
 * "queues": that one is fetched again every two seconds).
 * On a change it either updates a job row in place (progress, status) or fetches the page
 * again and swaps its [data-live-region] parts: the server renders everything, this script
 * never builds HTML from event data. Once joined (and caught up) it sets
 * data-live-ready="1" on #admin-page.
 */
(function () {
  "use strict";

  var page = document.getElementById("admin-page");
  if (!page || !page.dataset.live || typeof window.io !== "function") {
    return;
  }
  var kind = page.dataset.live;
  var canWrite = document.body.dataset.admin === "1"; // a viewer's rows have no Cancel button

  // -- fetching the page again and swapping its live regions --------------------------------

  var inFlight = false;
  var again = false;

  function openDetails(root) {
    var open = {};
    root.querySelectorAll("details[open]").forEach(function (el) {
      var owner = el.closest("[id]");
      if (owner) open[owner.id] = true;
    });
    return open;
  }

  function swapRegions(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelectorAll("#admin-page [data-live-region]");
    var current = page.querySelectorAll("[data-live-region]");
    if (fresh.length !== current.length) {
      window.location.reload();
      return;
    }
    var open = openDetails(page);
    for (var i = 0; i < current.length; i++) {
      var node = document.importNode(fresh[i], true);
      node.querySelectorAll("details").forEach(function (el) {
        var owner = el.closest("[id]");
        if (owner && open[owner.id]) el.open = true;
      });
      current[i].replaceWith(node);
    }
  }

  function refresh() {
    if (inFlight) {
      again = true;
      return Promise.resolve();
    }
    inFlight = true;
    return fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (resp) {
        return resp.ok ? resp.text().then(swapRegions) : null;
      })
      .catch(function (err) {
        if (window.console) console.warn("admin: refresh failed:", err);
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          return refresh();
        }
      });
  }

  // -- jobs: progress bars in place ----------------------------------------------------------

  function updateJob(job) {
    var rows = page.querySelectorAll('tr[data-job-id="' + CSS.escape(String(job.id)) + '"]');
    var running = page.querySelector("#running-jobs");
    var shownAsRunning = running && running.querySelector('tr[data-job-id="' + CSS.escape(String(job.id)) + '"]');
    // A job that starts or stops running moves between the tables, and one whose Cancel
    // button comes or goes (cancel asked, job ended) needs it re-rendered: the server does it.
    var cancellable = canWrite && (job.status === "queued" || job.status === "working") && !job.cancel_requested_at;
    var staleCancel = Array.prototype.some.call(rows, function (row) {
      var cell = row.querySelector(".job-cancel");
      return cell && Boolean(cell.querySelector("form")) !== cancellable;
    });
    if (!rows.length || staleCancel || Boolean(shownAsRunning) !== (job.status === "working")) {
      refresh();
      return;
    }
    rows.forEach(function (row) {
      var bar = row.querySelector("progress");
      if (bar) {
        bar.max = job.total || 1;
        bar.value = job.total ? job.progress : job.status === "completed" ? 1 : 0;
      }
      var text = row.querySelector(".progress-text");
      if (text) text.textContent = job.progress + (job.total ? " / " + job.total : "");
      var badge = row.querySelector(".job-status .state");
      if (badge && job.status) {
        badge.textContent = job.status;
        badge.className = "state state-" + job.status;
        badge.dataset.state = job.status;
      }
    });
  }

  // -- the connection ------------------------------------------------------------------------

  var operationId = null;
  var opRegion = page.querySelector("[data-operation-id]");
  if (opRegion) operationId = Number(opRegion.dataset.operationId);

  var socket = window.beaconConnect();

  socket.on("connect", function () {
    socket.emit("admin_join", {}, function (reply) {
      if (!reply || !reply.ok) {
        if (window.console) console.warn("admin: live updates refused:", reply && reply.error);
        return;
      }
      // Catch up on whatever changed before we joined (or while disconnected).
      refresh().then(function () {
        page.dataset.liveReady = "1";
      });
    });
  });

  socket.on("disconnect", function () {
    page.dataset.liveReady = "0";
  });

  socket.on("admin_operation", function (data) {
    if (kind === "operations") {
      refresh();
    } else if (kind === "operation" && data && Number(data.id) === operationId) {
      refresh();
    }
  });

  socket.on("admin_job", function (job) {
    if (kind === "jobs" && job && job.id) updateJob(job);
  });

  // -- the queues page: no event says a queue grew, so it asks again every two seconds ------

  if (kind === "queues") {
    window.setInterval(function () {
      if (!document.hidden) refresh();
    }, 2000);
  }
})();
