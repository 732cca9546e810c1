"""/admin/health: every periodic task, its last success and error, its state, 7 days of runs;
pausing and resuming a task (POST with CSRF, admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.activity import StatusChecker, pause_periodic, resume_periodic
from webapp.admin import bp
from webapp.admin.charts import health_charts
from webapp.admin.queries import user_emails
from webapp.database import utcnow


@bp.route("/health")
def health() -> ResponseReturnValue:
    """Every periodic task: schedule, last success, last error, state and a 7-day chart."""
    now = utcnow()
    tasks = StatusChecker.overview(now=now)
    charts = health_charts([t["name"] for t in tasks], now=now)
    pausers = user_emails(t["pause"].paused_by for t in tasks if t["paused"])
    return render_template(
        "admin/health.html", tasks=tasks, charts=charts, now=now, pausers=pausers
    )


@bp.post("/health/<task_name>/pause")
def periodic_pause(task_name: str) -> ResponseReturnValue:
    """Pause a periodic task: it does not run until resumed; 404 for an unknown task."""
    try:
        pause_periodic(task_name, by_user_id=current_user.id)
    except ValueError as exc:
        abort(404, description=str(exc))
    flash(f"{task_name} is paused: it does not run until resumed.", "success")
    return redirect(url_for("admin.health", _anchor=f"task-{task_name}"))


@bp.post("/health/<task_name>/resume")
def periodic_resume(task_name: str) -> ResponseReturnValue:
    """Resume a paused periodic task (it runs once soon if a run came due meanwhile)."""
    try:
        resume_periodic(task_name, by_user_id=current_user.id)
    except ValueError as exc:
        abort(404, description=str(exc))
    flash(f"{task_name} is resumed (if a run came due while paused, it runs once now).", "success")
    return redirect(url_for("admin.health", _anchor=f"task-{task_name}"))
