"""Writing activities (one insert path, in the session's transaction or a short one of its
own: ``write_transaction``), and announcing them once their transaction has committed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypedDict, Unpack

from blinker import Namespace
from sqlalchemy import (
    Connection,
    Engine,
    Text,
    bindparam,
    cast,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity.models import Activity
from webapp.activity.validation import (
    base_key,
    encode_value,
    validate_action,
    validate_flag,
    validate_key,
    validate_message,
    validate_subject,
    validate_user_id,
)
from webapp.database import WRITE, iso_utc, utcnow
from webapp.extensions import db
from webapp.masking import masked

_signals = Namespace()

#: Sent after a transaction that inserted activities commits (never on rollback), with
#: ``activities``: a sequence of dicts (see ``wire_dict``) in id order.
activity_committed = _signals.signal("activity-committed")

_PENDING = "beacon.new_activities"
#: The columns of an Activity row.
COLUMNS = tuple(column.key for column in Activity.__table__.columns)


def subject_identity(subject: Any) -> tuple[str, str]:
    """(subject_type, subject_id) of a model (table name, primary key) or a plain object;
    ("", "") for no subject."""
    if subject is None:
        return "", ""
    subject_type = getattr(subject, "activity_subject_type", None)
    subject_id = getattr(subject, "activity_subject_id", None)
    if subject_type is None:
        table = getattr(subject, "__tablename__", None)
        if table is None:
            raise ValueError(
                f"{subject!r} has no activity identity: set activity_subject_type and "
                "activity_subject_id, or use a SQLAlchemy model"
            )
        subject_type = table
        if subject_id is None:
            from sqlalchemy import inspect

            identity = inspect(subject).identity
            if identity is None:
                raise ValueError(f"{subject!r} has no primary key yet: flush it first")
            subject_id = ":".join(str(part) for part in identity)
    return validate_subject(subject_type, subject_id)


def subject_owner(subject: Any) -> int | None:
    if subject is None:
        return None
    owner = getattr(subject, "activity_user_id", None)
    if owner is None:
        owner = getattr(subject, "user_id", None)
    return owner


def activity_values(
    key: str,
    value: Any = True,
    message: str | None = None,
    *,
    subject: Any = None,
    user_id: int | None = None,
    system: bool = False,
    private: bool = False,
    action_required: str | None = None,
    action_url: str | None = None,
) -> dict[str, Any]:
    """The validated column values of one activity (plus ``value_json``, the value as the
    JSON that is stored); raises ValueError naming the bad field."""
    validate_key(key)
    value_json = encode_value(value)
    subject_type, subject_id = subject_identity(subject)
    owner = validate_user_id(user_id if user_id is not None else subject_owner(subject))
    validate_action(action_required, action_url)
    return {
        "created_at": utcnow(),
        "key": key,
        "base_key": base_key(key),
        "value": value,
        "value_json": value_json,
        "outcome": value if isinstance(value, bool) else None,
        "truthy": bool(value),
        "message": validate_message(message),
        "subject_type": subject_type,
        "subject_id": subject_id,
        "user_id": owner,
        "system": validate_flag("system", system),
        "private": validate_flag("private", private),
        "action_required": action_required,
        "action_url": action_url,
    }


def build_activity(*args: Any, **kwargs: Any) -> Activity:
    """A validated, unsaved Activity (same arguments as record_activity, without commit)."""
    values = activity_values(*args, **kwargs)
    del values["value_json"]
    return Activity(**values)


@lru_cache(maxsize=4)
def _insert_statement(dialect_name: str) -> Insert:
    """INSERT of activities whose value is bound as the JSON validation already encoded (a
    value is serialized once, not once to check it and again to store it)."""
    value: ColumnElement[Any] = bindparam("value_json", type_=Text)
    if dialect_name == "postgresql":
        value = cast(value, JSONB)
    return insert(Activity.__table__).values(value=value)


def insert_activities(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT validated rows (``activity_values``) on ``conn``; each row gets its ``id``.

    A Core insert skips the unit of work (the log is append-only: the ORM has nothing to
    track). An owner that is not a user breaks the only constraint an insert can: a
    ValueError naming it, like any other bad input (checked by the database, not by a query).
    """
    stmt = _insert_statement(conn.dialect.name)
    try:
        if len(rows) == 1:
            ids = list(conn.execute(stmt, rows[0]).inserted_primary_key or ())
        else:
            ids = _allocate_ids(conn, len(rows))
            conn.execute(
                stmt, [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
            )
    except IntegrityError as exc:
        orig = exc.orig
        if getattr(orig, "sqlstate", None) != "23503" and "FOREIGN KEY" not in str(orig):
            raise
        owners = sorted({row["user_id"] for row in rows if row["user_id"] is not None})
        raise ValueError(f"user_id {', '.join(map(str, owners))}: no such user") from None
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    return ids


def _allocate_ids(conn: Connection, count: int) -> list[int]:
    """Ids for a batch, so it is inserted as one plain executemany: SQLAlchemy can keep
    RETURNING in the rows' order on SQLite only by sending one INSERT per row (100 statements
    for 100 rows), and on PostgreSQL the sorted form cost P1 ``record_many`` 0.89 -> 0.35 of a
    raw insert. PostgreSQL: drawn from the column's sequence in one round trip. SQLite: the
    next ids after the current maximum; the transaction holds the write lock from its first
    statement (``write_transaction``) or fails to write at all, and an id taken twice would
    break the primary key, never repeat silently."""
    if conn.dialect.name == "postgresql":
        return list(
            conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('activity', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            ).scalars()
        )
    start = conn.execute(select(func.coalesce(func.max(Activity.id), 0))).scalar_one() + 1
    return list(range(start, start + count))


def _record(rows: list[dict[str, Any]], commit: bool) -> list[int]:
    """Insert the rows and announce them once committed: ``commit`` in ``write_transaction``,
    else in the session's transaction, announced when the caller commits it."""
    if commit:
        with write_transaction(one_statement=len(rows) == 1) as tx:
            return tx.insert(rows)
    session = db.session()
    try:
        ids = insert_activities(session.connection(), rows)
    except (ValueError, IntegrityError):
        session.rollback()  # PostgreSQL has aborted the transaction: nothing of it can commit
        raise
    session.info.setdefault(_PENDING, []).extend(rows)
    return ids


class WriteTransaction:
    """The block's connection, plus ``record`` for activities inside the transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.rows: list[dict[str, Any]] = []
        self.rolled_back = False

    def execute(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        return self.connection.execute(statement, params)

    def record(self, *args: Any, **kwargs: Any) -> int:
        """Append one activity (record_activity's arguments, without ``commit``); its id."""
        row = activity_values(*args, **kwargs)
        self.insert([row])
        return row["id"]

    def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        """Append validated rows (``activity_values``); their ids, in order."""
        ids = insert_activities(self.connection, rows)
        self.rows.extend(rows)
        return ids

    def rollback(self) -> None:
        """Undo the block's writes when it ends, instead of committing them."""
        self.rolled_back = True


@contextmanager
def write_transaction(
    *, durable: bool = True, one_statement: bool = False
) -> Iterator[WriteTransaction]:
    """``with write_transaction() as tx: tx.execute(...); tx.record(...)``: one transaction,
    committed when the block ends (rolled back on an exception or ``tx.rollback()``); its
    activities are announced after the commit.

    A pooled connection of its own, without the session's bookkeeping, unless the session has
    a transaction open (or changes): then the session's (on SQLite a second writer would wait
    for it), and the session commits. ``durable=False``: on PostgreSQL the COMMIT does not
    wait for the disk (``synchronous_commit`` off for this transaction alone), for writes
    that a database crash may lose without harm. ``one_statement``: the block runs one
    statement, which on PostgreSQL then commits on its own in one round trip, without a
    BEGIN and a COMMIT around it (P1 PostgreSQL ``record_activity``: 1.35 of a raw insert
    with it, 0.93 without).
    """
    session = db.session()
    if session.in_transaction() or session.dirty:
        tx = WriteTransaction(session.connection())
        try:
            yield tx
        except BaseException:
            session.rollback()
            raise
        if tx.rolled_back:
            session.rollback()
            return
        session.info.setdefault(_PENDING, []).extend(tx.rows)
        session.commit()
        return
    bind = session.get_bind(Activity.__mapper__)
    with (bind if isinstance(bind, Engine) else bind.engine).connect() as conn:
        conn.execution_options(**WRITE)  # SQLite: the write lock from the first statement
        if one_statement and conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        trans = conn.begin()
        if not durable and conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        tx = WriteTransaction(conn)
        try:
            yield tx
        except BaseException:
            trans.rollback()
            raise
        if tx.rolled_back:
            trans.rollback()
            return
        trans.commit()
    if tx.rows:
        _send(list(tx.rows))


def _detached(row: dict[str, Any]) -> Activity:
    """The Activity of an inserted row, detached, as if loaded by a query: built straight from
    its values (the constructor would fire an attribute event per column for nothing)."""
    configure_mappers()  # a no-op once done; new_instance() alone would not do it
    activity = Activity.__mapper__.class_manager.new_instance()
    activity.__dict__.update({name: row[name] for name in COLUMNS})
    make_transient_to_detached(activity)
    return activity


class ActivityFlags(TypedDict, total=False):
    """The keyword arguments an activity takes beside its key, value, message and subject
    (``activity_values``' defaults apply to those left out)."""

    system: bool
    private: bool
    action_required: str | None
    action_url: str | None


def record_activity(
    key: str,
    value: Any = True,
    message: str | None = None,
    *,
    subject: Any = None,
    user_id: int | None = None,
    commit: bool = True,
    **flags: Unpack[ActivityFlags],
) -> Activity:
    """Append one activity. Commits unless ``commit=False`` (then it joins the caller's
    transaction and is announced when that commits). Bad input raises ValueError, writes nothing.
    """
    row = activity_values(key, value, message, subject=subject, user_id=user_id, **flags)
    _record([row], commit)
    return _detached(row)


def record_many(entries: Iterable[Mapping[str, Any]], *, commit: bool = True) -> list[int]:
    """Append many activities in one transaction and return their ids in order; each entry
    holds record_activity's arguments. Every entry is validated before anything is written:
    one bad entry writes none of them."""
    rows = []
    for index, entry in enumerate(entries):
        try:
            rows.append(activity_values(**entry))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"activity entry {index}: {exc}") from None
    return _record(rows, commit) if rows else []


WIRE_FIELDS = (
    "id",
    "key",
    "value",
    "message",
    "created_at",
    "subject_type",
    "subject_id",
    "system",
    "action_required",
    "action_url",
    "user_id",
    "private",
    "truthy",
    "base_key",
)


def wire_dict(row: Any, fields: Sequence[str] = WIRE_FIELDS) -> dict[str, Any]:
    """The wire form of an activity's values (the ``activity`` payload; the feed's items
    take their ``fields`` of it): ``row`` is a mapping, or anything with those attributes
    (an Activity, a result row); times in ``iso_utc``, no subject as None."""
    if not isinstance(row, Mapping):
        row = {name: getattr(row, name) for name in fields}
    item = {name: row[name] for name in fields}
    item["created_at"] = iso_utc(row["created_at"])
    item["subject_type"] = row["subject_type"] or None
    item["subject_id"] = row["subject_id"] or None
    if "value" in item:
        item["value"] = masked(item["value"])
    return item


class WireItems(Sequence):
    """The wire dicts of committed rows, in id order, each built when first read (most
    receivers of ``activity_committed`` only need the last id, or nothing at all)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._items: list[dict[str, Any] | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        if item is None:
            item = self._items[index] = wire_dict(self._rows[index])
        return item

    def __repr__(self) -> str:
        return f"<WireItems {[row['id'] for row in self._rows]}>"


# Commit hook: collect activities as they are flushed, announce them only after COMMIT.


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, Activity)]
    if new:
        session.info.setdefault(_PENDING, []).extend(
            {name: getattr(a, name) for name in WIRE_FIELDS} for a in new
        )


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        _send(pending)


def _send(rows: list[dict[str, Any]]) -> None:
    rows.sort(key=itemgetter("id"))
    activity_committed.send(None, activities=WireItems(rows))


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
