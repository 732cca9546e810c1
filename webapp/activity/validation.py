"""What an activity may hold: checked before anything is written."""

from __future__ import annotations

import json
import re
from typing import Any

from webapp.database import check_id, check_storable_json, check_storable_text

# Matched with fullmatch: "^...$" also matches before a trailing newline ("sync.completed\n").
KEY_RE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
NAME_RE = re.compile(r"[a-z0-9_]+")
MAX_KEY = 255
MAX_VALUE_BYTES = 64 * 1024
MAX_MESSAGE = 10_000
MAX_URL = 2048
ACTION_PREFIX = "action."


def validate_key(key: Any) -> str:
    """A dotted lowercase key of ``[a-z0-9_]`` segments, at most 255 characters."""
    if not isinstance(key, str):
        raise ValueError(f"activity key must be a string, got {type(key).__name__} {key!r}")
    if len(key) > MAX_KEY:
        raise ValueError(f"activity key {key[:40]!r}... is {len(key)} characters (max {MAX_KEY})")
    if not KEY_RE.fullmatch(key):
        raise ValueError(
            f"invalid activity key {key!r}: use dotted lowercase segments of [a-z0-9_], "
            "e.g. 'sync.completed'"
        )
    return key


#: ASCII output (non-ASCII is escaped), so the length of the text is its size in bytes.
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), ensure_ascii=True)
_CONSTANTS = {True: "true", False: "false", None: "null"}


def encode_value(value: Any) -> str:
    """The value as JSON (no NaN/Infinity), at most 64 KiB encoded."""
    if value is True or value is False or value is None:
        return _CONSTANTS[value]
    if type(value) is int and not -(2**63) <= value < 2**63:
        # SQLite stores a bare number in the JSON column as a number (numeric affinity): past
        # 64 bits it would come back as a float. Inside a list or object it is kept exactly.
        raise ValueError(f"activity value {value!r:.40} is outside the 64-bit integer range")
    try:
        encoded = _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"activity value {value!r:.80} is not JSON-serializable: {exc}") from None
    if len(encoded) > MAX_VALUE_BYTES:
        raise ValueError(f"activity value is {len(encoded)} bytes as JSON (max {MAX_VALUE_BYTES})")
    check_storable_json(encoded, "activity value")
    return encoded


def validate_message(message: Any) -> str | None:
    if message is None:
        return None
    if not isinstance(message, str):
        raise ValueError(f"activity message must be a string or None, got {message!r:.80}")
    if len(message) > MAX_MESSAGE:
        raise ValueError(f"activity message is {len(message)} characters (max {MAX_MESSAGE})")
    check_storable_text(message, "activity message")
    return message


def validate_action(action_required: Any, action_url: Any) -> None:
    if action_required is not None and (
        not isinstance(action_required, str)
        or not NAME_RE.fullmatch(action_required)
        or len(action_required) > 64
    ):
        raise ValueError(f"invalid action_required {action_required!r}: use [a-z0-9_], max 64")
    if action_url is None:
        return
    if not isinstance(action_url, str) or len(action_url) > MAX_URL:
        raise ValueError(f"invalid action_url {action_url!r:.80}")
    check_storable_text(action_url, "action_url")
    # Only site-relative paths and http(s) links: never javascript: or data: URLs in an href.
    relative = action_url.startswith("/") and not action_url.startswith("//")
    if not (relative or action_url.startswith(("https://", "http://"))):
        raise ValueError(f"invalid action_url {action_url!r:.80}: use a /path or an http(s) URL")


def validate_flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def validate_user_id(user_id: Any) -> int | None:
    if user_id is None:
        return None
    return check_id(user_id, "user_id")


def validate_subject(subject_type: Any, subject_id: Any) -> tuple[str, str]:
    """("", "") for no subject; otherwise a non-empty type and an id of at most 255 chars."""
    if subject_type in (None, "") and subject_id in (None, ""):
        return "", ""
    if not isinstance(subject_type, str) or not subject_type or len(subject_type) > 100:
        raise ValueError(f"invalid subject type {subject_type!r}")
    if subject_id is None or len(str(subject_id)) > 255:
        raise ValueError(f"invalid subject id {subject_id!r} for {subject_type!r}")
    check_storable_text(subject_type, "subject type")
    check_storable_text(str(subject_id), "subject id")
    return subject_type, str(subject_id)


def base_key(key: str) -> str:
    """The key with any leading ``action.`` removed: what alerts and their resolution match on."""
    return key[len(ACTION_PREFIX) :] if key.startswith(ACTION_PREFIX) else key


def key_prefix_bounds(prefix: str) -> tuple[str, str]:
    """Index-friendly range for keys starting with ``prefix``: ``prefix <= key < prefix + '{'``.

    Every valid key character sorts below '{' (byte order; the column uses the C collation on
    PostgreSQL), so the range holds exactly the keys that start with the prefix.
    """
    return prefix, prefix + "{"
