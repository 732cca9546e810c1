"""/admin/jobs: tracked jobs running now and recently, with progress that updates live."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.admin import bp
from webapp.admin.params import bad, choice_arg, job_search_arg, limit_arg, text_arg
from webapp.admin.queries import user_emails
from webapp.jobs import STATUSES, JobStatus, cancel_job, get_store
from webapp.jobs.search import SEARCH_UNAVAILABLE

RUNNING_LIMIT = 100


@bp.route("/jobs")
def jobs() -> ResponseReturnValue:
    """Running jobs, then recent ones filtered by task, status and argument values."""
    task = text_arg("task")
    status = choice_arg("status", STATUSES)
    limit = limit_arg()
    search = job_search_arg("args")
    unavailable = None if get_store().searchable else SEARCH_UNAVAILABLE
    if search and unavailable:
        bad(unavailable)
    try:
        running = JobStatus.recent(limit=RUNNING_LIMIT, task=task, status="working", search=search)
        recent = JobStatus.recent(limit=limit, task=task, status=status, search=search)
    except ValueError as exc:  # a value the JSON search cannot express
        bad(str(exc))
    return render_template(
        "admin/jobs.html",
        running=[j.to_dict() for j in running],
        recent=[j.to_dict() for j in recent],
        owners=user_emails(j.owner_id for j in [*running, *recent]),
        filters=request.args,
        statuses=STATUSES,
        limit=limit,
        args_text="\n".join(request.args.getlist("args")),
        search_unavailable=unavailable,
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
