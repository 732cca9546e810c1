"""Job statuses as JSON: ``GET /api/jobs/<id>`` for the job's owner and admins."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from webapp.api import bp
from webapp.errors import error_response
from webapp.jobs import JobStatus


@bp.get("/jobs/<job_id>")
@login_required
def job_status(job_id: str) -> ResponseReturnValue:
    """A job's status; 404 alike for unknown ids and other people's jobs (never 403, which
    would tell a stranger that the id exists)."""
    try:
        status = JobStatus.get(job_id)
    except ValueError:
        status = None
    if status is None or not (current_user.is_admin or status.owner_id == current_user.id):
        return error_response(404, "no such job")
    return status.to_dict(), 200, {"Cache-Control": "no-store"}
