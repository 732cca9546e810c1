"""Template helpers of the admin pages: section tabs, times, durations, JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from webapp.admin import bp
from webapp.admin.params import link
from webapp.masking import masked

#: The admin tabs: (endpoint, label, the endpoints under that tab).
SECTIONS = (
    ("admin.index", "Overview", ("admin.index",)),
    (
        "admin.operations",
        "Operations",
        (
            "admin.operations",
            "admin.operation",
            "admin.operation_retry",
            "admin.operation_retry_confirmed",
            "admin.action_rerun",
            "admin.action_rerun_confirmed",
            "admin.operation_cancel",
            "admin.operation_cancel_confirmed",
            "admin.bulk",
            "admin.bulk_confirmed",
        ),
    ),
    ("admin.jobs", "Jobs", ("admin.jobs", "admin.job_cancel")),
    ("admin.queues", "Queues", ("admin.queues",)),
    (
        "admin.events",
        "Events",
        (
            "admin.events",
            "admin.event_retry",
            "admin.event_retry_confirmed",
            "admin.priority_pause",
            "admin.priority_resume",
        ),
    ),
    ("admin.health", "Health", ("admin.health", "admin.periodic_pause", "admin.periodic_resume")),
    ("admin.activity", "Activity", ("admin.activity", "admin.activity_export")),
    (
        "admin.users",
        "Users",
        ("admin.users", "admin.user_sign_out", "admin.user_sign_out_confirmed"),
    ),
)


@bp.context_processor
def admin_context() -> dict[str, Any]:
    return {"admin_sections": SECTIONS, "admin_link": link}


@bp.app_template_filter("admin_time")
def admin_time(value: dt.datetime | None, precise: bool = False) -> str:
    """A UTC time to the second: ``2024-05-31 14:30:02 UTC`` (``precise``: to the
    millisecond, ``14:30:02.125``)."""
    if value is None:
        return ""
    utc = value.astimezone(dt.UTC)
    if precise:
        return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d} UTC"
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.app_template_filter("admin_duration")
def admin_duration(value: dt.timedelta | float | None) -> str:
    """A duration in the largest whole unit: ``30s``, ``5 min``, ``2 h``, ``1 d``."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g}s"


@bp.app_template_filter("admin_json")
def admin_json(value: Any, compact: bool = False) -> str:
    """JSON for display, sensitive values masked: pretty (indented, keys sorted) or on one
    line."""
    indent = None if compact else 2
    return json.dumps(masked(value), ensure_ascii=False, sort_keys=True, indent=indent)


@bp.app_template_filter("admin_parse_time")
def admin_parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO 8601 string (as in the JSON of a job) as a datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


#: Keys of a job's ``to_dict`` that are not the job's own custom fields.
JOB_KEYS = frozenset(
    {
        "id", "task", "owner_id", "status", "progress", "total", "attempts", "enqueued_at",
        "started_at", "finished_at", "estimated_finish_at", "cancel_requested_at",
    }
)  # fmt: skip


@bp.app_template_filter("admin_job_fields")
def admin_job_fields(job: dict[str, Any]) -> dict[str, Any]:
    """The custom fields of a job's status dict (and its exception, if it failed)."""
    return {k: v for k, v in job.items() if k not in JOB_KEYS}
