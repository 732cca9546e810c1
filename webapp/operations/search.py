"""Search operations by their globals: the GIN index (PostgreSQL) and the term table (SQLite)
that keep ``Operation.globals_contains`` fast at a million operations (see
``webapp.json_terms``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.sql.elements import ColumnElement

from webapp.database import Model
from webapp.json_terms import TermIndex, TermSource, contains, gin_index, term_table
from webapp.operations.models import Operation

_OPERATIONS = Operation.__table__

GLOBALS_INDEX = gin_index("ix_operation_globals", _OPERATIONS.c.globals)

TERMS = term_table(Model.metadata, "operation_term", Integer(), "operation.id")
SOURCE = TermSource("operation_term", "operation", "id", "globals")
SOURCE.keep(TERMS)
INDEX = TermIndex(TERMS, _OPERATIONS.c.id)


def globals_contain(mapping: Mapping[str, Any]) -> ColumnElement[bool]:
    """``Operation.globals_contains(mapping)``, sped up on SQLite by the terms (the admin
    list's filter); values it cannot match raise ValueError."""
    return contains(_OPERATIONS.c.globals, mapping, "globals", INDEX)
