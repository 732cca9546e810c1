"""/admin: where admins start: what is running, what failed, what is unhealthy."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from webapp.activity import StatusChecker
from webapp.activity.throughput import RANGES
from webapp.admin import bp
from webapp.admin.params import choice_arg
from webapp.admin.throughput import throughput_charts
from webapp.events import event_counts
from webapp.jobs import JobStatus
from webapp.operations.queries import list_operations, state_counts

PROBLEM_STATES = ("failing", "down", "late")


@bp.route("/")
def index() -> ResponseReturnValue:
    """Counts per state, the latest failed operations, unhealthy periodic tasks, and the
    throughput of the last hour (per minute) or day (``?range=day``, per hour)."""
    range_ = choice_arg("range", RANGES) or "hour"
    health = StatusChecker.overview()
    return render_template(
        "admin/index.html",
        op_counts=state_counts(),
        failed_ops=list_operations(state="failed", limit=10).items,
        event_counts=event_counts(),
        running_jobs=JobStatus.recent(limit=10, status="working"),
        unhealthy=[t for t in health if t["state"] in PROBLEM_STATES],
        task_count=len(health),
        throughput=throughput_charts(range_),
        range_=range_,
        range_args=request.args,
    )
