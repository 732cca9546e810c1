"""The CSV export of one's activity: start it, and download the file (its owner only)."""

from __future__ import annotations

from flask import abort, flash, redirect, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from tasks.demo.export import export_activity, export_path
from webapp.demo import bp
from webapp.jobs import JobStatus


@bp.route("/exports", methods=["POST"])
@login_required
def start_export() -> ResponseReturnValue:
    """Start the export job (its owner is the logged-in user); its progress bar is live."""
    export_activity()
    flash("Your export has started: its progress is shown below.", "success")
    return redirect(url_for("demo.accounts", _anchor="exports"))


@bp.route("/exports/<job_id>")
@login_required
def download_export(job_id: str) -> ResponseReturnValue:
    """The finished CSV of an export; 404 alike for unknown, unfinished and others' exports."""
    try:
        path = export_path(job_id)
        status = JobStatus.get(job_id)
    except ValueError:
        abort(404, description="no such export")
    if (
        status is None
        or status.owner_id != current_user.id
        or not status.is_completed
        or not path.is_file()
    ):
        abort(404, description="no such export")
    day = status.finished_at.strftime("%Y-%m-%d") if status.finished_at else "export"
    response = send_file(
        path, mimetype="text/csv", as_attachment=True, download_name=f"beacon-activity-{day}.csv"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
