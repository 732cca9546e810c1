"""Login and logout; the account page: change the password, see and end one's sessions."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required

from webapp.accounts import bp
from webapp.accounts.forms import LoginForm, PasswordForm
from webapp.accounts.limits import login_limits
from webapp.accounts.service import authenticate, change_password
from webapp.accounts.sessions import log_in, log_out, sessions_of


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


def _login_page(form: LoginForm, status: int = 200) -> tuple[str, int]:
    return render_template("accounts/login.html", form=form), status


@bp.get("/login")
def login() -> ResponseReturnValue:
    """Show the login form (logged-in users go on to where they were headed)."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    return _login_page(LoginForm())


@bp.post("/login")
@login_limits
def login_submit() -> ResponseReturnValue:
    """Log the user in on a correct email and password (401 otherwise, 429 past the limits)."""
    form = LoginForm()
    if not form.validate_on_submit():
        return _login_page(form, 400)
    user = authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        form.form_errors.append("Wrong email or password.")
        return _login_page(form, 401)
    log_in(user)
    flash(f"Welcome, {user.email}.", "success")
    return redirect(_safe_next(request.args.get("next")))


@bp.errorhandler(RateLimitExceeded)
def too_many_logins(exc: RateLimitExceeded) -> tuple[str, int]:
    """The login form again, saying why it refused (the password was not checked)."""
    form = LoginForm()
    form.form_errors.append(exc.description)
    return _login_page(form, 429)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End this browser's session and return to the login page."""
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    """The user's sessions (where and when each started) and the password form."""
    return _account_page(PasswordForm())


def _account_page(form: PasswordForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "accounts/account.html",
        form=form,
        sessions=sessions_of(current_user.id),
        current_session_id=current_user.login_session.id,
    ), status


@bp.post("/account/password")
@login_required
def password() -> ResponseReturnValue:
    """Change the password: every session of the user ends, this browser starts a new one."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _account_page(form, 400)
    user = current_user._get_current_object()
    try:
        change_password(user, form.current_password.data or "", form.new_password.data or "")
    except ValueError as exc:
        form.current_password.errors = [str(exc).capitalize() + "."]
        return _account_page(form, 400)
    log_in(user)
    flash("Your password is changed; every other session was signed out.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> ResponseReturnValue:
    """End every session of the user, this one included."""
    ended = log_out(everywhere=True)
    flash(f"Signed out everywhere ({len(ended)} sessions).", "info")
    return redirect(url_for("accounts.login"))
