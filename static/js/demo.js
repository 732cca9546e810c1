/* Demo pages: reveal an export's download link once its job has completed.
 *
 * The progress bar itself is the notification center's (live `job` events); this only asks
 * the job API about the exports still running on the page, once a second.
 */
(function () {
  "use strict";

  function watch(row) {
    var id = row.getAttribute("data-export-pending");
    fetch("/api/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) return;
        var state = row.querySelector("[data-export-state]");
        state.textContent = job.status;
        state.className = "state state-" + String(job.status).replace(/[^a-z_]/g, "");
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
})();
