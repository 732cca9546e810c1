"""The demo's seeder (``flask beacon seed`` runs it after creating the demo users).

It gives each demo subscriber three connected accounts, writes a week of history, runs a few
subscription fulfillments (two of them fail, with their stack traces) and queues a few events
for the consumer. Idempotent: each part is written once (accounts by their unique key, the
history and the events together with a marker activity in the same transaction, the
operations by their idempotency keys), so a second run changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import random
from collections.abc import Iterator

import click
from flask import current_app
from sqlalchemy import select

from tasks.demo.fulfillment import start_fulfillment
from tasks.demo.models import CONNECTED, EXPIRED, SERVICES, ConnectedAccount, new_token_expiry
from webapp.accounts.models import User
from webapp.activity import PERIODIC_TASKS, Activity, record_activity
from webapp.database import utcnow
from webapp.demo import history as past
from webapp.events import queue_event
from webapp.extensions import db
from webapp.notifications.feed import mark_all_read
from webapp.operations import ACTIVE_STATES, Operation
from webapp.operations.transitions import run_action

HISTORY_MARKER = "demo.seeded"
EVENTS_MARKER = "demo.seeded_events"
#: The sync sweep was down for a while four days ago (the health chart shows the gap).
SYNC_TASK = "demo.sync_accounts"
#: The demo's logins: (email, password, role).
DEMO_USERS = (
    ("admin@beacon.test", "beacon-admin", "admin"),
    ("alice@beacon.test", "beacon-alice", "subscriber"),
    ("bob@beacon.test", "beacon-bob", "subscriber"),
)
#: (subscriber index, plan, fails): the fulfillments the seed runs.
FULFILLMENTS = ((0, "red", False), (1, "blue", False), (1, "red", True), (0, "blue", True))


def demo_subscribers() -> list[User]:
    """The demo's subscribers (``DEMO_USERS``), in that order; those that exist."""
    emails = [email for email, _, role in DEMO_USERS if role == "subscriber"]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    return [users[e] for e in emails if e in users]


def ensure_accounts(subscribers: list[User], now: dt.datetime) -> list[ConnectedAccount]:
    """Each subscriber's Calendar, Mailbox and Storage (created if missing); the second
    subscriber's Storage starts with an expired token."""
    stmt = select(ConnectedAccount).where(ConnectedAccount.user_id.in_([u.id for u in subscribers]))
    existing = {(a.user_id, a.service): a for a in db.session.scalars(stmt)}
    accounts = []
    for index, user in enumerate(subscribers):
        for service in SERVICES:
            account = existing.get((user.id, service))
            if account is None:
                expired = index == 1 and service == "Storage"
                account = ConnectedAccount(
                    user_id=user.id,
                    service=service,
                    status=EXPIRED if expired else CONNECTED,
                    token_expires_at=expired_at(now) if expired else new_token_expiry(),
                )
                db.session.add(account)
            accounts.append(account)
    db.session.commit()
    return accounts


def expired_at(now: dt.datetime) -> dt.datetime:
    """When the seeded expired token stopped working: shortly before the seed."""
    return now - dt.timedelta(minutes=25)


def _marked(key: str) -> bool:
    return db.session.scalar(select(Activity.id).where(Activity.key == key).limit(1)) is not None


