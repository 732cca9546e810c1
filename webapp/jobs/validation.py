"""What a job status may hold: checked before anything is written."""

from __future__ import annotations

import json
from typing import Any

MAX_ID = 64
MAX_FIELD_NAME = 255
MAX_FIELD_BYTES = 64 * 1024
#: Keys of ``to_dict`` that Beacon writes; a job sets only status, progress and total of these.
RESERVED = frozenset(
    {
        "id", "task", "owner_id", "attempts", "enqueued_at", "started_at", "finished_at",
        "estimated_finish_at", "serialized_job", "exception", "cancel_requested_at",
    }
)  # fmt: skip


def job_id_of(job: Any) -> str:
    """The job id of a Huey Result, a JobStatus or an id; ValueError for anything else."""
    job_id = getattr(job, "id", job)
    if not isinstance(job_id, str) or not job_id or len(job_id) > MAX_ID:
        raise ValueError(f"invalid job id {job_id!r}: a string of 1 to {MAX_ID} characters")
    return job_id


def check_count(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (not a bool), at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return value


def check_field(name: Any, value: Any) -> Any:
    """A custom field's name and value are valid; returns the value as JSON will store it."""
    if not isinstance(name, str) or not name or len(name) > MAX_FIELD_NAME:
        raise ValueError(f"invalid status field name {name!r}: 1 to {MAX_FIELD_NAME} characters")
    if name in RESERVED:
        raise ValueError(f"status field {name!r} is written by Beacon, not by the job")
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"status field {name!r}: value {value!r:.80} is not JSON: {exc}") from None
    if len(encoded.encode()) > MAX_FIELD_BYTES:
        raise ValueError(f"status field {name!r} is over {MAX_FIELD_BYTES} bytes as JSON")
    return json.loads(encoded)
