"""A week of made-up history for the demo: account syncs, an expired token or two, and the
runs of every periodic task, so the feeds and the health charts are not empty on day one.

Entries are built here (deterministic: a seeded random generator) and written by ``insert``
in a few multi-row inserts, dated in the past: the Activity log is append-only, and these rows
are appended once, with the times they pretend to have happened at.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert as sql_insert

from tasks.demo.health import TaskHealth, down_message
from tasks.demo.models import ConnectedAccount
from tasks.demo.provider import ITEMS, SyncResult
from webapp.activity import Activity, PeriodicSpec
from webapp.activity.health import PeriodicSubject
from webapp.activity.service import activity_values
from webapp.extensions import db

DAYS = 7
SYNC_EVERY = dt.timedelta(hours=1)
#: Periodic tasks that run more often than this are sampled at this interval.
TASK_SAMPLE = dt.timedelta(minutes=30)
CHUNK = 1000
TASK_ERRORS = (
    "OperationalError: database is locked",
    "ConnectionError: Error 111 connecting to redis:6379. Connection refused.",
    "TimeoutError: timed out after 30 s",
)


@dataclass(order=True)
class Entry:
    """One activity to write: when, and record_activity's arguments."""

    at: dt.datetime
    order: int
    args: dict[str, Any] = field(compare=False)


@dataclass
class History:
    """The entries so far, and each account's last successful sync."""

    rng: random.Random
    entries: list[Entry] = field(default_factory=list)
    last_synced: dict[int, dt.datetime] = field(default_factory=dict)

    def add(
        self, at: dt.datetime, key: str, value: Any = True, message: str | None = None, **kw: Any
    ) -> None:
        """One activity at ``at`` (record_activity's arguments)."""
        args = {"key": key, "value": value, "message": message, **kw}
        self.entries.append(Entry(at, len(self.entries), args))

    def sync(self, account: ConnectedAccount, at: dt.datetime) -> None:
        """One hourly sync of an account: mostly completed, now and then a provider error."""
        if self.rng.random() < 0.04:
            self.add(
                at,
                "action.sync",
                False,
                f"{account.service} sync failed: {account.service} API timed out after 10 s",
                subject=account,
            )
            return
        fetched = self.rng.randint(1, 40)
        result = SyncResult(fetched, self.rng.randint(0, fetched), ITEMS[account.service])
        message = f"{account.service} synced: {result.message}"
        self.add(at, "action.sync", True, message, subject=account)
        self.last_synced[account.id] = at

    def token_expired(self, account: ConnectedAccount, at: dt.datetime) -> None:
        """The provider refused the token: a failed sync and an open alert."""
        service = account.service
        message = f"{service} sync failed: {service} revoked the token"
        self.add(at, "action.sync", False, message, subject=account)
        self.add(
            at,
            "authentication.authenticated",
            False,
            f"{service} stopped syncing: {service} revoked the token. Re-authenticate to resume.",
            subject=account,
            action_required="reauthenticate",
            action_url=account.reauthenticate_url,
        )

    def reconnected(self, account: ConnectedAccount, at: dt.datetime) -> None:
        """The owner re-authenticated: the alert resolves."""
        message = f"{account.service} reconnected"
        self.add(at, "action.authentication.authenticated", True, message, subject=account)


def account_history(
    history: History,
    account: ConnectedAccount,
    now: dt.datetime,
    *,
    outage: tuple[dt.datetime, dt.datetime] | None = None,
    expired_at: dt.datetime | None = None,
    paused: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """Hourly syncs for a week; during ``outage`` the token had expired until its owner
    reconnected; from ``expired_at`` on it is expired still (an open alert); nothing synced
    while the sync task was ``paused`` (down)."""
    at = now - dt.timedelta(days=DAYS) + dt.timedelta(minutes=history.rng.randint(0, 59))
    end = min(now, expired_at) if expired_at is not None else now
    while at < end:
        if outage is not None and outage[0] <= at < outage[1]:
            history.token_expired(account, outage[0])
            history.reconnected(account, outage[1])
            at = outage[1] + dt.timedelta(minutes=1)
        if paused is None or not paused[0] <= at < paused[1]:
            history.sync(account, at)
        at += SYNC_EVERY
    if expired_at is not None:
        history.token_expired(account, expired_at)


def task_times(spec: PeriodicSpec, now: dt.datetime) -> list[dt.datetime]:
    """When a periodic task ran over the week (sampled for frequent ones), oldest first;
    the last run is ``now``, so every task starts out up."""
    step = max(spec.period, TASK_SAMPLE)
    count = int(dt.timedelta(days=DAYS) / step)
    return [now - step * n for n in range(count, -1, -1)]


def task_history(
    history: History,
    spec: PeriodicSpec,
    now: dt.datetime,
    outage: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """A task's outcomes over the week (a few failures); nothing during ``outage``, which the
    health check noticed (``health.<task>.down``, then ``.up``)."""
    subject = PeriodicSubject(spec.name)
    for at in task_times(spec, now):
        if outage is not None and outage[0] <= at < outage[1]:
            continue
        if at != now and history.rng.random() < 0.03:
            error = history.rng.choice(TASK_ERRORS)
            history.add(at, f"{spec.name}.failed", False, error, subject=subject, system=True)
        else:
            history.add(at, f"{spec.name}.completed", True, subject=subject, system=True)
    if outage is not None:
        health = TaskHealth(spec.name)
        last_ok = max(at for at in task_times(spec, now) if at < outage[0])
        late = outage[0] + spec.period + spec.grace
        message = down_message(spec.name, "down", late - last_ok, spec.schedule)
        history.add(late, f"health.{spec.name}.down", False, message, subject=health, system=True)
        up = f"{spec.name} is up again"
        history.add(outage[1], f"health.{spec.name}.up", True, up, subject=health, system=True)


def insert(history: History) -> int:
    """Write the entries oldest first (ids follow time), in a few multi-row inserts, in the
    caller's transaction; how many."""
    rows = []
    for entry in sorted(history.entries):
        row = activity_values(**entry.args)
        row["created_at"] = entry.at
        rows.append(row)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sql_insert(Activity.__table__), rows[start : start + CHUNK])
    return len(rows)
