"""Words for people: labels for activity keys and actions, relative times, outcome marks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from webapp.activity.validation import ACTION_PREFIX
from webapp.database import utcnow

#: Action names whose label is not just the name with spaces.
ACTION_LABELS = {
    "reauthenticate": "Re-authenticate",
    "reconnect": "Reconnect",
    "retry": "Retry",
}

#: Keys (``action.`` dropped) whose label is not just the key with spaces.
KEY_LABELS = {
    "authentication.authenticated": "Account sign-in",
}


def humanize(name: str) -> str:
    """``sync_job.completed`` → ``Sync job completed``."""
    words = name.replace(".", " ").replace("_", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def key_label(key: str) -> str:
    """The label of an activity key: ``action.`` dropped, dots and underscores as spaces."""
    if key.startswith(ACTION_PREFIX):
        key = key[len(ACTION_PREFIX) :]
    return KEY_LABELS.get(key) or humanize(key)


def action_label(action_required: str | None) -> str:
    """The button text of an alert's action (``reauthenticate`` → ``Re-authenticate``)."""
    if not action_required:
        return ""
    return ACTION_LABELS.get(action_required, humanize(action_required))


def outcome(value: Any) -> str:
    """``ok`` for True, ``failed`` for False, ``info`` for anything else."""
    if value is True:
        return "ok"
    if value is False:
        return "failed"
    return "info"


def relative_time(when: dt.datetime | str, now: dt.datetime | None = None) -> str:
    """``just now``, ``5 minutes ago``, ``3 hours ago``, ``2 days ago``, else the date."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 45:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return when.strftime("%Y-%m-%d")
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "1 minute ago"
