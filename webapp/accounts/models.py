"""The User model (an email, a password hash and a role) and its login sessions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.activity.mixin import ActivityStatusable
from webapp.database import Model, UTCDateTime, utcnow

ROLES = ("admin", "viewer", "subscriber")


class User(UserMixin, ActivityStatusable, Model):
    """A person who logs in: an admin or a subscriber. Their own statuses are theirs to see."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="subscriber")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: The login session this request was authenticated by (or that ``log_in`` just started),
    #: with the token of its cookie; set on the loaded object, never stored.
    if TYPE_CHECKING:  # plain attributes: annotated only for the checker, never mapped
        login_session: LoginSession | None
        session_token: str | None
    login_session = None
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the login session's token, never the
        user's id, so a cookie stops working as soon as its session ends."""
        if self.session_token is None:
            raise RuntimeError("log users in with webapp.accounts.log_in (it starts a session)")
        return self.session_token

    @property
    def activity_user_id(self) -> int:
        return self.id

    @property
    def is_admin(self) -> bool:
        """May change things through the admin area (retry, cancel, sign out, ...)."""
        return self.role == "admin"

    @property
    def sees_admin(self) -> bool:
        """May read the admin area: admins, and viewers (read-only)."""
        return self.role in ("admin", "viewer")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginSession(Model):
    """One logged-in browser: the SHA-256 of the token its cookie carries (never the token),
    whose user it is, and until when. Ending a session deletes its row."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
