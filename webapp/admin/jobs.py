"""/admin/jobs: tracked jobs running now and recently, with progress that updates live."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from webapp.admin import bp
from webapp.admin.params import bad, choice_arg, limit_arg, text_arg
from webapp.admin.queries import user_emails
from webapp.jobs import STATUSES, JobStatus

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
