"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.accounts import bp
from webapp.accounts.forms import LoginForm
from webapp.accounts.service import authenticate, login_throttle, normalize_email


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in on a correct email and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            cfg = current_app.config
            keys = [f"email:{normalize_email(form.email.data)}", f"addr:{request.remote_addr}"]
            throttle = login_throttle()
            if throttle.blocked(keys, cfg["BEACON_LOGIN_ATTEMPTS"], cfg["BEACON_LOGIN_WINDOW"]):
                form.form_errors.append("Too many failed attempts. Try again in a few minutes.")
                status = 429
            else:
                user = authenticate(form.email.data, form.password.data)
                if user is not None:
                    throttle.reset(keys[:1])
                    login_user(user)
                    flash(f"Welcome, {user.email}.", "success")
                    return redirect(_safe_next(request.args.get("next")))
                throttle.failed(keys, cfg["BEACON_LOGIN_WINDOW"])
                form.form_errors.append("Wrong email or password.")
                status = 401
        else:
            status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and return to the login page."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))
