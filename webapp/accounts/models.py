"""The User model: an email, a password hash and a role."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.activity.mixin import ActivityStatusable
from webapp.database import UTCDateTime, utcnow
from webapp.extensions import db

ROLES = ("admin", "subscriber")


class User(UserMixin, ActivityStatusable, db.Model):
    """A person who logs in: an admin or a subscriber. Their own statuses are theirs to see."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="subscriber")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def activity_user_id(self) -> int:
        return self.id

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"
