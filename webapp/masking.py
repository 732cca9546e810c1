"""Sensitive values masked wherever Beacon shows what work was given: a job's fields, an
event's params, an operation's globals, an activity's value, in every page, export, API answer
and socket event.

``BEACON_SENSITIVE_KEYS`` names the keys (comma-separated, any case; a key matches when its
lower-cased name is one of them); their values, at any depth, are shown as ``MASK``. Only
what leaves the process is masked: the work itself reads its real values.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app, has_app_context

MASK = "••••••"


def sensitive_keys(setting: str | Iterable[str] | None) -> frozenset[str]:
    """The setting as a set of lower-cased key names."""
    if isinstance(setting, str):
        return _parsed(setting)
    return frozenset(name.strip().lower() for name in setting or () if name.strip())


@functools.lru_cache(maxsize=8)
def _parsed(setting: str) -> frozenset[str]:
    return sensitive_keys(setting.split(","))


def masked(value: Any, keys: frozenset[str] | None = None) -> Any:
    """``value`` with the values of sensitive keys replaced by ``MASK``, at any depth (the
    configured keys unless ``keys`` is given; unchanged outside an app without keys)."""
    if not isinstance(value, dict | list | tuple):  # what JSON values hold (no ABC: fast)
        return value  # most activity values: True, a number, a string
    if keys is None:
        if not has_app_context():
            return value
        keys = sensitive_keys(current_app.config.get("BEACON_SENSITIVE_KEYS"))
    if not keys:
        return value
    return _mask(value, keys)


def _mask(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: MASK if str(k).lower() in keys else _mask(v, keys) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, keys) for v in value]
    return value


def unmasked(edited: Any, original: Any, keys: frozenset[str] | None = None) -> Any:
    """An edit of a masked value, with the original's values back wherever the edit left
    ``MASK`` at a sensitive key the original has (at any depth; lists by position): what a
    form that showed ``masked(original)`` means when it sends ``MASK`` back unchanged."""
    if keys is None:
        keys = sensitive_keys(current_app.config.get("BEACON_SENSITIVE_KEYS"))
    if isinstance(edited, dict) and isinstance(original, Mapping):
        return {
            k: original[k]
            if v == MASK and str(k).lower() in keys and k in original
            else unmasked(v, original.get(k), keys)
            for k, v in edited.items()
        }
    if isinstance(edited, list) and isinstance(original, list | tuple):
        return [
            unmasked(v, original[i] if i < len(original) else None, keys)
            for i, v in enumerate(edited)
        ]
    return edited


def sensitive_key_in(value: Any, keys: frozenset[str] | None = None) -> str | None:
    """The first sensitive key (as written) found in ``value`` at any depth, or None: a
    search naming one is refused, since which rows it finds would tell its value."""
    if keys is None:
        keys = sensitive_keys(current_app.config.get("BEACON_SENSITIVE_KEYS"))
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in keys:
                return str(key)
            found = sensitive_key_in(item, keys)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            found = sensitive_key_in(item, keys)
            if found is not None:
                return found
    return None
