"""Operation.globals_contains: the operations whose globals contain a mapping, as jsonb @> says
(the containment itself is proved in tests/database/test_json_contains.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.operations import actions as A
from webapp.extensions import db
from webapp.operations import Operation, start_operation


def test_globals_contains_finds_operations_by_nested_values_and_list_items(ctx):
    wanted = start_operation(
        "t.contains", {"acct": {"id": 7}, "tags": ["a", "b"]}, {"main": [A.step_a]}
    )
    start_operation("t.contains", {"acct": {"id": "7"}, "tags": ["b", "a"]}, {"main": [A.step_a]})
    start_operation("t.contains", {"acct": {"id": 7}, "tags": ["a"]}, {"main": [A.step_a]})
    query = Operation.globals_contains({"acct": {"id": 7}, "tags": ["b", "a"]})
    assert db.session.scalars(select(Operation.id).where(query)).all() == [wanted.id]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"l": [{"a": 1}]}, "unsupported value {'a': 1} at globals['l'][0]"),
        ({'we"ird': 1}, "unsupported key 'we\"ird' in globals"),
        ({"x": "\x00"}, "value at globals['x'] contains a NUL character"),
    ],
    ids=["dict-in-list", "quote-in-key", "nul"],
)
def test_globals_contains_refuses_values_naming_the_globals(query, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Operation.globals_contains(query)
