"""Checking what start_operation is given, before anything is written.

An action is stored by import path (``package.module:qualname``) and resolved again by the
consumer that runs it, so it must be a module-level callable, or a class with a ``call``
classmethod, importable by that path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webapp.database import check_id, check_storable_text
from webapp.operations.models import MAIN

MAX_NAME = 255
MAX_BRANCH = 100
MAX_KEY = 255
MAX_GLOBALS_BYTES = 256 * 1024
ACTION_OPTIONS = frozenset({"perform_at", "timeout"})
_BRANCH_RE = re.compile(r"[A-Za-z0-9_.-]+")
#: Most attempts an action may be given, and the longest delay (ten years): beyond them a
#: number is a mistake, and would not fit the columns or the calendar.
MAX_RETRIES = 1000
MAX_DELAY = 10 * 366 * 86400.0


@dataclass(frozen=True)
class ActionSpec:
    branch: str
    position: int
    path: str
    perform_at: dt.datetime | None
    timeout: float | None = None


@dataclass(frozen=True)
class OperationSpec:
    name: str
    globals: dict
    actions: tuple[ActionSpec, ...]
    params_hash: str
    idempotency_key: str | None
    owner_id: int | None
    retries: int
    retry_delay: float
    start_at: dt.datetime | None


def check_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON data (tuples become lists); ValueError naming the bad part."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} has a non-string key {key!r}: not JSON")
            check_storable_text(key, f"{where} key {key!r:.40}")
            out[key] = check_json(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [check_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is {value!r}: not JSON")
    if isinstance(value, str):
        check_storable_text(value, where)
        return value
    if value is None or isinstance(value, int | float | bool):
        return value
    raise ValueError(f"{where} is {value!r:.80} ({type(value).__name__}): not JSON")


def encode(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces (for hashing and size checks)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def import_path(action: Any) -> str:
    """The import path of an action given as a callable or a path string."""
    if isinstance(action, str):
        module, sep, qualname = action.partition(":")
        if not sep:
            module, _, qualname = action.rpartition(".")
        path = f"{module}:{qualname}"
        resolve(path)
        return path
    module = getattr(action, "__module__", None) or ""
    qualname = getattr(action, "__qualname__", None) or ""
    if not module or not qualname or "<" in qualname or module == "__main__":
        raise ValueError(
            f"action {action!r:.80} is not importable: use a module-level function or a class"
        )
    path = f"{module}:{qualname}"
    if resolve(path) is not action:
        raise ValueError(f"action {action!r:.80} is not importable as {path}")
    return path


def resolve(path: str) -> Callable:
    """The callable stored at ``path``: a function, or a class's ``call`` classmethod."""
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname:
        raise ValueError(f"action {path!r} is not an import path like 'package.module:name'")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"action {path!r} is not importable: {exc}") from None
    if isinstance(target, type):
        call = getattr(target, "call", None)
        if not callable(call):
            raise ValueError(f"action {path!r} is a class without a callable call(action)")
        return target
    if not callable(target):
        raise ValueError(f"action {path!r} is not callable")
    return target


def callable_for(path: str) -> Callable[[Any], Any]:
    """What to call with the action object: the function, or the class's ``call``."""
    target = resolve(path)
    return getattr(target, "call") if isinstance(target, type) else target  # noqa: B009


