"""Login sessions: one row per logged-in browser, so that any of them can be ended.

The signed session cookie carries a random token (Flask-Login's user id is that token); the
row keeps only the token's SHA-256, the user, when it started and until when, and where from.
A request is logged in while its token's row exists and has not expired: ending a session
deletes the row, so every copy of its cookie (a stolen one included) stops working at once,
on every web process. Logging out ends this browser's session; a password change and "sign
out everywhere" (the user's own, or an admin's) end all of a user's sessions.

Each ending is recorded as a private ``session.revoked`` activity of the user, naming the
sessions. Every web process's fan-out reads the log anyway; it disconnects those sessions'
open sockets when it reads that row (``webapp.notifications``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from huey import crontab
from sqlalchemy import delete, select

from webapp.accounts.models import LoginSession, User
from webapp.activity import periodic_task, record_activity
from webapp.database import rows_changed, utcnow
from webapp.extensions import db

#: The activity that ends sessions; its value is ``{"sessions": [ids], "reason", "by_user_id"}``.
REVOKED = "session.revoked"
TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _fresh_cookie() -> None:
    """Forget everything this browser's cookie held, the CSRF token included (Flask-WTF also
    keeps the request's token in ``g``): a token taken before never works after."""
    session.clear()
    g.pop("csrf_token", None)


def user_for_token(token: str) -> User | None:
    """The user whose live session this cookie token names (with ``login_session`` and
    ``session_token`` set), or None: one query on the token's unique index."""
    if not isinstance(token, str) or not 0 < len(token) <= 128:
        return None
    row = db.session.execute(
        select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _digest(token), LoginSession.expires_at > utcnow())
    ).first()
    if row is None:
        return None
    user, login_session = row
    user.login_session, user.session_token = login_session, token
    return user


def log_in(user: User) -> LoginSession:
    """Log ``user`` in to this browser with a new session (and a new cookie and CSRF token,
    whatever the browser had before); commits."""
    _fresh_cookie()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    days = current_app.config["BEACON_SESSION_DAYS"]
    login_session = LoginSession(
        user_id=user.id,
        token_hash=_digest(token),
        expires_at=utcnow() + dt.timedelta(days=days),
        address=(request.remote_addr or "")[:64] or None,
        user_agent=request.user_agent.string[:255] or None,
    )
    db.session.add(login_session)
    db.session.commit()
    user.login_session, user.session_token = login_session, token
    login_user(user)
    return login_session


def log_out(*, everywhere: bool = False) -> list[int]:
    """End this browser's session (every session of its user when ``everywhere``) and give
    the browser a fresh cookie; returns the ids of the sessions ended."""
    ended: list[int] = []
    if current_user.is_authenticated and current_user.login_session is not None:
        ids = None if everywhere else [current_user.login_session.id]
        reason = "signed_out_everywhere" if everywhere else "logout"
        ended = end_sessions(current_user.id, ids, reason=reason)
    logout_user()
    _fresh_cookie()
    return ended


def end_sessions(
    user_id: int,
    session_ids: list[int] | None = None,
    *,
    reason: str,
    by_user_id: int | None = None,
) -> list[int]:
    """End these sessions of the user (all of them when ``session_ids`` is None) and record
    which, in one transaction; returns the ids ended. Their cookies stop working at once and
    their open sockets are disconnected."""
    stmt = delete(LoginSession).where(LoginSession.user_id == user_id)
    if session_ids is not None:
        stmt = stmt.where(LoginSession.id.in_(session_ids))
    ended = sorted(db.session.scalars(stmt.returning(LoginSession.id)))
    if ended:
        count = f"{len(ended)} session{'s' if len(ended) != 1 else ''}"
        record_activity(
            REVOKED,
            {"sessions": ended, "reason": reason, "by_user_id": by_user_id},
            f"{count} ended ({reason.replace('_', ' ')})",
            subject=db.session.get(User, user_id),
            user_id=user_id,
            system=True,
            private=True,
            commit=False,
        )
    db.session.commit()
    return ended


def sessions_of(user_id: int) -> list[LoginSession]:
    """A user's live sessions, newest first."""
    live = LoginSession.user_id == user_id, LoginSession.expires_at > utcnow()
    return list(
        db.session.scalars(select(LoginSession).where(*live).order_by(LoginSession.id.desc()))
    )


def live_session_ids(ids: list[int]) -> set[int]:
    """Which of these sessions are still live (not ended, not expired)."""
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(LoginSession.id).where(
                LoginSession.id.in_(ids), LoginSession.expires_at > utcnow()
            )
        )
    )


def purge_expired_sessions(now: dt.datetime | None = None) -> int:
    """Delete the rows of sessions past their expiry (they no longer log anyone in)."""
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.expires_at <= (now or utcnow()))
    )
    db.session.commit()
    return rows_changed(result)


@periodic_task(crontab(minute="29", hour="3"), period=dt.timedelta(days=1), name="session_cleanup")
def session_cleanup() -> int:
    """Daily: forget expired login sessions."""
    return purge_expired_sessions()
