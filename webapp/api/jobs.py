"""Job statuses as JSON: ``GET /api/jobs/<id>`` and ``POST /api/jobs/<id>/cancel``, for the
job's owner and admins."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from webapp.api import bp
from webapp.errors import error_response
from webapp.jobs import JobStatus, cancel_job


def _visible(job_id: str) -> JobStatus | None:
    """The job, if the current user owns it or is an admin; None alike for unknown ids and
    other people's jobs (never 403, which would tell a stranger that the id exists)."""
    try:
        status = JobStatus.get(job_id)
    except ValueError:
        return None
    if status is None or not (current_user.is_admin or status.owner_id == current_user.id):
        return None
    return status


@bp.get("/jobs/<job_id>")
@login_required
def job_status(job_id: str) -> ResponseReturnValue:
    """A job's status; 404 for unknown ids and other people's jobs."""
    status = _visible(job_id)
    if status is None:
        return error_response(404, "no such job")
    return status.to_dict(), 200, {"Cache-Control": "no-store"}


@bp.post("/jobs/<job_id>/cancel")
@login_required
def cancel(job_id: str) -> ResponseReturnValue:
    """Cancel the job (see ``cancel_job``): its JSON; 409 when it has finished."""
    if _visible(job_id) is None:
        return error_response(404, "no such job")
    try:
        status = cancel_job(job_id, by_user_id=current_user.id)
    except ValueError as exc:
        return error_response(409, str(exc))
    return status.to_dict(), 200, {"Cache-Control": "no-store"}
