"""Search events by their params: the GIN index (PostgreSQL) and the term table (SQLite) that
keep it fast at a million events, and the condition the admin list filters with (see
``webapp.json_terms``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Index, Integer, text
from sqlalchemy.sql.elements import ColumnElement

from webapp.database import Model
from webapp.events.models import EventMessage
from webapp.json_terms import TermIndex, TermSource, contains, term_table

_EVENTS = EventMessage.__table__

#: PostgreSQL: ``params @> ...`` answered by the index (jsonb_path_ops: containment only,
#: smaller and faster than the default operator class).
PARAMS_INDEX = Index(
    "ix_event_message_params",
    _EVENTS.c.params,
    postgresql_using="gin",
    postgresql_ops={"params": "jsonb_path_ops"},
    # SQLite: the same index, empty (WHERE 0) and never used: the term table answers there,
    # and both databases keep one schema (the migrations and the models stay alike).
    sqlite_where=text("0"),
)

TERMS = term_table(Model.metadata, "event_message_term", Integer(), "event_message.id")
SOURCE = TermSource("event_message_term", "event_message", "id", "params")
SOURCE.keep(TERMS)
INDEX = TermIndex(TERMS, _EVENTS.c.id)


def params_contain(mapping: Mapping[str, Any]) -> ColumnElement[bool]:
    """SQL: the event's params contain ``mapping``, as ``json_contains`` says; values it
    cannot match raise ValueError."""
    return contains(_EVENTS.c.params, mapping, "params", INDEX)
