"""Writing activities, and announcing them once their transaction has committed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Any

from blinker import Namespace
from sqlalchemy import Text, bindparam, cast, event, func, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached

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
from webapp.database import iso_utc, utcnow
from webapp.extensions import db

_signals = Namespace()

#: Sent after a transaction that inserted activities commits (never on rollback), with
#: ``activities``: a sequence of dicts (see ``activity_dict``) in id order.
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
def _insert_statement(dialect_name: str):
    """INSERT of one activity whose value is bound as the JSON validation already encoded,
    so a value is serialized once, not once to check it and again to store it."""
    value = bindparam("value_json", type_=Text)
    if dialect_name == "postgresql":
        value = cast(value, JSONB)
    return insert(Activity.__table__).values(value=value)


def _insert(rows: list[dict[str, Any]], commit: bool) -> list[int]:
    """INSERT the rows (each gets its ``id``) and announce them once they have committed.

    A Core insert skips the unit of work (the log is append-only: the ORM has nothing to
    track), which keeps Beacon's write cost close to a raw insert.
    """
    session = db.session()  # the scoped registry's Session itself
    if commit and not session.in_transaction() and not session.dirty:
        # Nothing of the caller's to commit with them: the rows take a short transaction of
        # their own on a pooled connection, without the session's transaction bookkeeping.
        engine = session.get_bind(Activity.__mapper__)
        if len(rows) == 1 and engine.dialect.name == "postgresql":
            # One INSERT is atomic on its own: in autocommit it commits in one round trip,
            # instead of three with the BEGIN and COMMIT around it.
            with _unknown_owner(rows), engine.connect() as conn:
                ids = _execute(conn.execution_options(isolation_level="AUTOCOMMIT"), rows)
        else:
            with _unknown_owner(rows), engine.begin() as conn:
                ids = _execute(conn, rows)
        _send(list(rows))
        return ids
    try:
        ids = _execute(session.connection(), rows)
    except IntegrityError:
        session.rollback()  # PostgreSQL has aborted the transaction: nothing of it can commit
        with _unknown_owner(rows):
            raise
    session.info.setdefault(_PENDING, []).extend(rows)
    if commit:
        session.commit()
    return ids


@contextmanager
def _unknown_owner(rows: list[dict[str, Any]]) -> Iterator[None]:
    """An owner that is not a user breaks the only constraint an insert can: a ValueError
    naming it, like any other bad input (checked by the database, not by a query per row)."""
    try:
        yield
    except IntegrityError as exc:
        orig = exc.orig
        if getattr(orig, "sqlstate", None) != "23503" and "FOREIGN KEY" not in str(orig):
            raise
        owners = sorted({row["user_id"] for row in rows if row["user_id"] is not None})
        raise ValueError(f"user_id {', '.join(map(str, owners))}: no such user") from None


def _execute(conn, rows: list[dict[str, Any]]) -> list[int]:
    stmt = _insert_statement(conn.dialect.name)
    if len(rows) == 1:
        ids = [conn.execute(stmt, rows[0]).inserted_primary_key[0]]
        rows[0]["id"] = ids[0]
        return ids
    ids = _allocate_ids(conn, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    conn.execute(stmt, rows)
    return ids


def _allocate_ids(conn, count: int) -> list[int]:
    """Ids for a batch, so it can be inserted as one plain executemany (no RETURNING, which
    SQLAlchemy can only order row by row for SQLite).

    PostgreSQL: drawn from the column's sequence in one round trip. SQLite: the next ids after
    the current maximum, safe because every write transaction begins IMMEDIATE and so holds
    the database's write lock until it commits.
    """
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


def _detached(row: dict[str, Any]) -> Activity:
    """The Activity of an inserted row, detached, as if loaded by a query: built straight from
    its values (the constructor would fire an attribute event per column for nothing)."""
    configure_mappers()  # a no-op once done; new_instance() alone would not do it
    activity = Activity.__mapper__.class_manager.new_instance()
    activity.__dict__.update({name: row[name] for name in COLUMNS})
    make_transient_to_detached(activity)
    return activity


def record_activity(
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
    commit: bool = True,
) -> Activity:
    """Append one activity. Commits unless ``commit=False`` (then it joins the caller's
    transaction and is announced when that commits). Bad input raises ValueError, writes nothing.
    """
    row = activity_values(
        key,
        value,
        message,
        subject=subject,
        user_id=user_id,
        system=system,
        private=private,
        action_required=action_required,
        action_url=action_url,
    )
    _insert([row], commit)
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
    return _insert(rows, commit) if rows else []


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


def wire_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """The wire form of an activity's values (the API item and the ``activity`` payload)."""
    item = {name: row[name] for name in WIRE_FIELDS}
    item["created_at"] = iso_utc(row["created_at"])
    item["subject_type"] = row["subject_type"] or None
    item["subject_id"] = row["subject_id"] or None
    return item


def activity_dict(activity: Activity) -> dict[str, Any]:
    """The wire form of an Activity row."""
    return wire_dict({name: getattr(activity, name) for name in WIRE_FIELDS})


class WireItems(Sequence):
    """The wire dicts of committed rows, in id order, each built when first read (most
    receivers of ``activity_committed`` only need the last id, or nothing at all)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._items: list[dict[str, Any] | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
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
def _collect(session: Session, flush_context) -> None:
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
