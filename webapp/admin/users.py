"""/admin/users: who can log in, how many sessions each has, and "sign out everywhere"
(a confirm page, then a POST with CSRF) for a lost laptop or a leaked cookie."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from webapp.accounts.models import LoginSession, User
from webapp.accounts.sessions import end_sessions, sessions_of
from webapp.admin import bp
from webapp.admin.operations import require_confirmation
from webapp.admin.params import int_arg, limit_arg, link, text_arg
from webapp.database import utcnow
from webapp.extensions import db


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Users newest first (email filter, keyset paging), each with their live sessions."""
    live = (
        select(LoginSession.user_id, func.count().label("sessions"))
        .where(LoginSession.expires_at > utcnow())
        .group_by(LoginSession.user_id)
        .subquery()
    )
    stmt = (
        select(User, func.coalesce(live.c.sessions, 0))
        .outerjoin(live, live.c.user_id == User.id)
        .order_by(User.id.desc())
    )
    email = text_arg("email")
    if email:
        stmt = stmt.where(func.lower(User.email).contains(email.lower(), autoescape=True))
    before = int_arg("before")
    if before is not None:
        stmt = stmt.where(User.id < before)
    limit = limit_arg()
    rows = db.session.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return render_template(
        "admin/users.html",
        rows=rows,
        filters=request.args,
        next_url=link("admin.users", before=rows[-1][0].id) if more else None,
    )


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description=f"no user {user_id}")
    return user


@bp.get("/users/<int:user_id>/sign-out")
def user_sign_out(user_id: int) -> ResponseReturnValue:
    """The confirm page: which sessions signing the user out everywhere ends."""
    user = _target(user_id)
    return render_template("admin/confirm_sign_out.html", user=user, sessions=sessions_of(user.id))


@bp.post("/users/<int:user_id>/sign-out")
def user_sign_out_confirmed(user_id: int) -> ResponseReturnValue:
    """End every session of the user: their cookies stop working, their sockets close."""
    user = _target(user_id)
    require_confirmation()
    ended = end_sessions(user.id, reason="signed_out_by_admin", by_user_id=current_user.id)
    flash(f"{user.email} is signed out everywhere ({len(ended)} sessions ended).", "success")
    return redirect(url_for("admin.users"))
