"""json_contains gives the same answers on SQLite as jsonb @> on PostgreSQL, on any JSON column.

Every query is checked against a plain-Python statement of jsonb containment, on both
backends, so the two databases agree with it and with each other.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from webapp.database import JSONType, json_contains
from webapp.extensions import db

BIG = 2**53  # past it, not every integer is a float

STORED = [
    {"a": 1, "s": "x", "n": {"b": 2, "c": [1]}, "l": [1, 2, "z"], "f": 0.5},
    {"a": True, "b": False, "l": [True]},
    {"a": "1", "l": 1, "n": [{"b": 2}]},
    {"a": None, "s": "", "n": {}},
    {"a": 1.0, "u": "é", "l": [], "a.b": 3},
    {"l": ["1", 2.0, None], "n": {"b": {"c": "deep"}}},
    {"big": BIG + 1, "real": float(BIG), "l": [BIG + 1], "a": 1.5},
    {},
]

QUERIES = [
    {},
    {"a": 1},
    {"a": 1.0},
    {"a": 1.5},
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
    {"big": BIG + 1},
    {"big": BIG},
    {"big": float(BIG)},
    {"real": BIG},
    {"real": BIG + 1},
    {"l": [BIG]},
    {"l": [BIG + 1]},
]

probe = Table(
    "json_contains_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("doc", JSONType),
)


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
        return stored == query  # exact, int against float too
    return False


@pytest.fixture
def stored_ids(ctx) -> list[int]:
    probe.metadata.create_all(db.engine)
    ids = [
        db.session.execute(insert(probe).values(doc=doc).returning(probe.c.id)).scalar_one()
        for doc in STORED
    ]
    db.session.commit()
    return ids


def test_json_contains_matches_jsonb_containment(stored_ids):
    mismatches = []
    for query in QUERIES:
        found = db.session.scalars(
            select(probe.c.id).where(json_contains(probe.c.doc, query, "doc")).order_by(probe.c.id)
        ).all()
        expected = [i for i, doc in zip(stored_ids, STORED, strict=True) if contains(doc, query)]
        if found != expected:
            mismatches.append((query, found, expected))
    assert mismatches == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([1], "doc filter must be a dict, got [1]"),
        ({"l": [{"a": 1}]}, "unsupported value {'a': 1} at doc['l'][0]"),
        ({"l": [[1]]}, "unsupported value [1] at doc['l'][0]"),
        ({'we"ird': 1}, "unsupported key 'we\"ird' in doc"),
        ({"back\\slash": 1}, "unsupported key 'back"),
        ({"n": {"x": float("inf")}}, "unsupported value inf at doc['n']['x']: not valid JSON"),
        ({"x": 2**63}, "at doc['x']: past 64 bits"),
        ({"x": object()}, "unsupported value <object object at "),
        ({"x": "a\x00b"}, "value at doc['x'] contains a NUL character"),
        ({"l": ["\ud800"]}, "value at doc['l'][0] contains a lone surrogate"),
        ({"k\x00": 1}, "key 'k\\x00' in doc contains a NUL character"),
    ],
    ids=[
        "not-a-dict",
        "dict-in-list",
        "list-in-list",
        "quote-in-key",
        "backslash-in-key",
        "infinity",
        "past-64-bits",
        "object",
        "nul-in-text",
        "lone-surrogate",
        "nul-in-key",
    ],
)
def test_json_contains_refuses_what_it_cannot_match_naming_where(query, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        json_contains(probe.c.doc, query, "doc")
