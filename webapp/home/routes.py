"""The landing page: where a logged-in user starts."""

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.home import bp


@bp.route("/")
def index() -> ResponseReturnValue:
    """Logged-in users see their overview; others go to the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("home/index.html")
