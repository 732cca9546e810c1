"""The Accounts page: each connected account, its sync status and alerts; "Sync now",
"Simulate token expiry", and the re-authenticate page an expired token's alert links to."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from tasks.demo.export import recent_exports
from tasks.demo.models import CONNECTED, ConnectedAccount
from tasks.demo.provider import FakeProvider, expire_token
from tasks.demo.sync import sync_account_task
from webapp.demo import bp
from webapp.extensions import db
from webapp.notifications import feed


def owned_account(account_id: int) -> ConnectedAccount:
    """The current user's account with this id; 404 alike for unknown and other people's
    accounts (a 403 would tell a stranger that the id exists)."""
    account = db.session.get(ConnectedAccount, account_id)
    if account is None or account.user_id != current_user.id:
        abort(404, description="no such account")
    return account


def account_rows(user_id: int) -> list[dict]:
    """Each account of a user with its latest sync activity and open alerts."""
    stmt = select(ConnectedAccount).where(ConnectedAccount.user_id == user_id)
    accounts = db.session.scalars(stmt.order_by(ConnectedAccount.id))
    return [
        {
            "account": account,
            "last_sync": account.current_statuses().get("action.sync"),
            "alerts": account.open_alerts(),
        }
        for account in accounts
    ]


@bp.route("/accounts")
@login_required
def accounts() -> ResponseReturnValue:
    """The user's connected accounts, their alerts (live), the export button and its jobs."""
    user_id = current_user.id
    return render_template(
        "demo/accounts.html",
        rows=account_rows(user_id),
        alerts=feed.alert_items(user_id),
        exports=recent_exports(user_id),
    )


@bp.route("/accounts/<int:account_id>/sync", methods=["POST"])
@login_required
def sync_now(account_id: int) -> ResponseReturnValue:
    """Queue a sync of one account now."""
    account = owned_account(account_id)
    if account.status != CONNECTED:
        flash(f"{account.service} needs you to re-authenticate before it can sync.", "error")
    else:
        sync_account_task(account.id)
        flash(f"{account.service} sync queued: watch your notifications.", "success")
    return redirect(url_for("demo.accounts"))


@bp.route("/accounts/<int:account_id>/expire", methods=["POST"])
@login_required
def simulate_expiry(account_id: int) -> ResponseReturnValue:
    """Make the provider refuse this account's token, and sync it: the alert follows."""
    account = owned_account(account_id)
    service = account.service
    expire_token(account.id)
    sync_account_task(account_id)
    flash(f"{service}'s token expired: the sync will ask you to re-authenticate.", "info")
    return redirect(url_for("demo.accounts"))


@bp.get("/reauthenticate/<int:account_id>")
@login_required
def reauthenticate(account_id: int) -> ResponseReturnValue:
    """The confirm page an expired token's alert links to."""
    return render_template("demo/reauthenticate.html", account=owned_account(account_id))


@bp.post("/reauthenticate/<int:account_id>")
@login_required
def reauthenticate_confirmed(account_id: int) -> ResponseReturnValue:
    """Reconnect the account: a fresh token, and the alert resolves."""
    account = owned_account(account_id)
    service = account.service
    account.token_expires_at = FakeProvider().reconnect(account)
    account.status = CONNECTED
    account.action_status_update(
        "authentication.authenticated", True, f"{service} reconnected", commit=False
    )
    db.session.commit()
    sync_account_task(account_id)  # it resumes at once, not at the next sweep
    flash(f"{service} is connected again.", "success")
    return redirect(url_for("demo.accounts"))
