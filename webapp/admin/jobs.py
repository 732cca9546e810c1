"""/admin/jobs: tracked jobs running now and recently, with progress that updates live."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.admin import bp
from webapp.admin.params import bad, choice_arg, job_search_arg, limit_arg, text_arg
from webapp.admin.queries import user_emails
from webapp.jobs import STATUSES, JobStatus, cancel_job, get_store
from webapp.jobs.search import SEARCH_UNAVAILABLE

RUNNING_LIMIT = 100


def job_filters() -> dict[str, Any]:
    """The jobs filter the query string describes: task, status, argument search (400 on bad
    input, and for a search where the store cannot search)."""
    search = job_search_arg("args")
    if search and not get_store().searchable:
        bad(SEARCH_UNAVAILABLE)
    filters = {"task": text_arg("task"), "status": choice_arg("status", STATUSES), "search": search}
    return {k: v for k, v in filters.items() if v}


@bp.route("/jobs")
def jobs() -> ResponseReturnValue:
    """Running jobs, then recent ones filtered by task, status and argument values."""
    filters = job_filters()
    task, status, search = filters.get("task"), filters.get("status"), filters.get("search")
    limit = limit_arg()
    unavailable = None if get_store().searchable else SEARCH_UNAVAILABLE
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