def seed_history(accounts: list[ConnectedAccount], now: dt.datetime) -> int:
    """A week of syncs and periodic task runs, with the marker, in one transaction; how many
    activities (0 when it was seeded before)."""
    if _marked(HISTORY_MARKER):
        return 0
    week = past.History(random.Random(7))  # noqa: S311 - made-up history, not security
    paused = (now - dt.timedelta(days=4, hours=3), now - dt.timedelta(days=4, hours=1))
    owners = sorted({a.user_id for a in accounts})
    for account in accounts:
        first_owner = account.user_id == owners[0]
        past.account_history(
            week,
            account,
            now,
            outage=(now - dt.timedelta(days=3, hours=2), now - dt.timedelta(days=3))
            if first_owner and account.service == "Mailbox"
            else None,
            expired_at=account.token_expires_at if account.status == EXPIRED else None,
            paused=paused,
        )
        account.last_synced_at = week.last_synced.get(account.id)
    for spec in sorted(PERIODIC_TASKS.values(), key=lambda s: s.name):
        past.task_history(week, spec, now, paused if spec.name == SYNC_TASK else None)
    week.add(now, HISTORY_MARKER, True, "Demo data seeded: a week of history", system=True)
    count = past.insert(week)
    db.session.commit()
    return count


@contextlib.contextmanager
def failure_rate(rate: float) -> Iterator[None]:
    """BEACON_DEMO_FAILURE_RATE set to ``rate`` in this app for the block."""
    config = current_app.config
    before = config["BEACON_DEMO_FAILURE_RATE"]
    config["BEACON_DEMO_FAILURE_RATE"] = rate
    try:
        yield
    finally:
        config["BEACON_DEMO_FAILURE_RATE"] = before


def run_here(op_id: int) -> str:
    """Run an operation's actions in this process until it completes or fails; its state.

    The seed runs before any consumer: the tasks it also enqueues find their actions done
    when a consumer takes them, and do nothing.
    """
    for _ in range(20):
        op = db.session.get_one(Operation, op_id, populate_existing=True)
        state, next_id = op.state, op.next_action_id
        db.session.rollback()
        if state not in ACTIVE_STATES or next_id is None:
            return state
        with contextlib.suppress(Exception):  # a failure is recorded on the action
            run_action.call_local(next_id)
    raise RuntimeError(f"operation {op_id} did not finish")


def seed_request_id(n: int) -> str:
    """The fixed request id of the seed's n-th fulfillment (what makes it idempotent)."""
    return hashlib.sha256(f"beacon-demo-seed-{n}".encode()).hexdigest()[:32]


def seed_operations(subscribers: list[User]) -> list[int]:
    """Run the seed's fulfillments (once: their request ids are fixed); their ids."""
    ids = []
    for n, (who, plan, fails) in enumerate(FULFILLMENTS):
        user = subscribers[who % len(subscribers)]
        op = start_fulfillment(user.id, plan, seed_request_id(n), retries=0)
        if op.state in ACTIVE_STATES:
            with failure_rate(1.0 if fails else 0.0):
                run_here(op.id)
        ids.append(op.id)
    return ids


def seed_events(subscribers: list[User]) -> bool:
    """A few events for the consumer to take when it starts (one of them halted by its
    before filter); False when seeded before."""
    if _marked(EVENTS_MARKER):
        return False
    first, last = subscribers[0], subscribers[-1]
    queue_event("hello_world", "low", owner_id=first.id, commit=False, name=first.email)
    queue_event("hello_world", "medium", owner_id=last.id, commit=False, name=last.email)
    queue_event(
        "send_email",
        "high",
        owner_id=first.id,
        commit=False,
        people_ids=[first.id],
        subject="Welcome to Beacon",
        body="Your accounts are connected.",
    )
    queue_event("send_email", "low", owner_id=last.id, commit=False, people_ids=[], subject="-")
    record_activity(EVENTS_MARKER, True, "Demo events queued", system=True, commit=False)
    db.session.commit()
    return True


def seed_demo() -> None:
    """Seed the demo (see the module's docstring); does nothing for parts already there."""
    subscribers = demo_subscribers()
    if not subscribers:
        return
    now = utcnow()
    accounts = ensure_accounts(subscribers, now)
    count = seed_history(accounts, now)
    seed_operations(subscribers)
    seed_events(subscribers)
    if count:
        for user in subscribers:  # the week is history: only what happens next is news
            mark_all_read(user.id)
        click.echo(f"Demo: {len(accounts)} connected accounts, {count} activities of history.")
