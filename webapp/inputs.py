"""Reading untrusted input: integers from URLs, query strings and JSON, and JSON text itself.

One parser per kind, used by every route, so each refuses the same bad values the same way
(a 4xx naming the value, never a 500):

* integers are ASCII digits (``int()`` also reads "٣" as 3 and answers "²" in its own words)
  within SQL's BIGINT range, which both databases can bind and compare: 2**63 and more would
  raise OverflowError in the driver;
* JSON is nested at most ``MAX_JSON_DEPTH`` deep (Python's parser would raise RecursionError
  on 50,000 brackets, and anything that walks a deep value later would too).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

#: The largest integer SQL's BIGINT holds: every id, cursor and count Beacon reads fits.
MAX_INT = 2**63 - 1
MAX_JSON_DEPTH = 64

_INTEGER = re.compile(r"-?[0-9]{1,19}")


def parse_int(value: Any, name: str, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """An integer written in ASCII digits (or a JSON integer), from ``minimum`` to
    ``maximum``; ``ValueError`` naming ``name`` and the value otherwise."""
    if isinstance(value, str):
        text = value.strip()
        number = int(text) if _INTEGER.fullmatch(text) else None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = None
    if number is None:
        raise ValueError(f"{name} must be a whole number, got {value!r:.40}")
    if not minimum <= number <= maximum:
        raise ValueError(f"{name} must be from {minimum} to {maximum}, got {number}")
    return number


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL rule: ASCII digits from 1 to ``MAX_INT``; anything else does
    not match the rule (404)."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_INT, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """``value`` itself if no list or object in it is nested deeper than ``limit``; else
    ``ValueError``. Iterative: a deep value cannot exhaust the stack here."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise ValueError(f"JSON is nested more than {limit} deep")
        stack.extend((child, depth + 1) for child in children)
    return value


def loads_json(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` for untrusted text: ``ValueError`` for nesting past ``MAX_JSON_DEPTH``."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError(f"JSON is nested more than {MAX_JSON_DEPTH} deep") from None
    return check_depth(value)


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON: request bodies (``request.get_json``) are read with ``loads_json``, so a
    body nested too deeply is a 400 like any other malformed JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s, **kwargs)
