"""Reads the admin pages need that the domains do not offer: the activity search and user
emails for display. Each is one query on an index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Select, select

from webapp.accounts.models import User
from webapp.activity import Activity
from webapp.activity.queries import key_prefix_condition
from webapp.extensions import db


@dataclass(frozen=True)
class ActivityFilter:
    """What the activity search matches; None means "any"."""

    key_prefix: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    user_id: int | None = None
    #: True: only rows with no owner (system-wide); overrides ``user_id``.
    no_user: bool = False
    system: bool | None = None
    private: bool | None = None

    def statement(self) -> Select:
        """The filtered rows, newest first."""
        stmt = select(Activity)
        if self.key_prefix:
            stmt = stmt.where(key_prefix_condition(self.key_prefix))
        if self.subject_type is not None:
            stmt = stmt.where(Activity.subject_type == self.subject_type)
        if self.subject_id is not None:
            stmt = stmt.where(Activity.subject_id == self.subject_id)
        if self.no_user:
            stmt = stmt.where(Activity.user_id.is_(None))
        elif self.user_id is not None:
            stmt = stmt.where(Activity.user_id == self.user_id)
        if self.system is not None:
            stmt = stmt.where(Activity.system.is_(self.system))
        if self.private is not None:
            stmt = stmt.where(Activity.private.is_(self.private))
        return stmt.order_by(Activity.id.desc())


def search_activities(
    flt: ActivityFilter, *, before: int | None = None, limit: int = 50
) -> tuple[list[Activity], int | None]:
    """One keyset page of matching activities, newest first: (rows, next ``before``)."""
    stmt = flt.statement()
    if before is not None:
        stmt = stmt.where(Activity.id < before)
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_before


def iter_activities(flt: ActivityFilter, batch: int = 500) -> Iterator[Activity]:
    """Every matching activity, newest first, fetched in keyset batches (for the CSV export:
    memory stays flat however many rows match)."""
    before = None
    while True:
        rows, before = search_activities(flt, before=before, limit=batch)
        yield from rows
        for row in rows:  # rows already written need not stay in the identity map
            db.session.expunge(row)
        if before is None:
            return


def user_emails(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Emails of these users by id, in one query."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