def check_time(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{where} must be a datetime, got {value!r:.80}")
    if value.tzinfo is None:
        raise ValueError(f"{where} {value.isoformat()} is naive: pass an aware datetime")
    return value.astimezone(dt.UTC)


def _action_spec(branch: str, position: int, entry: Any) -> ActionSpec:
    where = f"branch {branch!r} action {position}"
    options: Any = {}
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(f"{where} must be an action or (action, options), got {entry!r:.80}")
        entry, options = entry
        if not isinstance(options, Mapping):
            raise ValueError(f"{where} options must be a dict, got {options!r:.80}")
        unknown = sorted(set(options) - ACTION_OPTIONS)
        if unknown:
            raise ValueError(
                f"{where} has unknown option(s) {unknown}; allowed: {sorted(ACTION_OPTIONS)}"
            )
    perform_at = check_time(options.get("perform_at"), f"{where} perform_at")
    timeout = check_timeout(options.get("timeout"), f"{where} timeout")
    return ActionSpec(branch, position, import_path(entry), perform_at, timeout)


def check_timeout(value: Any, where: str) -> float | None:
    """A timeout in seconds (above 0), or None for none."""
    if value is None:
        return None
    seconds = float(_check_number(value, where, maximum=MAX_DELAY))
    if seconds <= 0:
        raise ValueError(f"{where} must be above 0 seconds, got {value!r}")
    return seconds


def check_branches(branches: Any) -> tuple[ActionSpec, ...]:
    """Every action of every branch, main's first action first."""
    if not isinstance(branches, Mapping) or not branches:
        raise ValueError(f"branches must be a non-empty dict of lists, got {branches!r:.80}")
    if MAIN not in branches:
        raise ValueError(f"branches has no {MAIN!r} branch (got {sorted(map(str, branches))})")
    specs: list[ActionSpec] = []
    ordered = [MAIN, *(b for b in branches if b != MAIN)]
    for branch in ordered:
        if (
            not isinstance(branch, str)
            or len(branch) > MAX_BRANCH
            or not _BRANCH_RE.fullmatch(branch)
        ):
            raise ValueError(f"invalid branch name {branch!r}: letters, digits, _ . - only")
        actions = branches[branch]
        if not isinstance(actions, list | tuple) or isinstance(actions, str):
            raise ValueError(f"branch {branch!r} must be a list of actions, got {actions!r:.80}")
        if not actions:
            raise ValueError(f"branch {branch!r} is empty")
        specs.extend(_action_spec(branch, i, entry) for i, entry in enumerate(actions))
    return tuple(specs)


def _check_number(value: Any, where: str, *, integer: bool = False, maximum: float) -> Any:
    kinds = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        raise ValueError(f"{where} must be a {'whole ' if integer else ''}number, got {value!r}")
    if value < 0:
        raise ValueError(f"{where} must not be negative, got {value!r}")
    if value > maximum:
        raise ValueError(f"{where} must be at most {maximum:g}, got {value!r:.40}")
    return value


def params_hash(globals_: dict, actions: tuple[ActionSpec, ...]) -> str:
    """What makes two starts "the same": the globals and the branches with their options."""
    branches = [
        [a.branch, a.position, a.path, a.perform_at.isoformat() if a.perform_at else None]
        + ([a.timeout] if a.timeout is not None else [])
        for a in actions
    ]
    return hashlib.sha256(encode({"globals": globals_, "branches": branches}).encode()).hexdigest()


def check_globals(globals_: Any) -> dict:
    """An operation's globals as plain JSON: a dict (None is an empty one) of at most
    ``MAX_GLOBALS_BYTES`` as JSON; ValueError naming the bad part. What start_operation and a
    re-run with edited globals accept."""
    if globals_ is None:
        globals_ = {}
    if not isinstance(globals_, Mapping):
        raise ValueError(f"globals must be a dict, got {globals_!r:.80}")
    plain = check_json(globals_, "globals")
    size = len(encode(plain).encode())
    if size > MAX_GLOBALS_BYTES:
        raise ValueError(f"globals are {size} bytes as JSON (max {MAX_GLOBALS_BYTES})")
    return plain


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The top-level keys whose values differ between two globals (added, removed or
    changed; compared as canonical JSON, so ``1`` and ``true`` differ), sorted."""

    def encoded(values: Mapping[str, Any], key: str) -> str | None:
        return encode(values[key]) if key in values else None

    return sorted(key for key in {*old, *new} if encoded(old, key) != encoded(new, key))


def check_start(
    name: Any,
    globals_: Any,
    branches: Any,
    *,
    delay: Any,
    eta: Any,
    owner_id: Any,
    idempotency_key: Any,
    retries: Any,
    retry_delay: Any,
    now: dt.datetime,
    timeout: Any = None,
) -> OperationSpec:
    """Every argument of start_operation checked and normalized; ValueError on the first bad one."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ValueError(f"operation name must be a non-empty string (max {MAX_NAME}): {name!r}")
    check_storable_text(name, "operation name")
    plain = check_globals(globals_)
    actions = check_branches(branches)
    default_timeout = check_timeout(timeout, "timeout")
    if default_timeout is not None:
        actions = tuple(
            a if a.timeout is not None else dataclasses.replace(a, timeout=default_timeout)
            for a in actions
        )
    if delay is not None and eta is not None:
        raise ValueError("pass delay or eta, not both")
    start_at = check_time(eta, "eta")
    if delay is not None:
        start_at = now + dt.timedelta(seconds=_check_number(delay, "delay", maximum=MAX_DELAY))
    if owner_id is not None:
        check_id(owner_id, "owner_id")
    key = idempotency_key
    if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_KEY):
        raise ValueError(f"idempotency_key must be a non-empty string (max {MAX_KEY})")
    check_storable_text(key, "idempotency_key")
    return OperationSpec(
        name=name,
        globals=plain,
        actions=actions,
        params_hash=params_hash(plain, actions),
        idempotency_key=idempotency_key,
        owner_id=owner_id,
        retries=_check_number(retries, "retries", integer=True, maximum=MAX_RETRIES),
        retry_delay=float(_check_number(retry_delay, "retry_delay", maximum=MAX_DELAY)),
        start_at=start_at,
    )
