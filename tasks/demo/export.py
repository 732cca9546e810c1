"""The CSV export of a user's activity: a tracked job with real progress, writing
``<BEACON_DEMO_EXPORT_DIR>/<job id>.csv`` for its owner to download."""

from __future__ import annotations

import csv
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select

from webapp.activity import Activity
from webapp.database import begin_read_only
from webapp.extensions import db
from webapp.files import open_private
from webapp.jobs import JobStatus, tracked_task

#: The job's task name (what its status records, and the label of its progress bar).
TASK_NAME = "export_activity"
BATCH = 100
COLUMNS = ("id", "created_at", "key", "value", "message", "subject_type", "subject_id")
#: Exports stay downloadable (their status says whose they are) for a week.
EXPORT_LIFETIME = 7 * 86400
JOB_ID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
#: Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_dir() -> Path:
    """Where finished exports are kept (BEACON_DEMO_EXPORT_DIR)."""
    return Path(current_app.config["BEACON_DEMO_EXPORT_DIR"])


def export_path(job_id: str) -> Path:
    """Where the export of this job is written; ValueError for anything but a job id."""
    if not isinstance(job_id, str) or not JOB_ID_RE.fullmatch(job_id):
        raise ValueError(f"not an export id: {job_id!r:.60}")
    return export_dir() / f"{job_id}.csv"


def exported_rows(user_id: int) -> Select[Activity]:
    """What a user's export holds: their activities as the feed shows them (never private
    ones)."""
    return select(Activity).where(Activity.user_id == user_id, Activity.private.is_(False))


def _begin_read() -> None:
    """Begin a reading transaction: on SQLite a plain BEGIN, not the IMMEDIATE one that
    would hold the write lock while a batch is read. Ends whatever read came before."""
    db.session.rollback()
    begin_read_only(db.session)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _row(activity: Activity) -> list[Any]:
    value = json.dumps(activity.value, ensure_ascii=False)
    return [
        activity.id,
        activity.created_at.isoformat(),
        activity.key,
        _cell(value),
        _cell(activity.message or ""),
        activity.subject_type,
        activity.subject_id,
    ]


@tracked_task(
    throttle_interval=0.1, expires_in=EXPORT_LIFETIME, includes=("exception",), name=TASK_NAME
)
def export_activity(*, status: JobStatus) -> dict[str, Any]:
    """Write the owner's activity to a CSV file, reporting progress batch by batch."""
    user_id = status.owner_id
    if user_id is None:
        raise ValueError("an activity export needs an owner (owner_id=)")
    _begin_read()
    # The rows up to now: activity recorded while the export runs belongs to the next one.
    last = db.session.scalar(select(func.max(Activity.id))) or 0
    mine = exported_rows(user_id).where(Activity.id <= last)
    total = db.session.scalar(select(func.count()).select_from(mine.subquery()))
    db.session.rollback()
    status.progress.total = total
    path = export_path(status.id)
    partial = path.with_suffix(".part")
    pause = float(current_app.config["BEACON_DEMO_EXPORT_PAUSE"])
    try:
        written = _write_csv(partial, mine, status, pause)
    except BaseException:
        partial.unlink(missing_ok=True)  # cancelled or failed: no half file is left behind
        raise
    os.replace(partial, path)  # the file appears whole, or not at all
    status.update(rows=written, filename=path.name, force=True)
    status.progress.finish()
    return {"rows": written, "file": path.name}


def _write_csv(partial: Path, mine: Select[Activity], status: JobStatus, pause: float) -> int:
    written, after = 0, 0
    with open_private(partial, newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        while True:
            _begin_read()
            batch = list(
                db.session.scalars(
                    mine.where(Activity.id > after).order_by(Activity.id).limit(BATCH)
                )
            )
            db.session.rollback()  # no transaction stays open between batches
            if not batch:
                break
            writer.writerows(_row(a) for a in batch)
            after = batch[-1].id
            written += len(batch)
            status.progress.increment(len(batch))
            if pause:
                time.sleep(pause)
    return written


def recent_exports(user_id: int, limit: int = 5) -> list[JobStatus]:
    """A user's latest exports, newest first (their statuses live as long as the files)."""
    jobs = JobStatus.for_owner(user_id, limit=50)
    return [job for job in jobs if job.task == TASK_NAME][:limit]
