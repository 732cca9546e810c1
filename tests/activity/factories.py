"""Small builders for activity tests."""

from __future__ import annotations

from webapp.accounts.models import User
from webapp.activity import ActivityStatusable
from webapp.extensions import db


class Service(ActivityStatusable):
    """A plain (non-ORM) object with an activity identity and an owner."""

    activity_subject_type = "service"

    def __init__(self, ident: str, user_id: int | None = None) -> None:
        self.activity_subject_id = ident
        self.user_id = user_id


def user(email: str = "u@example.com") -> User:
    u = User(email=email, password_hash="x", role="subscriber")
    db.session.add(u)
    db.session.commit()
    return u


def activity_count() -> int:
    from sqlalchemy import func, select

    from webapp.activity import Activity

    return db.session.scalar(select(func.count()).select_from(Activity))
