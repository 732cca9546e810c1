"""Operation.globals_contains gives the same answers on SQLite as jsonb @> on PostgreSQL.

Every query is checked against a plain-Python statement of jsonb containment, on both
backends, so the two databases agree with it and with each other.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.operations import actions as A
from webapp.extensions import db
from webapp.operations import Operation, start_operation

STORED = [
    {"a": 1, "s": "x", "n": {"b": 2, "c": [1]}, "l": [1, 2, "z"], "f": 0.5},
    {"a": True, "b": False, "l": [True]},
    {"a": "1", "l": 1, "n": [{"b": 2}]},
    {"a": None, "s": "", "n": {}},
    {"a": 1.0, "u": "é", "l": [], "a.b": 3},
    {"l": ["1", 2.0, None], "n": {"b": {"c": "deep"}}},
    {},
]

QUERIES = [
    {},
    {"a": 1},
    {"a": 1.0},
    {"a": True},
    {"a": False},
    {"b": False},
    {"a": "1"},
    {"a": None},
    {"missing": None},
    {"s": "x"},
    {"s": ""},
    {"u": "é"},
    {"f": 0.5},
    {"a": 1, "s": "x"},
    {"a": 1, "s": "y"},
    {"n": {}},
    {"n": {"b": 2}},
    {"n": {"b": {}}},
    {"n": {"b": {"c": "deep"}}},
    {"n": {"c": [1]}},
    {"l": []},
    {"l": [2]},
    {"l": [2, 1]},
    {"l": [1, "z", 1]},
    {"l": [True]},
    {"l": [1]},
    {"l": [None]},
    {"l": ["1"]},
    {"l": 1},
    {"a.b": 3},
]


def contains(stored: Any, query: Any) -> bool:
    """jsonb containment (PostgreSQL docs, 8.14.3) for the value types we support."""
    if isinstance(query, dict):
        return isinstance(stored, dict) and all(
            k in stored and contains(stored[k], v) for k, v in query.items()
        )
    if isinstance(query, list):
        return isinstance(stored, list) and all(any(contains(s, q) for s in stored) for q in query)
    if isinstance(query, bool) or isinstance(stored, bool):
        return type(query) is type(stored) and query == stored
    if query is None or stored is None:
        return query is stored
    if isinstance(query, str) or isinstance(stored, str):
        return isinstance(query, str) and isinstance(stored, str) and query == stored
    if isinstance(stored, int | float) and isinstance(query, int | float):
        return stored == query
    return False


@pytest.fixture
def stored_ids(ctx) -> list[int]:
    ids = []
    for i, globals_ in enumerate(STORED):
        ids.append(start_operation(f"t.contains.{i}", globals_, {"main": [A.step_a]}).id)
    return ids


def test_globals_contains_matches_jsonb_containment(stored_ids):
    mismatches = []
    for query in QUERIES:
        found = db.session.scalars(
            select(Operation.id).where(Operation.globals_contains(query)).order_by(Operation.id)
        ).all()
        expected = [i for i, g in zip(stored_ids, STORED, strict=True) if contains(g, query)]
        if found != expected:
            mismatches.append((query, found, expected))
    assert mismatches == []


@pytest.mark.parametrize(
    "query",
    [{"l": [{"a": 1}]}, {"l": [[1]]}, {'we"ird': 1}, {"x": float("inf")}, {"x": object()}],
    ids=["dict-in-list", "list-in-list", "quote-in-key", "infinity", "object"],
)
def test_globals_contains_refuses_unsupported_values(query):
    with pytest.raises(ValueError, match="unsupported"):
        Operation.globals_contains(query)
