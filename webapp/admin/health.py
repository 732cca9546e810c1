"""/admin/health: every periodic task, its last success and error, its state, 7 days of runs."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from webapp.activity import StatusChecker
from webapp.admin import bp
from webapp.admin.charts import health_charts
from webapp.database import utcnow


@bp.route("/health")
def health() -> ResponseReturnValue:
    """Every periodic task: schedule, last success, last error, state and a 7-day chart."""
    now = utcnow()
    tasks = StatusChecker.overview(now=now)
    charts = health_charts([t["name"] for t in tasks], now=now)
    return render_template("admin/health.html", tasks=tasks, charts=charts, now=now)
