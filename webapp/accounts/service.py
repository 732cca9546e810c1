"""Creating users and checking passwords."""

from __future__ import annotations

import re
import uuid

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import ROLES, User
from webapp.accounts.sessions import end_sessions
from webapp.database import begin_write, this_app
from webapp.extensions import db

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, role: str = "subscriber") -> User:
    """Create and commit a user; a bad email, empty password, bad role or duplicate raises."""
    if not isinstance(email, str) or not EMAIL_RE.fullmatch(email.strip()):
        raise ValueError(f"invalid email {email!r}")
    if role not in ROLES:
        raise ValueError(f"invalid role {role!r}; expected one of {ROLES}")
    if not isinstance(password, str) or not password:
        raise ValueError("password must be a non-empty string")
    email = normalize_email(email)
    begin_write(db.session)  # it reads, then writes what it read
    if get_user_by_email(email) is not None:
        raise ValueError(f"a user with email {email!r} already exists")
    user = User(email=email, password_hash=hash_password(password), role=role)
    db.session.add(user)
    db.session.commit()
    return user


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def hash_password(password: str) -> str:
    """The stored form of a password, hashed with this app's BEACON_PASSWORD_METHOD."""
    method = current_app.config.get("BEACON_PASSWORD_METHOD", "scrypt")
    return generate_password_hash(password, method)


def _decoy_hash() -> str:
    """A hash of a random password, made once per app with the app's method: checked when
    no account has the email, so that a login takes as long whether the email exists or not
    (85 ms against 3.5 ms told a stranger which emails have accounts)."""
    app = this_app()
    decoy = app.extensions.get("beacon.decoy_hash")
    if decoy is None:
        decoy = app.extensions.setdefault("beacon.decoy_hash", hash_password(uuid.uuid4().hex))
    return decoy


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None; the same work either way."""
    user = get_user_by_email(email)
    matches = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    return user if user is not None and matches else None


def change_password(user: User, current: str, new: str) -> None:
    """Give ``user`` a new password and end every one of their sessions; ``ValueError`` if
    ``current`` is not their password or ``new`` is empty. Commits."""
    if not check_password_hash(user.password_hash, current):
        raise ValueError("the current password is wrong")
    if not isinstance(new, str) or not new:
        raise ValueError("password must be a non-empty string")
    user.password_hash = hash_password(new)
    end_sessions(user.id, reason="password_changed")
