"""/admin/jobs: tracked jobs running now and recently, with progress that updates live."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.admin import bp
from webapp.admin.params import bad, choice_arg, limit_arg, text_arg
from webapp.admin.queries import user_emails
from webapp.jobs import STATUSES, JobStatus, cancel_job

RUNNING_LIMIT = 100


@bp.route("/jobs")
def jobs() -> ResponseReturnValue:
    """Running jobs, then recent ones filtered by task and status."""
    task = text_arg("task")
    status = choice_arg("status", STATUSES)
    limit = limit_arg()
    try:
        running = JobStatus.recent(limit=RUNNING_LIMIT, task=task, status="working")
        recent = JobStatus.recent(limit=limit, task=task, status=status)
    except ValueError as exc:
        bad(str(exc))
    return render_template(
        "admin/jobs.html",
        running=[j.to_dict() for j in running],
        recent=[j.to_dict() for j in recent],
        owners=user_emails(j.owner_id for j in [*running, *recent]),
        filters=request.args,
        statuses=STATUSES,
        limit=limit,
    )


@bp.post("/jobs/<job_id>/cancel")
def job_cancel(job_id: str) -> ResponseReturnValue:
    """Cancel a job (see ``cancel_job``); 409 when it has finished, 404 when unknown."""
    try:
        if JobStatus.get(job_id) is None:
            abort(404, description=f"no job {job_id}")
        status = cancel_job(job_id, by_user_id=current_user.id)
    except ValueError as exc:
        abort(409, description=str(exc))
    done = "cancelled" if status.is_cancelled else "asked to stop"
    flash(f"Job {job_id} is {done}.", "success")
    return redirect(url_for("admin.jobs"))
