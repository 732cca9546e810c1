/* Demo pages: follow each running export's state (and its Cancel button) on every open page,
 * and reveal its download link once its job has completed.
 *
 * The progress bar itself is the notification center's (live `job` events); this only asks
 * the job API about the exports still running on the page, once a second.
 */
(function () {
  "use strict";

  // The row's state badge and Cancel button: "cancelling" once asked, until the job ends.
  function show(row, job) {
    var open = job.status === "queued" || job.status === "working";
    var label = open && job.cancel_requested_at ? "cancelling" : String(job.status);
    var state = row.querySelector("[data-export-state]");
    state.textContent = label;
    state.className = "state state-" + label.replace(/[^a-z_]/g, "");
    row.querySelector("[data-export-cancel]").hidden = !open || Boolean(job.cancel_requested_at);
  }

  function watch(row) {
    var id = row.getAttribute("data-export-pending");
    fetch("/api/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) return;
        show(row, job);
        if (job.status === "completed") {
          row.querySelector("[data-export-rows]").textContent = String(job.rows === undefined ? "" : job.rows);
          row.querySelector("[data-export-download]").hidden = false;
          row.removeAttribute("data-export-pending");
        } else if (job.status === "queued" || job.status === "working") {
          window.setTimeout(function () { watch(row); }, 1000);
        }
      }, function () {
        window.setTimeout(function () { watch(row); }, 3000);
      });
  }

  document.querySelectorAll("[data-export-pending]").forEach(watch);

  // Cancel: POST /api/jobs/<id>/cancel; the row follows the job's state as it is watched.
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.querySelectorAll("[data-export-cancel]").forEach(function (button) {
    button.addEventListener("click", function () {
      var row = button.closest("[data-export-id]");
      var id = row.getAttribute("data-export-id");
      button.disabled = true;
      fetch("/api/jobs/" + encodeURIComponent(id) + "/cancel", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.content : "" },
      }).then(function (r) { return r.json(); }).then(function (job) {
        if (job.status) show(row, job);
        if (!row.hasAttribute("data-export-pending")) {
          row.setAttribute("data-export-pending", id);
          watch(row);
        }
      }, function () { button.disabled = false; });
    });
  });
})();
