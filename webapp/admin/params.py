"""Reading admin filters from the query string: bad input is a 400 naming it, never a 500."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from typing import Any, NoReturn, cast

from flask import abort, request, url_for
from werkzeug.datastructures import MultiDict

from webapp.inputs import MAX_INT, parse_bool, parse_int
from webapp.jobs import ArgumentSearch
from webapp.masking import sensitive_key_in

MAX_TEXT = 255
MAX_PAGE = 200
_KEY_PREFIX_RE = re.compile(r"[a-z0-9_.]*")


def bad(message: str) -> NoReturn:
    """Stop the request with 400 and this message."""
    abort(400, description=message)


def text_arg(name: str, max_length: int = MAX_TEXT) -> str | None:
    """A trimmed string, or None when absent or empty."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if len(value) > max_length:
        bad(f"{name} is too long (max {max_length} characters)")
    return value


def int_arg(name: str, *, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """A whole number (an id, a cursor, a limit), or None when absent or empty."""
    raw = text_arg(name, 40)
    if raw is None:
        return None
    try:
        return parse_int(raw, name, minimum=minimum, maximum=maximum)
    except ValueError as exc:
        bad(str(exc))


def user_arg(name: str) -> int | None:
    """A user given by id or by email (400 for an email nobody has), or None."""
    from webapp.accounts import get_user_by_email

    value = text_arg(name)
    if value is None or (value.isascii() and value.isdigit()):
        return int_arg(name)
    user = get_user_by_email(value)
    if user is None:
        bad(f"no user with email {value!r}")
    return user.id


def limit_arg(default: int = 50) -> int:
    """The page size: 1 to MAX_PAGE."""
    return int_arg("limit", maximum=MAX_PAGE) or default


def choice_arg(name: str, choices: Iterable[str]) -> str | None:
    """One of ``choices``, or None when absent or empty."""
    value = text_arg(name)
    allowed = list(choices)
    if value is not None and value not in allowed:
        bad(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
    return value


def bool_arg(name: str) -> bool | None:
    """yes/no (also 1/0, true/false, on/off), or None for "any"."""
    value = text_arg(name)
    if value is None or value.lower() == "any":
        return None
    try:
        return parse_bool(value, name)
    except ValueError:
        bad(f"{name} must be yes, no or any, got {value!r}")


def datetime_arg(name: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time (as a datetime-local input sends it); naive means UTC."""
    raw = text_arg(name, 40)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        bad(f"{name} must be a date like 2024-05-31 or 2024-05-31T14:30, got {raw!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def key_prefix_arg(name: str = "key") -> str | None:
    """The start of an activity key: lowercase letters, digits, "_" and "."."""
    value = text_arg(name)
    if value is not None and not _KEY_PREFIX_RE.fullmatch(value):
        bad(f"{name} {value!r} is not a key prefix: use lowercase letters, digits, _ and .")
    return value


def globals_arg(name: str = "globals") -> dict[str, Any]:
    """``key=value`` pairs (the parameter repeated, or one per line); values are JSON when
    they parse as JSON (``id=7`` matches the number 7, ``id="7"`` the string), else text.
    The one syntax of every search by argument values (operation globals, event params, job
    arguments). A sensitive key (``BEACON_SENSITIVE_KEYS``), at any depth, is refused: which
    rows a search by it finds would tell its value."""
    pairs: dict[str, Any] = {}
    for raw in request.args.getlist(name):
        for line in raw.splitlines():
            line = line.strip()
            if not line:
                continue
            if len(line) > 1000:
                bad(f"{name} filter is too long (max 1000 characters)")
            key, sep, value = line.partition("=")
            key = key.strip()
            if not sep or not key:
                bad(f"{name} filter {line!r} must look like key=value")
            pairs[key] = _json_or_text(value.strip())
    secret = sensitive_key_in(pairs)
    if secret is not None:
        bad(
            f"{name} filter: {secret!r:.60} is a sensitive key (BEACON_SENSITIVE_KEYS), "
            "whose values cannot be searched"
        )
    return pairs


#: How a job search names a custom field (``field.step=B``); any other key is a keyword
#: argument, ``args`` the positional ones.
FIELD_PREFIX = "field."


def job_search_arg(name: str = "args") -> ArgumentSearch:
    """A job search, in ``globals_arg``'s syntax: ``name=value`` a keyword argument,
    ``args=value`` (or a JSON list of values) positional arguments, ``field.name=value`` a
    custom field."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for key, value in globals_arg(name).items():
        if key == "args":
            args += value if isinstance(value, list) else [value]
        elif key.startswith(FIELD_PREFIX):
            if not key[len(FIELD_PREFIX) :]:
                bad(f"{name} filter {key!r}: name the field, as in field.step=B")
            fields[key[len(FIELD_PREFIX) :]] = value
        else:
            kwargs[key] = value
    return ArgumentSearch(tuple(args), kwargs, fields)


def _json_or_text(value: str) -> Any:
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    # NaN and Infinity parse but are not JSON that a database stores.
    if isinstance(parsed, float) and not math.isfinite(parsed):
        return value
    return parsed


def link(endpoint: str, *, drop: Iterable[str] = ("before",), **extra: Any) -> str:
    """This page's URL with its current filters, less ``drop``, plus ``extra``."""
    skip = {*drop, *extra}
    args = MultiDict(
        (k, v) for k, v in request.args.items(multi=True) if k not in skip and v.strip()
    )
    for key, value in extra.items():
        if value is not None:
            args.add(key, value)
    # One value as itself (a path argument must be), several as a list (repeated in the query).
    values = {k: v[0] if len(v) == 1 else v for k, v in args.to_dict(flat=False).items()}
    return url_for(endpoint, **cast(dict[str, Any], values))
