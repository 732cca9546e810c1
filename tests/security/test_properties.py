"""Property tests of the three ways in: ``record_activity``, ``queue_event``, ``start_operation``.

Whatever they are given, valid input is accepted and stored as given, and invalid input is
refused with ValueError having written nothing (no row, no queued task), on both backends.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.reliability import workload as W
from webapp.activity import Activity, record_activity
from webapp.activity.validation import KEY_RE
from webapp.events import EventMessage, queue_event
from webapp.extensions import db, huey
from webapp.operations import Action, Operation, start_operation

EXAMPLES = 60
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
    derandomize=True,  # the same examples every run: CI is repeatable
)

# -- values ------------------------------------------------------------------------------------

#: Any text but NUL, which PostgreSQL cannot store (so both backends refuse it); lone
#: surrogates are not text at all (codec="utf-8" leaves them out).
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


def texts(**kwargs):
    return st.text(TEXT, **kwargs)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(texts(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
not_json = st.sampled_from([math.nan, math.inf, -math.inf, {1, 2}, b"bytes", object(), [math.nan]])
#: JSON that neither backend may store: a NUL character anywhere.
with_nul = st.sampled_from(
    ["\x00", "a\x00b", ["\x00"], {"k": "\x00"}, {"\x00": 1}, "\ud800", {"\udc00": ["x"]}]
)
huge_text = st.integers(min_value=65 * 1024, max_value=80 * 1024).map(lambda n: "x" * n)
key_segment = st.from_regex(r"\A[a-z0-9_]{1,12}\Z")
valid_keys = st.lists(key_segment, min_size=1, max_size=4).map(".".join)
invalid_keys = (
    st.text(max_size=30).filter(lambda k: not KEY_RE.match(k))
    | st.just("a" * 256)
    | st.sampled_from(["", ".", "a.", ".a", "A.b", "a..b", "sync completed", "é", "a.b\n"])
    | st.integers()
    | st.none()
)
bad_ints = st.sampled_from([0, -1, True, False, "1", 1.5, 2**31, 2**63, 2**80, None])


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> tuple[int, ...]:
    found = (
        rows(Activity),
        rows(EventMessage),
        rows(Operation),
        rows(Action),
        huey.pending_count(),
    )
    db.session.rollback()
    return found


def refused(call) -> None:
    """``call`` raises ValueError and writes nothing (the caller's session stays usable)."""
    before = counts()
    with pytest.raises(ValueError):
        call()
    db.session.rollback()
    assert counts() == before


def same_json(stored, given_value) -> bool:
    """Equal as JSON. PostgreSQL's JSONB keeps numbers as decimals, so a float past 2**53 may
    come back as the integer its digits spell: numbers are compared to 15 significant digits."""
    if isinstance(given_value, float) and isinstance(stored, int | float):
        return math.isclose(stored, given_value, rel_tol=1e-15, abs_tol=0.0)
    if isinstance(given_value, dict) and isinstance(stored, dict):
        return stored.keys() == given_value.keys() and all(
            same_json(stored[k], v) for k, v in given_value.items()
        )
    if isinstance(given_value, list | tuple) and isinstance(stored, list):
        return len(stored) == len(given_value) and all(
            same_json(a, b) for a, b in zip(stored, given_value, strict=True)
        )
    return type(stored) is type(given_value) and stored == given_value


# -- record_activity ---------------------------------------------------------------------------


@PROPERTY
@given(
    key=valid_keys,
    # A bare integer must fit 64 bits (SQLite would turn a larger one into a float).
    value=json_values.filter(lambda v: type(v) is not int or -(2**63) <= v < 2**63),
    message=st.none() | texts(max_size=200),
    system=st.booleans(),
    private=st.booleans(),
    action=st.none() | st.from_regex(r"\A[a-z0-9_]{1,20}\Z"),
)
def test_record_activity_stores_valid_input_as_given(
    ctx, subscriber, key, value, message, system, private, action
):
    activity = record_activity(
        key,
        value,
        message,
        user_id=subscriber.id,
        system=system,
        private=private,
        action_required=action,
        action_url="/demo" if action else None,
    )
    stored = db.session.get(Activity, activity.id, populate_existing=True)
    assert (stored.key, stored.message, stored.system, stored.private) == (
        key,
        message,
        system,
        private,
    )
    assert same_json(stored.value, value)
    db.session.rollback()


@PROPERTY
@given(
    bad=st.one_of(
        invalid_keys.map(lambda k: {"key": k}),
        not_json.map(lambda v: {"value": v}),
        with_nul.map(lambda v: {"value": v}),
        huge_text.map(lambda v: {"value": v}),
        st.sampled_from([2**63, -(2**63) - 1, 2**80]).map(lambda v: {"value": v}),
        st.sampled_from([1, b"m", "m" * 10_001, "nul\x00", "\udc80"]).map(lambda m: {"message": m}),
        st.just({"user_id": 987654}),  # no such user
        bad_ints.filter(lambda v: v is not None).map(lambda u: {"user_id": u}),
        st.sampled_from([1, "yes", None]).map(lambda s: {"system": s}),
        st.sampled_from([0, "no", None]).map(lambda p: {"private": p}),
        st.sampled_from(["Re-Auth", "a" * 65, 1, "reauth\n"]).map(lambda a: {"action_required": a}),
        st.sampled_from(["javascript:alert(1)", "//evil.example", "data:x", 3]).map(
            lambda u: {"action_url": u}
        ),
    )
)
def test_record_activity_refuses_invalid_input_and_writes_nothing(ctx, bad):
    args = {"key": "sync.completed", "value": True, "message": None, **bad}
    key, value, message = args.pop("key"), args.pop("value"), args.pop("message")
    refused(lambda: record_activity(key, value, message, **args))


# -- queue_event -------------------------------------------------------------------------------

param_names = st.from_regex(r"\A[a-z_][a-z0-9_]{0,10}\Z").filter(
    lambda n: n not in ("queue", "owner_id", "commit")
)


@PROPERTY
@given(
    queue=st.sampled_from(["high", "medium", "low"]),
    params=st.dictionaries(param_names, json_values, max_size=4),
    owned=st.booleans(),
)
def test_queue_event_stores_valid_input_as_given(ctx, subscriber, queue, params, owned):
    owner = subscriber.id if owned else None
    message = queue_event("reliability", queue, owner_id=owner, **params)
    stored = db.session.get(EventMessage, message.id, populate_existing=True)
    assert (stored.name, stored.priority, stored.owner_id) == ("reliability", queue, owner)
    assert same_json(stored.params, params)
    db.session.rollback()


@PROPERTY
@given(
    bad=st.one_of(
        st.text(max_size=20).filter(lambda n: n != "reliability").map(lambda n: {"name": n}),
        st.sampled_from([None, 1, b"reliability"]).map(lambda n: {"name": n}),
        st.sampled_from(["urgent", "", "HIGH", 30, None]).map(lambda q: {"queue": q}),
        not_json.map(lambda v: {"params": {"p": v}}),
        with_nul.map(lambda v: {"params": {"p": v}}),
        huge_text.map(lambda v: {"params": {"p": v}}),
        bad_ints.filter(lambda v: v is not None).map(lambda o: {"owner_id": o}),
        st.just({"owner_id": 987654}),  # no such user
    )
)
def test_queue_event_refuses_invalid_input_and_writes_nothing(ctx, bad):
    args = {"name": "reliability", "queue": "medium", "params": {}, **bad}
    name, queue, params = args.pop("name"), args.pop("queue"), args.pop("params")
    refused(lambda: queue_event(name, queue, **args, **params))


# -- start_operation ---------------------------------------------------------------------------

branch_names = st.from_regex(r"\A[A-Za-z0-9_.-]{1,20}\Z").filter(lambda b: b != "main")
actions = st.lists(st.sampled_from([W.step, W.fork, W.side, W.finish]), min_size=1, max_size=4)


@PROPERTY
@given(
    name=texts(min_size=1, max_size=60).filter(str.strip),
    globals_=st.dictionaries(texts(max_size=12), json_values, max_size=4),
    main=actions,
    others=st.dictionaries(branch_names, actions, max_size=2),
    retries=st.integers(min_value=0, max_value=20),
    retry_delay=st.floats(min_value=0, max_value=3600),
    delay=st.none() | st.floats(min_value=0, max_value=86400),
)
def test_start_operation_stores_valid_input_as_given(
    ctx, name, globals_, main, others, retries, retry_delay, delay
):
    before = rows(Operation)
    op = start_operation(
        name,
        globals=globals_,
        branches={"main": main, **others},
        retries=retries,
        retry_delay=retry_delay,
        delay=delay,
    )
    stored = db.session.get(Operation, op.id, populate_existing=True)
    assert stored.name == name and same_json(stored.globals, globals_)
    assert len(stored.actions) == len(main) + sum(len(a) for a in others.values())
    assert rows(Operation) in (before, before + 1)  # the same start twice is one operation
    db.session.rollback()


@PROPERTY
@given(
    bad=st.one_of(
        st.sampled_from(["", "   ", None, 1, "n" * 256, "n\x00"]).map(lambda n: {"name": n}),
        st.sampled_from([[], "globals", 1]).map(lambda g: {"globals": g}),
        not_json.map(lambda v: {"globals": {"g": v}}),
        with_nul.map(lambda v: {"globals": {"g": v}}),
        st.sampled_from(
            [
                {},
                {"side": [W.step]},
                {"main": []},
                {"main": W.step},
                {"main": ["no.such.module:action"]},
                {"main": [lambda action: None]},
                {"main": [W.step], "bad name!": [W.step]},
                {"main": [(W.step, {"perform_at": "tomorrow"})]},
                {"main": [(W.step, {"perform_at": dt.datetime(2030, 1, 1)})]},
                {"main": [(W.step, {"when": 1})]},
            ]
        ).map(lambda b: {"branches": b}),
        st.sampled_from([-1, 1.5, "3", True, math.inf]).map(lambda r: {"retries": r}),
        st.sampled_from([-1, "10", math.nan, math.inf]).map(lambda r: {"retry_delay": r}),
        st.sampled_from([-5, "soon", math.inf]).map(lambda d: {"delay": d}),
        st.just({"delay": 1, "eta": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}),
        st.sampled_from([dt.datetime(2030, 1, 1), "2030-01-01"]).map(lambda e: {"eta": e}),
        bad_ints.filter(lambda v: v is not None).map(lambda o: {"owner_id": o}),
        st.sampled_from(["", 5, "k" * 256, "k\x00"]).map(lambda k: {"idempotency_key": k}),
        st.sampled_from([10**6, 2**40]).map(lambda r: {"retries": r}),
        st.sampled_from([1e12, 1e300]).map(lambda d: {"retry_delay": d}),
        st.sampled_from([1e12, 1e300]).map(lambda d: {"delay": d}),
        st.just({"owner_id": 987654}),  # no such user
    )
)
def test_start_operation_refuses_invalid_input_and_writes_nothing(ctx, bad):
    args = {"name": "property.op", "globals": {}, "branches": {"main": [W.step]}, **bad}
    assume(args != {"name": "property.op", "globals": {}, "branches": {"main": [W.step]}})
    refused(lambda: start_operation(**args))
