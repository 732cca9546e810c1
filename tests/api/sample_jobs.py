"""A tracked job for the API tests."""

from __future__ import annotations

from webapp.jobs import tracked_task


@tracked_task(retries=0)
def api_sample_job(count: int, *, status) -> None:
    status.progress.total = count
    for _ in range(count):
        status.progress.increment()
    status["note"] = "custom fields join the status"
