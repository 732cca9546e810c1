"""CSV export of activities, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) would run as a formula: such cells get a leading
single quote, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from webapp.activity import Activity
from webapp.database import iso_utc
from webapp.masking import masked

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    "id",
    "created_at",
    "key",
    "value",
    "message",
    "subject_type",
    "subject_id",
    "user_id",
    "user_email",
    "system",
    "private",
    "action_required",
    "action_url",
)


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading quote if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def activity_row(activity: Activity, email: str | None) -> list[str]:
    """One activity as CSV cells (its value as JSON)."""
    cells = (
        activity.id,
        iso_utc(activity.created_at),
        activity.key,
        json.dumps(masked(activity.value), ensure_ascii=False),
        activity.message,
        activity.subject_type,
        activity.subject_id,
        activity.user_id,
        email,
        "true" if activity.system else "false",
        "true" if activity.private else "false",
        activity.action_required,
        activity.action_url,
    )
    return [safe_cell(cell) for cell in cells]


def csv_lines(
    rows: Iterable[Activity],
    email_of: Callable[[Iterable[int | None]], Mapping[int, str]],
    *,
    chunk: int = 200,
) -> Iterator[str]:
    """The header, then the rows, as CSV text in chunks (for a streamed response).

    ``email_of(user_ids)`` returns ``{id: email}`` for a chunk's owners."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    pending: list[Activity] = []

    def flush() -> str:
        emails = email_of(a.user_id for a in pending)
        for activity in pending:
            owner = activity.user_id
            writer.writerow(activity_row(activity, emails.get(owner) if owner else None))
        pending.clear()
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield flush()
    for activity in rows:
        pending.append(activity)
        if len(pending) >= chunk:
            yield flush()
    if pending:
        yield flush()
