"""Creating users and checking passwords."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import deque

import redis
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import ROLES, User
from webapp.extensions import db

log = logging.getLogger(__name__)

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
    """At most N failed logins per email and per client address within a sliding window, in
    this process (the embedded default's single web process)."""

    #: Past this many keys, ``failed`` forgets every key with no failure inside the window
    #: (at most once a second: a sweep reads every key). Without it each mistyped email or
    #: passing address would be remembered forever.
    SWEEP_AT = 1000

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._window = 0.0
        self._swept = 0.0

    def __len__(self) -> int:
        """How many emails and addresses are remembered."""
        return len(self._failures)

    def _recent(self, key: str, window: float, now: float) -> int:
        q = self._failures.get(key)
        while q and q[0] <= now - window:
            q.popleft()
        if q is not None and not q:
            del self._failures[key]
        return len(q) if q else 0

    def blocked(self, keys: list[str], limit: int, window: float) -> bool:
        now = time.monotonic()
        with self._lock:
            self._window = window
            return any(self._recent(k, window, now) >= limit for k in keys)

    def failed(self, keys: list[str], window: float | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            window = self._window if window is None else window
            for k in keys:
                self._failures.setdefault(k, deque()).append(now)
            if len(self._failures) > self.SWEEP_AT and now - self._swept >= 1.0:
                self._swept = now
                for k in list(self._failures):
                    self._recent(k, window, now)

    def reset(self, keys: list[str]) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)


class RedisLoginThrottle:
    """The same limits shared by every web process, in Redis: a sorted set of failure times
    per email and per address, expiring with the window. While Redis cannot be reached, this
    process's own ``LoginThrottle`` counts instead (never no limit at all)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = f"{prefix}login:"
        self.local = LoginThrottle()

    def blocked(self, keys: list[str], limit: int, window: float) -> bool:
        now = time.time()
        try:
            pipe = self.client.pipeline()
            for k in keys:
                pipe.zremrangebyscore(self.prefix + k, "-inf", now - window)
                pipe.zcard(self.prefix + k)
            counts = pipe.execute()[1::2]
        except redis.RedisError as exc:
            log.warning("login throttle: Redis unreachable (%s); counting in this process", exc)
            return self.local.blocked(keys, limit, window)
        return any(count >= limit for count in counts) or self.local.blocked(keys, limit, window)

    def failed(self, keys: list[str], window: float | None = None) -> None:
        window = float(window or current_app.config["BEACON_LOGIN_WINDOW"])
        now = time.time()
        try:
            pipe = self.client.pipeline()
            for k in keys:
                pipe.zadd(self.prefix + k, {f"{now}:{uuid.uuid4().hex[:8]}": now})
                pipe.expire(self.prefix + k, int(window) + 1)
            pipe.execute()
        except redis.RedisError:
            self.local.failed(keys, window)

    def reset(self, keys: list[str]) -> None:
        self.local.reset(keys)
        try:
            self.client.delete(*(self.prefix + k for k in keys))
        except redis.RedisError as exc:
            log.warning("login throttle: could not reset %s (%s)", keys, exc)


def login_throttle() -> LoginThrottle | RedisLoginThrottle:
    """This app's throttle: shared through Redis when REDIS_URL is set, else in-process."""
    app = current_app._get_current_object()
    throttle = app.extensions.get("beacon.login_throttle")
    if throttle is None:
        url = app.config.get("REDIS_URL")
        fresh = (
            RedisLoginThrottle(url, app.config["BEACON_REDIS_PREFIX"]) if url else LoginThrottle()
        )
        throttle = app.extensions.setdefault("beacon.login_throttle", fresh)
    return throttle
