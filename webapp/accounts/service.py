"""Creating users and checking passwords."""

from __future__ import annotations

import re
import threading
import time
from collections import deque

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import ROLES, User
from webapp.extensions import db

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, role: str = "subscriber") -> User:
    """Create and commit a user; a bad email, empty password, bad role or duplicate raises."""
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
        raise ValueError(f"invalid email {email!r}")
    if role not in ROLES:
        raise ValueError(f"invalid role {role!r}; expected one of {ROLES}")
    if not isinstance(password, str) or not password:
        raise ValueError("password must be a non-empty string")
    email = normalize_email(email)
    if get_user_by_email(email) is not None:
        raise ValueError(f"a user with email {email!r} already exists")
    method = current_app.config.get("BEACON_PASSWORD_METHOD", "scrypt")
    user = User(email=email, password_hash=generate_password_hash(password, method), role=role)
    db.session.add(user)
    db.session.commit()
    return user


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None."""
    user = get_user_by_email(email)
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


class LoginThrottle:
    """At most N failed logins per email and per client address within a sliding window."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, window: float, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - window:
            q.popleft()
        return q

    def blocked(self, keys: list[str], limit: int, window: float) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, window, now)) >= limit for k in keys)

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._failures.setdefault(k, deque()).append(now)

    def reset(self, keys: list[str]) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
