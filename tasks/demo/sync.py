"""Syncing connected accounts: a periodic sweep over every connected account, and one account
on demand ("Sync now").

Each sync records ``action.sync`` on the account: started (private: the owner's feed shows
outcomes, not every attempt), then completed with counts in the message, or failed with the
error. A token the provider refuses stops the account and asks its owner to act:
``authentication.authenticated`` = False with ``action_required="reauthenticate"``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask import current_app
from huey import crontab
from sqlalchemy import select

from config import settings
from tasks.demo.models import CONNECTED, EXPIRED, ConnectedAccount
from tasks.demo.provider import FakeProvider, ProviderError, TokenExpired
from webapp.activity import periodic_task
from webapp.database import utcnow
from webapp.extensions import db, huey

SKIPPED, COMPLETED, FAILED = "skipped", "completed", "failed"


def sync_schedule(minutes: int) -> tuple[crontab, dt.timedelta]:
    """The crontab and period of a sync every ``minutes`` minutes (1 to 60)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 60:
        raise ValueError(f"BEACON_DEMO_SYNC_MINUTES must be from 1 to 60, got {minutes!r}")
    minute = "0" if minutes == 60 else f"*/{minutes}"
    return crontab(minute=minute), dt.timedelta(minutes=minutes)


# Built at import, like the Huey instance: every process reads the same config.py.
SYNC_SCHEDULE, SYNC_PERIOD = sync_schedule(settings()["BEACON_DEMO_SYNC_MINUTES"])


def sync_account(account_id: int, provider: FakeProvider | None = None) -> str:
    """Sync one account and record how it went: "completed", "failed", "expired", or
    "skipped" (unknown, or waiting for its owner to re-authenticate)."""
    account = db.session.get(ConnectedAccount, account_id)
    if account is None or account.status != CONNECTED:
        db.session.rollback()
        return SKIPPED
    provider = provider or FakeProvider.from_config(current_app.config)
    service = account.service
    account.action_status_update("sync", None, f"{service} sync started", private=True)
    try:
        result = provider.fetch(account)
    except TokenExpired as exc:
        account.status = EXPIRED
        account.action_status_update("sync", False, f"{service} sync failed: {exc}", commit=False)
        account.status_update(
            "authentication.authenticated",
            False,
            f"{service} stopped syncing: {exc}. Re-authenticate to resume.",
            action_required="reauthenticate",
            action_url=account.reauthenticate_url,
            commit=False,
        )
        db.session.commit()
        return EXPIRED
    except ProviderError as exc:
        account.action_status_update("sync", False, f"{service} sync failed: {exc}", commit=False)
        db.session.commit()
        return FAILED
    account.last_synced_at = utcnow()
    account.action_status_update("sync", True, f"{service} synced: {result.message}", commit=False)
    db.session.commit()
    return COMPLETED


def sync_all(provider: FakeProvider | None = None) -> dict[str, int]:
    """Sync every connected account, each in its own transactions; outcomes counted.

    One account's failure is that account's outcome, not the sweep's: the sweep fails only
    when it cannot run at all. (An installation with many accounts would enqueue one task
    per account instead of syncing them in turn.)
    """
    ids = list(
        db.session.scalars(
            select(ConnectedAccount.id)
            .where(ConnectedAccount.status == CONNECTED)
            .order_by(ConnectedAccount.id)
        )
    )
    db.session.rollback()
    provider = provider or FakeProvider.from_config(current_app.config)
    return dict(Counter(sync_account(account_id, provider) for account_id in ids))


@periodic_task(SYNC_SCHEDULE, period=SYNC_PERIOD, name="demo.sync_accounts")
def sync_accounts() -> dict[str, int]:
    """Every BEACON_DEMO_SYNC_MINUTES: sync every connected account."""
    return sync_all()


@huey.task(name="demo.sync_account")
def sync_account_task(account_id: int) -> str:
    """Sync one account now (the "Sync now" button)."""
    return sync_account(account_id)
