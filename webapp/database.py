"""Column types and engine settings shared by every domain."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import JSON, DateTime, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from webapp.files import private_file

#: JSON on SQLite, JSONB on PostgreSQL (containment queries use its index).
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


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC)

    def result_processor(self, dialect, coltype):
        """On SQLite, the stored text parsed straight to an aware datetime in one step: the
        generic path (the SQLite type's regular expressions, then ``replace(tzinfo=...)``)
        cost several times more, for every time of every row read."""
        generic = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return generic

        def process(value, _parse=dt.datetime.fromisoformat):
            if value.__class__ is str and len(value) in (19, 26) and value[10] == " ":
                try:
                    # Stored as naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]": read as UTC.
                    return _parse(value + "+00:00")
                except ValueError:
                    pass
            return generic(value)

        return process


_JSON_SCALARS: dict[Any, Any] = {
    literal: value
    for text, value in (("true", True), ("false", False), ("null", None))
    for literal in (text, text.encode())
}


_MISSING = object()


def loads_json(text: str | bytes, _scalar=_JSON_SCALARS.get) -> Any:
    """``json.loads``, with the commonest activity values (``true``, ``false``, ``null``)
    looked up instead of parsed; the JSON deserializer of every engine (SQLite's JSON columns,
    psycopg's JSONB)."""
    try:
        value = _scalar(text, _MISSING)
    except TypeError:  # unhashable (a buffer): not one of them
        value = _MISSING
    return json.loads(text) if value is _MISSING else value


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, write transactions that begin IMMEDIATE, and a database
    file only its owner can read.

    A deferred SQLite transaction that reads and then writes fails at once with "database is
    locked" if another connection wrote in between, whatever the busy timeout; beginning every
    transaction IMMEDIATE makes writers queue on the busy timeout instead.
    """
    if engine.dialect.name != "sqlite":
        return

    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):

        @event.listens_for(engine, "do_connect")
        def _private_file(dialect, conn_rec, cargs, cparams):
            private_file(database)  # before SQLite creates it with the umask's permissions

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        readonly = bool(conn.get_execution_options().get("sqlite_readonly"))
        # query_only stays set on the connection: switch it only when it must change (a
        # connection that never read only pays nothing).
        info = conn.connection.info
        if info.get("query_only", False) != readonly:
            conn.exec_driver_sql(f"PRAGMA query_only={int(readonly)}")
            info["query_only"] = readonly
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


#: Execution options of a transaction that only reads (see ``begin_read_only``).
READ_ONLY = {"sqlite_readonly": True, "postgresql_readonly": True}


def read_only_session(session: Any) -> None:
    """Make every transaction ``session`` begins from now on read-only, as ``begin_read_only``
    makes one, without connecting now: the session's engine carries ``READ_ONLY`` from its
    first statement on (see ``ReadOnlyAware`` in ``webapp.extensions``). A request that never
    touches the database never connects to it (``/healthz`` answers while it is away)."""
    session.info["read_only"] = True


def begin_read_only(session: Any) -> None:
    """Begin ``session``'s transaction as one that cannot write: on SQLite a plain ``BEGIN``
    (not the IMMEDIATE one that takes the write lock) under ``PRAGMA query_only``, on
    PostgreSQL a ``READ ONLY`` transaction. A write in it fails in the database itself.
    Call it before the session's first statement."""
    session.connection(execution_options=READ_ONLY)


def string_list_table(values: list[str], dialect_name: str, name: str = "names"):
    """A one-column (``value``) table of these strings, for joining against in one query.

    ``json_each`` on SQLite and ``unnest`` on PostgreSQL: no limit on the number of values
    (a UNION of SELECTs stops at 500 terms on SQLite).
    """
    import json

    from sqlalchemy import String, func, literal, select
    from sqlalchemy.dialects.postgresql import ARRAY

    if dialect_name == "postgresql":
        fn = func.unnest(literal(values, ARRAY(String))).table_valued("value").render_derived()
    else:
        fn = func.json_each(literal(json.dumps(values))).table_valued("value")
    return select(fn.c.value.label("value")).subquery(name)
