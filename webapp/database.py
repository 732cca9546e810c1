"""The database: the SQLAlchemy instance, its session, column types and engine settings
shared by every domain."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import weakref
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, cast

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import (
    JSON,
    DateTime,
    Table,
    and_,
    bindparam,
    event,
    exists,
    func,
    or_,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from webapp.files import private_file

#: JSON on SQLite, JSONB on PostgreSQL (where ``json_contains`` is its ``@>``).
JSONType = JSON().with_variant(JSONB(), "postgresql")

#: The largest id an INTEGER column holds (PostgreSQL's ``integer``): a larger one is bad input.
MAX_ID = 2**31 - 1

# A JSON ``\u0000`` escape: preceded by an even number of backslashes (zero included), so an
# escaped backslash followed by "u0000" is not one.
_NUL_ESCAPE = re.compile(r"(?:^|[^\\])(?:\\\\)*\\u0000")


def check_storable_text(text: Any, what: str) -> None:
    """ValueError if ``text`` holds a NUL character, which PostgreSQL cannot store in text
    (SQLite can: refusing it on both keeps the backends alike), or a lone surrogate, which is
    not text at all (neither database can encode it)."""
    if not isinstance(text, str):
        return
    if "\x00" in text:
        raise ValueError(f"{what} contains a NUL character (\\x00), which cannot be stored")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{what} contains a lone surrogate: not text") from None


def check_storable_json(encoded: str, what: str) -> None:
    """ValueError if this JSON text (as ``json.dumps`` writes it, non-ASCII escaped) holds a
    NUL character (PostgreSQL's JSONB cannot store ``\\u0000``) or a lone surrogate."""
    if "\\u0000" in encoded and _NUL_ESCAPE.search(encoded):
        raise ValueError(f"{what} contains a NUL character (\\u0000), which cannot be stored")
    if "\\ud" in encoded:
        # A surrogate escape: a pair is a character past U+FFFF (an emoji), a lone one is not
        # text. Decoding and encoding again tells them apart (rare: only for such escapes).
        try:
            json.dumps(json.loads(encoded), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{what} contains a lone surrogate: not text") from None


def check_id(value: Any, what: str) -> int:
    """A positive integer id that fits the id columns (bool is not an id); ValueError if not."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(f"invalid {what} {value!r:.40}: a positive integer up to {MAX_ID}")
    return value


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def iso_utc(value: dt.datetime) -> str:
    """The one time format Beacon sends (API answers, Socket.IO payloads): ISO 8601 in UTC,
    written with ``Z`` (``2026-01-02T03:04:05.123456Z``)."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        """On SQLite, the stored text parsed straight to an aware datetime in one step: the
        generic path (the SQLite type's regular expressions, then ``replace(tzinfo=...)``)
        cost several times more, for every time of every row read."""
        generic = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or generic is None:
            return generic

        def process(value: Any, _parse: Any = dt.datetime.fromisoformat) -> Any:
            if value.__class__ is str and len(value) in (19, 26) and value[10] == " ":
                try:
                    # Stored as naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]": read as UTC.
                    return _parse(value + "+00:00")
                except ValueError:
                    pass
            return generic(value)

        return process


def json_contains(
    column: ColumnElement[Any], mapping: Mapping[str, Any], name: str
) -> ColumnElement[bool]:
    """SQL: the JSON object in ``column`` (a ``JSONType`` column) contains ``mapping``, as
    PostgreSQL's jsonb ``@>`` says, on PostgreSQL (``@>`` itself) and SQLite (``json_type``
    and the JSON index operators at each path, ``json_each`` for lists) alike. Built for the
    app's database: call it in an app context.

    * str, int, float, bool, None: the stored value has the same JSON type and is equal
      (``True`` never matches ``1``; ``1`` matches ``1.0``; ``None`` matches a stored null,
      not a missing key);
    * a dict: each of its keys is contained, recursively (``{}`` matches any object);
    * a list of scalars: the stored value is a list holding every one, in any order
      (``[]`` matches any list).

    Anything else raises ValueError naming ``name`` and where in it: lists of lists or dicts
    (SQLite cannot match them as jsonb does), keys holding ``"`` or ``\\`` (a SQLite JSON
    path cannot spell them), text with a NUL or a lone surrogate (neither database stores it).
    """
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{name} filter must be a dict, got {mapping!r:.80}")
    _check_contained(mapping, name)
    if db.engine.dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains(dict(mapping))
    return and_(true(), *_sqlite_contains(column, mapping, ()))


_SCALARS = (str, int, float, bool, type(None))


def _check_contained(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or '"' in key or "\\" in key:
                raise ValueError(f"unsupported key {key!r:.60} in {where}")
            check_storable_text(key, f"key {key!r:.60} in {where}")
            _check_contained(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if not isinstance(item, _SCALARS):
                raise ValueError(
                    f"unsupported value {item!r:.60} at {where}[{index}]: lists may hold "
                    "only str, int, float, bool or None"
                )
            _check_contained(item, f"{where}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"unsupported value {value!r} at {where}: not valid JSON")
    elif not isinstance(value, _SCALARS):
        raise ValueError(f"unsupported value {value!r:.60} at {where}")
    elif type(value) is int and not -(2**63) <= value < 2**63:
        raise ValueError(f"unsupported value {value!r:.40} at {where}: past 64 bits")
    else:
        check_storable_text(value, f"value at {where}")


def json_value_contains(column: ColumnElement[Any], value: Any, name: str) -> ColumnElement[bool]:
    """SQL: the JSON value in ``column`` contains ``value`` as ``json_contains`` says of a
    value at a key (a dict: its keys; a list of scalars: every one; a scalar: equal), on
    both databases; for a document that is not an object (a job's custom field). Values it
    cannot match raise ValueError naming ``name``."""
    _check_contained(value, name)
    if db.engine.dialect.name == "postgresql":
        contained = type_coerce(column, JSONB).contains(bindparam(None, value, type_=JSONB))
        if isinstance(value, Mapping | list | tuple):
            return contained
        # jsonb's @> lets an array contain a bare scalar; a value at a key must equal it.
        return and_(contained, func.jsonb_typeof(column) != "array")
    return and_(true(), *_sqlite_value(column, (), value))


def _sqlite_contains(
    column: ColumnElement[Any], mapping: Mapping[str, Any], path: tuple[str, ...]
) -> Iterator[ColumnElement[bool]]:
    """The conditions, one per value, that the object at ``path`` contains ``mapping``."""
    for key, value in mapping.items():
        yield from _sqlite_value(column, (*path, key), value)


def _sqlite_value(
    column: ColumnElement[Any], at: tuple[str, ...], value: Any
) -> Iterator[ColumnElement[bool]]:
    """The conditions that the JSON value at path ``at`` (``()``: the root) contains ``value``."""
    at_path = bindparam(None, at, type_=JSON.JSONPathType())  # '$."a"."b"'
    kind = func.json_type(column, at_path)
    if isinstance(value, Mapping):
        yield kind == "object"
        yield from _sqlite_contains(column, value, at)
    elif isinstance(value, list | tuple):
        yield kind == "array"
        items = func.json_each(column, at_path).table_valued("type", "fullkey")
        item = column[items.c.fullkey]  # each item, by its own path ('$."l"[0]')
        for wanted in value:
            yield exists().select_from(items).where(_sqlite_equal(items.c.type, item, wanted))
    else:
        yield _sqlite_equal(kind, column[at], value)


def _sqlite_equal(kind: ColumnElement[Any], element: Any, value: Any) -> ColumnElement[bool]:
    """SQLite: the JSON value ``element``, of ``json_type`` ``kind``, equals the scalar
    ``value`` as jsonb compares them: the same JSON type, then the same string or number."""
    if value is None or isinstance(value, bool):
        return kind == json.dumps(value)  # "null", "true", "false": the type says it all
    if isinstance(value, str):
        return and_(kind == "text", element.as_string() == value)
    # An integer read as one and a real as one: 1 matches 1.0, and no integer past 2**53
    # matches its neighbour (as they would both read as floats).
    return or_(
        and_(kind == "integer", element.as_integer() == value),
        and_(kind == "real", element.as_float() == value),
    )


_JSON_SCALARS: dict[Any, Any] = {
    literal: value
    for text, value in (("true", True), ("false", False), ("null", None))
    for literal in (text, text.encode())
}


_MISSING = object()


def loads_json(text: str | bytes, _scalar: Any = _JSON_SCALARS.get) -> Any:
    """``json.loads``, with the commonest activity values (``true``, ``false``, ``null``)
    looked up instead of parsed; the JSON deserializer of every engine (SQLite's JSON columns,
    psycopg's JSONB)."""
    try:
        value = _scalar(text, _MISSING)
    except TypeError:  # unhashable (a buffer): not one of them
        value = _MISSING
    return json.loads(text) if value is _MISSING else value


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, a database file only its owner can read, and transactions
    that take the write lock only when they write.

    SQLite's BEGIN is sent with the transaction's first statement, and its kind depends on
    the transaction: a read-only one (``read_only_session``) is a deferred ``BEGIN`` under
    ``PRAGMA query_only``; a writing one (``write_session``, every Huey task, every POST) a
    ``BEGIN IMMEDIATE``, which queues on the busy timeout for the write lock before its first
    read (a deferred transaction that reads and then writes fails at once with "database is
    locked" if another connection wrote in between, whatever the timeout); any other begins
    as its first statement does: a write takes the write lock at once, a read is deferred and
    never blocks a writer, however long it stays open (a ``flask shell``, a script, a test).
    """
    if engine.dialect.name != "sqlite":
        return

    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):

        @event.listens_for(engine, "do_connect")
        def _private_file(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> None:
            private_file(database)  # before SQLite creates it with the umask's permissions

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        readonly = bool(options.get("sqlite_readonly"))
        # query_only stays set on the connection: switch it only when it must change (a
        # connection that never read only pays nothing).
        info = conn.connection.info
        if info.get("query_only", False) != readonly:
            conn.exec_driver_sql(f"PRAGMA query_only={int(readonly)}")
            info["query_only"] = readonly
        info[_BEGIN] = "BEGIN" if readonly else _IMMEDIATE if options.get("sqlite_write") else None

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_with_first_statement(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        info = conn.connection.info
        if _BEGIN not in info:
            return
        begin = info.pop(_BEGIN) or (_IMMEDIATE if _WRITES.match(statement) else "BEGIN")
        cursor.execute(begin)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        conn.connection.info.pop(_BEGIN, None)  # a transaction that never ran a statement


_BEGIN = "beacon.begin"  # the BEGIN a SQLite transaction sends with its first statement
_IMMEDIATE = "BEGIN IMMEDIATE"
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)

#: Execution options of a transaction that only reads, and of one that writes.
READ_ONLY = {"sqlite_readonly": True, "postgresql_readonly": True}
WRITE = {"sqlite_write": True}
_MODES = {"read": READ_ONLY, "write": WRITE}

#: True while a Huey task runs in this context (``BeaconHuey.execute``): its transactions
#: are writing ones.
in_task: ContextVar[bool] = ContextVar("beacon_in_task", default=False)


class BeaconSession(Session):
    """``db.session``: its transactions begin as its mode says (``read_only_session``,
    ``write_session``; inside a Huey task, writing), through a variant of its engine carrying
    that mode's execution options (one per engine and mode, sharing the engine's pool)."""

    _engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        bind = super().get_bind(*args, **kwargs)
        mode = self.info.get("mode") or ("write" if in_task.get() else None)
        if mode is None or not isinstance(bind, Engine):
            return bind
        variants = BeaconSession._engines.setdefault(bind, {})
        if mode not in variants:
            variants[mode] = bind.execution_options(**_MODES[mode])
        return variants[mode]


def read_only_session(session: Any) -> None:
    """Make every transaction ``session`` begins from now on read-only, without connecting
    now: SQLite a deferred ``BEGIN`` under ``PRAGMA query_only``, PostgreSQL a ``READ ONLY``
    transaction; a write in one fails in the database itself. A request that never touches
    the database never connects to it (``/healthz`` answers while it is away)."""
    session.info["mode"] = "read"


def write_session(session: Any) -> None:
    """Make every transaction ``session`` begins from now on a writing one: on SQLite it
    takes the write lock with its first statement, for code that reads what it then writes."""
    session.info["mode"] = "write"


def begin_read_only(session: Any, *, each_statement: bool = False) -> None:
    """Begin ``session``'s next transaction as a read-only one (as ``read_only_session``
    makes every one), whatever the session's mode: for a long read inside a task. Call it
    before the transaction's first statement.

    ``each_statement``: on PostgreSQL, autocommit, so each statement reads its own snapshot
    as it does under READ COMMITTED anyway, without a BEGIN before the first and a ROLLBACK
    at the end (two round trips, on every step of the notification fan-out); SQLite keeps
    one deferred transaction (one snapshot for all its reads)."""
    options: dict[str, Any] = dict(READ_ONLY)
    if each_statement and session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    session.connection(execution_options=options)


def begin_write(session: Any) -> None:
    """Make the transaction ``session`` is in (or begins now) a writing one, if it has not
    run a statement yet: for a service that reads, then writes what it read. After its first
    statement it stays as it began (SQLite then takes the write lock at the first write)."""
    info = session.connection().connection.info
    if _BEGIN in info and info[_BEGIN] is None:  # SQLite, no statement yet, kind undecided
        info[_BEGIN] = _IMMEDIATE


class Base(DeclarativeBase):
    #: Every model maps one table (the default declares any FromClause).
    __table__: ClassVar[Table]


#: The database: every engine decodes JSON with ``loads_json`` (the activity values true and
#: false, read with every feed row, are looked up rather than parsed). Re-exported by
#: ``webapp.extensions`` with the other extensions; defined here, beside the session and
#: engine settings it is built with.
db = SQLAlchemy(
    model_class=Base,
    engine_options={"json_deserializer": loads_json},
    session_options={"class_": BeaconSession},
)

if TYPE_CHECKING:  # ``db.Model`` is made at run time: to the type checker it is ``Base``
    Model = Base
else:
    Model = db.Model


def upsert(table: Any) -> Any:
    """INSERT into ``table`` in the session's dialect, which offers ``on_conflict_do_*``
    (PostgreSQL's and SQLite's ``insert``)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE matched (the ``rowcount`` of its cursor result)."""
    return cast(CursorResult[Any], result).rowcount


def this_app() -> Flask:
    """The app behind ``current_app``, to keep beyond this context (a thread, a closure)."""
    return cast(Any, current_app)._get_current_object()
