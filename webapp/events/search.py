"""Search events by their params: the GIN index (PostgreSQL) and the term table (SQLite) that
keep it fast at a million events, and the condition the admin list filters with (see
``webapp.json_terms``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.sql.elements import ColumnElement

from webapp.database import Model
from webapp.events.models import EventMessage
from webapp.json_terms import TermIndex, TermSource, contains, gin_index, term_table

_EVENTS = EventMessage.__table__

PARAMS_INDEX = gin_index("ix_event_message_params", _EVENTS.c.params)

TERMS = term_table(Model.metadata, "event_message_term", Integer(), "event_message.id")
SOURCE = TermSource("event_message_term", "event_message", "id", "params")
SOURCE.keep(TERMS)
INDEX = TermIndex(TERMS, _EVENTS.c.id)


def params_contain(mapping: Mapping[str, Any]) -> ColumnElement[bool]:
    """SQL: the event's params contain ``mapping``, as ``json_contains`` says; values it
    cannot match raise ValueError."""
    return contains(_EVENTS.c.params, mapping, "params", INDEX)
