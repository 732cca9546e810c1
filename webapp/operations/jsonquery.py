"""JSON containment as one SQL expression on PostgreSQL (jsonb ``@>``) and SQLite (JSON1).

Supported query values, with PostgreSQL's semantics reproduced on SQLite:

* str, int, float, bool, None: the stored value has the same JSON type and is equal
  (``True`` never matches ``1``; ``1`` matches ``1.0``; ``None`` matches a stored null, not a
  missing key);
* a dict: recursively, each of its keys is contained (``{}`` matches any object);
* a list of scalars: the stored value is a list holding every one of them, in any order
  (``[]`` matches any list).

Lists of lists or dicts are refused with ``ValueError`` (SQLite cannot match them the way
jsonb does), and so are keys containing ``"`` or ``\\`` (they cannot be written as a SQLite
JSON path) and text holding a NUL or a lone surrogate (neither database can store it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, and_, bindparam, exists, func, literal, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement

from webapp.database import check_storable_text

_SCALARS = (str, int, float, bool, type(None))


class JsonContains(ColumnElement[bool]):
    """``column`` contains ``mapping``; compiled per dialect."""

    type = Boolean()
    inherit_cache = False  # the mapping is not a cacheable bound structure

    def __init__(self, column: ColumnElement, mapping: Mapping[str, Any]) -> None:
        _check(mapping, "globals_contains")
        self.column = column
        self.mapping = dict(mapping)


def _check(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or '"' in key or "\\" in key:
                raise ValueError(f"unsupported key {key!r} in {where}")
            check_storable_text(key, f"key {key!r:.60} in {where}")
            _check(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if not isinstance(item, _SCALARS):
                raise ValueError(
                    f"unsupported value {item!r:.60} at {where}[{index}]: lists may hold "
                    "only str, int, float, bool or None"
                )
            _check(item, f"{where}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"unsupported value {value!r} at {where}: not valid JSON")
    elif not isinstance(value, _SCALARS):
        raise ValueError(f"unsupported value {value!r:.60} at {where}")
    elif type(value) is int and not -(2**63) <= value < 2**63:
        raise ValueError(f"unsupported value {value!r:.40} at {where}: past 64 bits")
    else:
        check_storable_text(value, f"value at {where}")


def _json_types(value: Any) -> tuple[str, ...]:
    """The SQLite ``json_type`` names a stored value equal to ``value`` may have."""
    if value is None:
        return ("null",)
    if value is True:
        return ("true",)
    if value is False:
        return ("false",)
    if isinstance(value, str):
        return ("text",)
    return ("integer", "real")


def _scalar_match(type_col: ColumnElement, value_col: ColumnElement, value: Any):
    types = _json_types(value)
    type_match = type_col == types[0] if len(types) == 1 else type_col.in_(types)
    if isinstance(value, bool) or value is None:
        return type_match  # the type alone says it: true, false, null
    return and_(type_match, value_col == value)


def _sqlite_clauses(column: ColumnElement, mapping: Mapping[str, Any], path: str) -> list:
    clauses = []
    for key, value in mapping.items():
        sub = f'{path}."{key}"'
        at = bindparam(None, sub)
        if isinstance(value, Mapping):
            clauses.append(func.json_type(column, at) == "object")
            clauses.extend(_sqlite_clauses(column, value, sub))
        elif isinstance(value, list | tuple):
            clauses.append(func.json_type(column, at) == "array")
            for item in value:
                each = func.json_each(column, bindparam(None, sub)).table_valued("type", "value")
                clauses.append(
                    exists(
                        select(literal(1))
                        .select_from(each)
                        .where(_scalar_match(each.c.type, each.c.value, item))
                    )
                )
        else:
            clauses.append(
                _scalar_match(
                    func.json_type(column, at),
                    func.json_extract(column, bindparam(None, sub)),
                    value,
                )
            )
    return clauses


@compiles(JsonContains)
def _compile_default(element: JsonContains, compiler, **kw) -> str:
    clauses = _sqlite_clauses(element.column, element.mapping, "$")
    return compiler.process(and_(true(), *clauses), **kw)


@compiles(JsonContains, "postgresql")
def _compile_postgresql(element: JsonContains, compiler, **kw) -> str:
    value = bindparam(None, element.mapping, type_=JSONB)
    return compiler.process(element.column.op("@>")(value), **kw)
