"""Search jobs by what they were given and what they hold: positional arguments, keyword
arguments (both from the ``serialized_job`` field, stored for jobs that include it) and
custom fields. The GIN index (PostgreSQL) and the term table (SQLite) that keep it fast at a
million jobs live here (see ``webapp.json_terms``).

Only the SQL store can search: the Redis store keeps each status in a hash of its own, which
Redis cannot query by value, so a search there raises ``SearchUnavailable`` rather than
answering "nothing found".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, exists
from sqlalchemy.sql.elements import ColumnElement

from webapp.database import Model, json_contains, json_value_contains
from webapp.jobs.models import JobStatusField, JobStatusRow
from webapp.json_terms import TermIndex, TermSource, gin_index, leaves, term_table

_JOBS = JobStatusRow.__table__
_FIELDS = JobStatusField.__table__

#: The field holding the task name, args and kwargs of a job that includes ``serialized_job``.
SERIALIZED = "serialized_job"

FIELDS_INDEX = gin_index("ix_job_status_field_value", _FIELDS.c.value)

TERMS = term_table(Model.metadata, "job_status_term", String(64), "job_status.id")
SOURCE = TermSource("job_status_term", "job_status_field", "job_id", "value", part="name")
SOURCE.keep(TERMS)
INDEX = TermIndex(TERMS, _JOBS.c.id, by_id_cost=30.0)


#: Why the Redis store cannot search (what the admin page says instead of a list).
SEARCH_UNAVAILABLE = (
    "Search by argument values is unavailable with the Redis job store "
    "(BEACON_JOB_STORE=redis): each status is a Redis hash read by its id, which Redis cannot "
    "find by a value inside it. The SQL job store (BEACON_JOB_STORE=sql) can search."
)


class SearchUnavailable(ValueError):
    """The job store cannot search by argument values (the Redis store)."""


@dataclass(frozen=True)
class ArgumentSearch:
    """What a job must hold: every one of ``args`` among its positional arguments, each of
    ``kwargs`` as a keyword argument, each of ``fields`` as a custom field. Values match as
    ``json_contains`` says (a dict contains, a list holds every item, a scalar is equal)."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.args or self.kwargs or self.fields)

    def condition(self) -> ColumnElement[bool]:
        """SQL on ``job_status``: the job holds all of it (ValueError for values no search
        can match)."""
        document: dict[str, Any] = {}
        if self.args:
            document["args"] = list(self.args)
        if self.kwargs:
            document["kwargs"] = dict(self.kwargs)
        clauses = []
        if document:
            clauses.append(
                _field(SERIALIZED, json_contains(_FIELDS.c.value, document, "arguments"))
            )
        terms = list(leaves(document))
        for name, value in self.fields.items():
            if not isinstance(name, str):
                raise ValueError(f"field name must be a string, got {name!r:.40}")
            where = f"field {name!r:.60}"
            clauses.append(_field(name, json_value_contains(_FIELDS.c.value, value, where)))
            terms += leaves(value, name)
        prefilter = INDEX.prefilter(terms)
        return and_(*clauses) if prefilter is None else and_(prefilter, *clauses)


def _field(name: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(_FIELDS.c.job_id == _JOBS.c.id, _FIELDS.c.name == name, condition)
