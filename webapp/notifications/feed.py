"""What a user sees of the Activity log, and what they have read of it.

One definition of "visible" serves the feed page, the JSON API, the unread count, the resume
backlog and the live fan-out (``visible_condition`` in SQL, ``is_visible`` in Python; the
tests prove they agree):

* never a private activity, never another user's;
* the user's own non-system activities always; their own system activities only when they
  ask (``include_system``);
* admins who ask for system activities also see the system-wide ones (no owner).

Unread = visible without ``include_system``, id above the user's cursor and not marked read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity import Activity, wire_dict
from webapp.activity.queries import open_alert_condition, open_alerts_for_user
from webapp.activity.service import WIRE_FIELDS
from webapp.database import upsert, utcnow
from webapp.extensions import db
from webapp.inputs import MAX_INT, parse_int
from webapp.notifications.labels import action_label, key_label
from webapp.notifications.models import ActivityRead, ReadCursor
from webapp.notifications.signals import read_state_changed

#: The keys of a feed item (the API item and the Socket.IO ``activity`` payload): the first
#: ten of the activity's wire form.
ITEM_KEYS = WIRE_FIELDS[:10]
MAX_ID = MAX_INT
MAX_LIMIT = 100
MAX_READ_IDS = 1000


def visible_condition(
    user_id: int | ColumnElement[int],
    *,
    include_system: bool = False,
    is_admin: bool = False,
    columns: Any = Activity,
) -> ColumnElement[bool]:
    """SQL: the activity is in this user's feed (``columns``: the model, or its table's
    ``.c`` for a Core statement; ``user_id``: a value, or a column of a correlated query)."""
    own = columns.user_id == user_id
    if not include_system:
        return and_(own, columns.private.is_(False), columns.system.is_(False))
    scope = or_(own, columns.user_id.is_(None)) if is_admin else own
    return and_(scope, columns.private.is_(False))


def is_visible(row: Any, user_id: int, *, include_system: bool, is_admin: bool) -> bool:
    """Python: the same rule as ``visible_condition`` for a row already read."""
    if row.private:
        return False
    if row.user_id == user_id:
        return include_system or not row.system
    return row.user_id is None and include_system and is_admin


def item_dict(activity: Any, read: bool) -> dict[str, Any]:
    """A feed item: the activity's wire form (``ITEM_KEYS`` of it), whether it is ``read``,
    and its human ``label`` and ``action_label``; ``activity`` is an Activity or a row."""
    item = wire_dict(activity, ITEM_KEYS)
    item["read"] = read
    item["label"] = key_label(activity.key)
    item["action_label"] = action_label(activity.action_required)
    return item


# Parsing request values: ValueError names the bad value, nothing is read or written.


def parse_id(value: Any, name: str, *, allow_zero: bool = False) -> int:
    """An activity id from JSON or a query string: a positive 64-bit integer."""
    return parse_int(value, name, minimum=0 if allow_zero else 1, maximum=MAX_ID)


def parse_limit(value: Any) -> int:
    if value is None:
        return 50
    return parse_int(value, "limit", maximum=MAX_LIMIT)


def parse_read_ids(value: Any) -> list[int]:
    if not isinstance(value, list) or len(value) > MAX_READ_IDS:
        raise ValueError(f"ids must be a list of at most {MAX_READ_IDS} activity ids")
    if any(isinstance(v, str) for v in value):
        raise ValueError("ids must be integers, not strings")
    return sorted({parse_id(v, "each id") for v in value})


# Reading.


def read_cursor(user_id: int) -> int:
    """The id up to which this user has read everything (0 if never)."""
    value = db.session.scalar(select(ReadCursor.last_read_id).where(ReadCursor.user_id == user_id))
    return value or 0


def read_ids(user_id: int, ids: Iterable[int]) -> set[int]:
    """Which of these activity ids this user has read."""
    return read_state({user_id: ids}).flags[user_id]


class ReadState(NamedTuple):
    flags: dict[int, set[int]]
    counts: dict[int, int]
    #: The rows of ``extra``, less their first three columns.
    extra: set[tuple]


def read_state(
    wanted: Mapping[int, Iterable[int]], count_for: Iterable[int] = (), extra: Any = None
) -> ReadState:
    """``read_ids`` of many users (``wanted``: user id -> activity ids) and ``unread_count``
    of many users (``count_for``) in one statement: the fan-out asks both for every batch it
    sends, and each round trip to the database delays the
    batch. Each user's cursor, their marks among these ids, and the unread count of each
    user of ``count_for`` (their rows above their own cursor: one index range per user).
    ``extra``: a SELECT of rows (3, 0, 0, strings...) read in the same statement (the
    fan-out's question about alerts)."""
    wanted = {uid: list(ids) for uid, ids in wanted.items()}
    count_for = set(count_for)
    users = sorted(set(wanted) | count_for)
    rc, marks = ReadCursor.__table__.c, ActivityRead.__table__.c
    parts = []
    if users:
        parts.append(
            select(literal_column("0"), rc.user_id, rc.last_read_id).where(rc.user_id.in_(users))
        )
    readers = sorted(uid for uid, ids in wanted.items() if ids)
    all_ids = sorted({i for ids in wanted.values() for i in ids})
    for start in range(0, len(all_ids), 500):
        parts.append(
            select(literal_column("1"), marks.user_id, marks.activity_id).where(
                marks.user_id.in_(readers), marks.activity_id.in_(all_ids[start : start + 500])
            )
        )
    if count_for:
        parts.append(_unread_count_part(sorted(count_for)))
    if extra is not None:
        pad = [cast(null(), String)] * (len(extra.selected_columns) - 3)
        parts = [part.add_columns(*pad) for part in parts] + [extra]
    cursors: dict[int, int] = dict.fromkeys(users, 0)
    marked: dict[int, set[int]] = {uid: set() for uid in users}
    counts: dict[int, int] = dict.fromkeys(count_for, 0)
    found: set[tuple] = set()
    if parts:
        stmt = parts[0] if len(parts) == 1 else union_all(*parts)
        for row in db.session.execute(stmt):
            kind, key, value = row[:3]
            if kind == 0:
                cursors[key] = value or 0
            elif kind == 1:
                marked[key].add(value)
            elif kind == 2:
                counts[key] = value
            else:
                found.add(tuple(row[3:]))
    flags = {
        uid: {i for i in ids if i <= cursors[uid] or i in marked[uid]}
        for uid, ids in wanted.items()
    }
    return ReadState(flags, counts, found)


def _unread_count_part(user_ids: list[int]) -> Select:
    """(2, user id, unread count) of these users: a count per user, correlated with the
    user's row and cursor, so that each is one range of ``ix_activity_user_id_id`` above the
    cursor (a join instead lets PostgreSQL hash-join the whole log)."""
    from webapp.accounts.models import User

    users, a = User.__table__.c, Activity.__table__.c
    cursors, marks = ReadCursor.__table__, ActivityRead.__table__.c
    marked = exists().where(marks.user_id == a.user_id, marks.activity_id == a.id)
    count = (
        select(func.count())
        .select_from(Activity.__table__)
        .where(
            visible_condition(users.id, columns=a),
            a.id > func.coalesce(cursors.c.last_read_id, 0),
            ~marked,
        )
        .scalar_subquery()
    )
    return (
        select(literal_column("2"), users.id, count)
        .select_from(User.__table__.outerjoin(cursors, cursors.c.user_id == users.id))
        .where(users.id.in_(user_ids))
    )


def page_query(
    user_id: Any,
    *,
    before: Any = None,
    limit: Any = 50,
    include_system: bool = False,
    is_admin: bool = False,
) -> Select:
    """The feed query: up to ``limit`` visible activities before ``before``, newest first,
    each with the item's columns and its read flag (the cursor and the marks joined in, so
    one statement, one index range scan). Values or bound parameters. A Core statement (table
    columns): the rows are read as they are, without the ORM's compile and load steps."""
    a, cursors, marks = Activity.__table__.c, ReadCursor.__table__.c, ActivityRead.__table__.c
    cursor = select(cursors.last_read_id).where(cursors.user_id == user_id)
    marked = exists().where(marks.user_id == user_id, marks.activity_id == a.id)
    read = or_(a.id <= func.coalesce(cursor.scalar_subquery(), 0), marked)
    visible = visible_condition(
        user_id, include_system=include_system, is_admin=is_admin, columns=a
    )
    stmt = select(*(a[key] for key in ITEM_KEYS), read.label("read")).where(visible)
    if before is not None:
        stmt = stmt.where(a.id < before)
    return stmt.order_by(a.id.desc()).limit(limit)


@lru_cache(maxsize=16)
def _page_statement(include_system: bool, is_admin: bool, keyset: bool) -> Select:
    """``page_query`` with bound parameters, built once: a feed page is the most frequent
    read there is, and building the statement cost more than running it."""
    return page_query(
        bindparam("user_id", type_=Integer),
        before=bindparam("before", type_=BigInteger) if keyset else None,
        limit=bindparam("limit", type_=Integer),
        include_system=include_system,
        is_admin=is_admin,
    )


def page_rows(
    user_id: int,
    *,
    before: int | None = None,
    limit: int = 50,
    include_system: bool = False,
    is_admin: bool = False,
) -> list[Any]:
    """The rows of ``page_query`` (item columns and ``read``), newest first."""
    stmt = _page_statement(include_system, is_admin, before is not None)
    params = {"user_id": user_id, "limit": limit}
    if before is not None:
        params["before"] = before
    return list(db.session.execute(stmt, params).all())


def feed_page(
    user_id: int,
    *,
    before: int | None = None,
    limit: int = 50,
    include_system: bool = False,
    is_admin: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the feed, newest first, and the ``before`` of the next page (or None)."""
    rows = page_rows(
        user_id, before=before, limit=limit + 1, include_system=include_system, is_admin=is_admin
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [item_dict(row, bool(row.read)) for row in rows]
    return items, (rows[-1].id if more and rows else None)


def newest_id(user_id: int, *, include_system: bool = False, is_admin: bool = False) -> int:
    """The id of the newest activity in this user's feed (0 if none): a resume point."""
    value = db.session.scalar(
        select(func.max(Activity.id)).where(
            visible_condition(user_id, include_system=include_system, is_admin=is_admin)
        )
    )
    return value or 0


def unread_count(user_id: int) -> int:
    """How many of this user's (non-system) feed items are unread."""
    return read_state({}, [user_id]).counts[user_id]


def alert_items(user_id: int) -> list[dict[str, Any]]:
    """This user's open alerts (never private), newest first, as feed items."""
    rows = open_alerts_for_user(user_id)
    done = read_ids(user_id, [row.id for row in rows])
    return [item_dict(row, row.id in done) for row in rows]


def open_alert_ids(ids: Iterable[int]) -> set[int]:
    """Which of these activities are open alerts right now."""
    ids = list(ids)
    if not ids:
        return set()
    stmt = select(Activity.id).where(Activity.id.in_(ids), open_alert_condition())
    return set(db.session.scalars(stmt))


# Writing: the caller's request owns the transaction; these commit once.


def mark_read(user_id: int, ids: list[int]) -> int:
    """Mark these of the user's feed items read; ids that are not in their feed are ignored.

    Returns the new unread count.
    """
    ids = parse_read_ids(ids)
    cursor = read_cursor(user_id)
    mine = [
        *db.session.scalars(
            select(Activity.id).where(
                Activity.id.in_([i for i in ids if i > cursor]),
                visible_condition(user_id, include_system=True, is_admin=False),
            )
        )
    ]
    if mine:
        now = utcnow()
        stmt = upsert(ActivityRead).values(
            [{"user_id": user_id, "activity_id": i, "read_at": now} for i in mine]
        )
        db.session.execute(stmt.on_conflict_do_nothing())
    db.session.commit()
    read_state_changed.send(None, user_id=user_id)
    return unread_count(user_id)


def mark_all_read(user_id: int) -> int:
    """Move the user's cursor to the newest activity: one write, whatever the backlog.

    Returns the new unread count (0 unless something newer committed meanwhile).
    """
    newest = db.session.scalar(select(func.max(Activity.id))) or 0
    stmt = upsert(ReadCursor).values(user_id=user_id, last_read_id=newest, updated_at=utcnow())
    greatest = func.greatest if isinstance(stmt, postgresql.Insert) else func.max
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReadCursor.user_id],
        set_={
            "last_read_id": greatest(ReadCursor.last_read_id, stmt.excluded.last_read_id),
            "updated_at": stmt.excluded.updated_at,
        },
    )
    db.session.execute(stmt)
    db.session.execute(
        delete(ActivityRead).where(
            ActivityRead.user_id == user_id, ActivityRead.activity_id <= newest
        )
    )
    db.session.commit()
    read_state_changed.send(None, user_id=user_id)
    return unread_count(user_id)
