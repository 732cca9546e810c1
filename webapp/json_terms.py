"""Term tables: what lets a search by JSON values (``json_contains``) seek instead of scan on
SQLite, at any key. PostgreSQL needs none: a GIN index (``jsonb_path_ops``) answers ``@>``.

SQLite cannot index inside a JSON document at keys nobody named in advance: an expression
index covers one path. So each searchable document keeps, beside its row, one term per
scalar it holds: ``(row_id, part, key, value)``, where ``key`` is the innermost object key
above the scalar (for an item of a list, the list's key), ``value`` the scalar as SQLite reads
it from JSON (text, integer, real, NULL for null; true and false read as 1 and 0) and
``part`` names the document when a row has several (a job's fields). Triggers
(``TermSource.triggers``) keep the terms in the transaction that writes the document, so they are
never stale; a foreign key deletes them with their row. A term table is defined on both
databases (models and migrations stay alike) and stays empty on PostgreSQL, where no trigger
fills it.

Terms are a filter that may let through too much, never too little: a term does not say at
which depth its key was, and 1 matches true. ``contains`` therefore always ANDs the terms
with the exact ``json_contains`` condition. Text longer than ``MAX_TERM`` characters is not
kept as a term (a traceback or a file path would bloat the index): a search for such a value
is decided by the exact condition alone, as is one for ``{}`` or ``[]``.

``TermIndex.prefilter`` chooses the plan, as a planner with statistics on values would: it
counts the rows of each term (up to a limit); when the rarest has at most that many, the
search reads only those rows, by id; else the rows are read in the list's own order, each
checked against its terms by index, which finds a page of such common values within a few
thousand rows. The limit is where both cost the same: reading c rows by id against reading
about PAGE × N ÷ c rows in order (N the table's rows), each of those cheaper by a factor the
index knows (``TermIndex.by_id_cost``), so c = √(PAGE × N ÷ factor): about 2,900 rows for
operations and events and 1,300 for jobs at a million rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    DDL,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    event,
    exists,
    false,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from webapp.database import db, json_contains

#: Text values longer than this are not kept as terms.
MAX_TERM = 200
#: A term with at most this many rows may be read by its rows (see ``TermIndex.prefilter``);
#: with fewer than ``FEWEST`` it always is. ``PAGE``: the rows a list page shows.
SPARSE = 10_000
FEWEST = 100
PAGE = 50


def gin_index(name: str, column: Column[Any]) -> Index:
    """PostgreSQL: ``column @> ...`` answered by a GIN index (jsonb_path_ops: containment
    only, smaller and faster than the default operator class). SQLite: the same index, empty
    (WHERE 0) and never used: the term table answers there, and both databases keep one
    schema (the migrations and the models stay alike)."""
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column.name: "jsonb_path_ops"},
        sqlite_where=text("0"),
    )


def term_table(metadata: MetaData, name: str, row_type: TypeEngine[Any], row_of: str) -> Table:
    """The term table ``name``: ``row_id`` (of ``row_type``, a foreign key to ``row_of``,
    deleted with it), ``part``, ``key``, ``value``. ``value`` is a BLOB column: on SQLite that
    affinity converts nothing, so a term keeps its JSON value's own type (the text "7" and the
    number 7 stay apart; 1 and 1.0 compare equal)."""
    return Table(
        name,
        metadata,
        Column("row_id", row_type, ForeignKey(row_of, ondelete="CASCADE"), nullable=False),
        Column("part", String(255), nullable=False, server_default=""),
        Column("key", String(255), nullable=False),
        Column("value", LargeBinary, nullable=True),
        # The search: the rows holding this key and value.
        Index(f"ix_{name}_key_value_row", "key", "value", "row_id"),
        # The triggers and the foreign key: a row's terms replaced or deleted.
        Index(f"ix_{name}_row_part", "row_id", "part"),
    )


@dataclass(frozen=True)
class TermSource:
    """Where a term table's documents are: ``table``'s JSON column ``document``, of the row
    ``row`` names; ``part`` (optional) a column naming which document of the row this is (its
    terms are replaced on their own, and a scalar at the document's root takes that name as
    its key). Writes the SQLite statements that keep the terms."""

    terms: str
    table: str
    row: str
    document: str
    part: str | None = None

    def _select(self, r: str, source: str = "") -> str:
        """The terms of the document of row ``r`` (``new``, or ``source``'s alias)."""
        doc = f"{r}.{self.document}"
        root = f"{r}.{self.part}" if self.part else "NULL"
        # Names from the code (a TermSource of a model), never from input.
        return f"""SELECT row_id, part, k, v FROM (
      SELECT {r}.{self.row} AS row_id, {root if self.part else "''"} AS part,
             COALESCE(CASE WHEN typeof(t.key) = 'integer'
               THEN (SELECT p.key FROM json_tree({doc}) AS p WHERE p.id = t.parent)
               ELSE t.key END, {root}) AS k,
             t.atom AS v
      FROM {source}json_tree({doc}) AS t
      WHERE t.type NOT IN ('object', 'array')
        AND (typeof(t.atom) <> 'text' OR length(t.atom) <= {MAX_TERM}))
    WHERE typeof(k) = 'text' AND length(k) <= 255"""  # noqa: S608

    def _insert(self, r: str) -> str:
        return f"INSERT INTO {self.terms} (row_id, part, key, value)\n    {self._select(r)};"

    def _delete(self, r: str) -> str:
        where = f"row_id = {r}.{self.row}"
        if self.part:
            where += f" AND part = {r}.{self.part}"
        return f"DELETE FROM {self.terms} WHERE {where};"  # noqa: S608 (names, as above)

    def triggers(self) -> list[str]:
        """SQLite triggers keeping the terms as documents are inserted, updated, deleted."""
        name, table = self.terms, self.table
        watched = f"{self.document}, {self.part}" if self.part else self.document
        return [
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN\n"
            f"  {self._insert('new')}\nEND",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {watched} ON {table} BEGIN\n"
            f"  {self._delete('old')}\n  {self._insert('new')}\nEND",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN\n"
            f"  {self._delete('old')}\nEND",
        ]

    def drops(self) -> list[str]:
        """The statements removing ``triggers``."""
        kinds = ("insert", "update", "delete")
        return [f"DROP TRIGGER IF EXISTS {self.terms}_{kind}" for kind in kinds]

    def backfill(self) -> str:
        """SQLite: the terms of every document already there (a migration's, or a bulk load's
        with the triggers off)."""
        select_all = self._select("src", f"{self.table} AS src, ")
        return f"INSERT INTO {self.terms} (row_id, part, key, value)\n    {select_all}"

    def keep(self, terms: Table) -> None:
        """Create the triggers (SQLite only) whenever ``terms`` is created (``create_all``;
        the migration creates them itself)."""
        for statement in self.triggers():
            event.listen(terms, "after_create", DDL(statement).execute_if(dialect="sqlite"))


def leaves(value: Any, key: str | None = None) -> Iterator[tuple[str, Any]]:
    """The terms a document holds if it contains ``value`` at ``key`` (a dict: at its own
    keys): (key, scalar) pairs as the triggers store them (true as 1, false as 0)."""
    if isinstance(value, Mapping):
        for inner, item in value.items():
            yield from leaves(item, inner)
    elif isinstance(value, list | tuple):
        for item in value:
            if not isinstance(item, Mapping | list | tuple):
                yield from leaves(item, key)
    elif key is None or len(key) > 255:
        return
    elif isinstance(value, str) and len(value) > MAX_TERM:
        return  # not kept as a term: the exact condition alone decides
    elif isinstance(value, float) and not math.isfinite(value):
        return
    else:
        yield key, int(value) if isinstance(value, bool) else value


@dataclass(frozen=True)
class TermIndex:
    """A term table and the id column of the rows it indexes."""

    terms: Table
    row: Column[Any]
    #: How many rows the list reads in its own order (a term probe each) in the time one row
    #: is read by id and checked in full; measured by bench P8 at a million rows: about 6 for
    #: operations and events, 30 for jobs (a row by its text id, then its fields' JSON).
    by_id_cost: float = 6.0

    def _holding(self, key: str, value: Any) -> ColumnElement[bool]:
        c = self.terms.c
        if value is None:
            return and_(c.key == key, c.value.is_(None))
        return and_(c.key == key, c.value == literal(value))

    def _sparse_limit(self, session: Any) -> int:
        """Up to how many rows the rarest term's rows are read by id: where reading its c
        rows by id costs what reading the list in order does (about ``PAGE`` × N ÷ c rows, N
        the table's rows), c = √(``PAGE`` × N ÷ ``by_id_cost``), between ``FEWEST`` and
        ``SPARSE``."""
        newest = select(func.max(literal_column("rowid", Integer))).select_from(self.row.table)
        rows = session.scalar(newest) or 0  # the rowid of the newest row: about how many
        return min(SPARSE, max(FEWEST, math.isqrt(int(PAGE * rows / self.by_id_cost))))

    def prefilter(self, pairs: list[tuple[str, Any]]) -> ColumnElement[bool] | None:
        """A condition on ``row`` that every row holding all these terms meets (None: no term
        to filter by, or not SQLite). Runs one small counting query per term."""
        session = db.session
        if not pairs or session.get_bind().dialect.name != "sqlite":
            return None
        limit = self._sparse_limit(session)
        unique = list(dict.fromkeys((k, v, type(v)) for k, v in pairs))
        counts = []
        for key, value, _type in unique:
            capped = select(literal(1)).where(self._holding(key, value)).limit(limit + 1)
            found = session.execute(select(func.count()).select_from(capped.subquery()))
            counts.append((found.scalar_one(), key, value))
        fewest, key, value = min(counts, key=lambda c: c[0])
        if fewest == 0:
            return false()
        if fewest <= limit:
            ids = session.scalars(select(self.terms.c.row_id).where(self._holding(key, value)))
            return self.row.in_(sorted(set(ids)))
        return and_(
            *(
                exists().where(self.terms.c.row_id == self.row, self._holding(k, v))
                for k, v, _type in unique
            )
        )


def contains(
    column: ColumnElement[Any], mapping: Mapping[str, Any], name: str, index: TermIndex
) -> ColumnElement[bool]:
    """``json_contains(column, mapping, name)``, sped up on SQLite by ``index``'s terms."""
    exact = json_contains(column, mapping, name)
    terms = index.prefilter(list(leaves(mapping)))
    return exact if terms is None else and_(terms, exact)
