"""Term tables: the triggers keep every document's terms, and a search through them finds
exactly what ``json_contains`` finds, whichever plan the counts choose, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, delete, func, insert, select, update

from tests.database.test_json_contains import QUERIES, STORED, contains
from webapp import json_terms
from webapp.database import JSONType, json_contains, json_value_contains
from webapp.extensions import db
from webapp.json_terms import TermIndex, TermSource, term_table

metadata = MetaData()
docs = Table(
    "json_terms_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("doc", JSONType),
)
terms = term_table(metadata, "json_terms_probe_term", Integer(), "json_terms_probe.id")
SOURCE = TermSource("json_terms_probe_term", "json_terms_probe", "id", "doc")
SOURCE.keep(terms)
INDEX = TermIndex(terms, docs.c.id)

LONG = "x" * (json_terms.MAX_TERM + 1)


@pytest.fixture
def stored_ids(ctx) -> list[int]:
    metadata.create_all(db.engine)
    ids = [
        db.session.execute(insert(docs).values(doc=doc).returning(docs.c.id)).scalar_one()
        for doc in [*STORED, {"long": LONG}]
    ]
    db.session.commit()
    return ids


def _found(query: dict[str, Any]) -> list[int]:
    condition = json_terms.contains(docs.c.doc, query, "doc", INDEX)
    return list(db.session.scalars(select(docs.c.id).where(condition).order_by(docs.c.id)))


@pytest.mark.parametrize("sparse", [0, 10_000], ids=["by-order", "by-terms"])
def test_search_through_terms_finds_what_json_contains_finds(stored_ids, monkeypatch, sparse):
    monkeypatch.setattr(json_terms, "SPARSE", sparse)
    mismatches = []
    for query in [*QUERIES, {"long": LONG}]:
        expected = list(
            db.session.scalars(
                select(docs.c.id).where(json_contains(docs.c.doc, query, "doc")).order_by(docs.c.id)
            )
        )
        if _found(query) != expected:
            mismatches.append((query, _found(query), expected))
    assert mismatches == []


@pytest.mark.backends("sqlite")
def test_triggers_keep_the_terms_of_inserted_updated_and_deleted_documents(stored_ids):
    def held(row_id: int) -> set[tuple[str, Any]]:
        rows = db.session.execute(
            select(terms.c.key, terms.c.value).where(terms.c.row_id == row_id)
        ).all()
        return {(k, v) for k, v in rows}

    first = stored_ids[0]  # {"a": 1, "s": "x", "n": {"b": 2, "c": [1]}, "l": [1, 2, "z"], ...}
    assert {("a", 1), ("s", "x"), ("b", 2), ("c", 1), ("l", 1), ("l", "z")} <= held(first)
    db.session.execute(update(docs).where(docs.c.id == first).values(doc={"a": 7}))
    db.session.commit()
    assert held(first) == {("a", 7)}
    db.session.execute(delete(docs).where(docs.c.id == first))
    db.session.commit()
    assert held(first) == set()
    assert held(stored_ids[-1]) == set()  # text past MAX_TERM is left to the exact check
    assert _found({"long": LONG}) == [stored_ids[-1]]


@pytest.mark.backends("sqlite")
def test_a_value_no_document_holds_is_answered_without_reading_documents(stored_ids):
    assert INDEX.prefilter([("a", 12345)]) is not None
    assert _found({"a": 12345}) == []
    assert db.session.scalar(select(func.count()).select_from(terms)) > len(STORED)


ROOT_STORED: list[Any] = [1, 1.0, True, "1", None, [1, 2], ["1"], {"a": 1}, "x"]
ROOT_QUERIES: list[Any] = [1, 1.0, True, "1", None, [1], [2, 1], ["1"], {"a": 1}, {}, "x"]


def test_json_value_contains_matches_jsonb_containment_at_the_root(ctx):
    metadata.create_all(db.engine)
    ids = [
        db.session.execute(insert(docs).values(doc=doc).returning(docs.c.id)).scalar_one()
        for doc in ROOT_STORED
    ]
    db.session.commit()
    mismatches = []
    for query in ROOT_QUERIES:
        condition = json_value_contains(docs.c.doc, query, "value")
        found = list(db.session.scalars(select(docs.c.id).where(condition).order_by(docs.c.id)))
        expected = [i for i, doc in zip(ids, ROOT_STORED, strict=True) if contains(doc, query)]
        if found != expected:
            mismatches.append((query, found, expected))
    assert mismatches == []
