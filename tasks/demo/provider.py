"""The fake provider: it stands in for the outside APIs (calendar, mailbox, storage) that the
demo's connected accounts sync with. Beacon has no such APIs to call, so this is the one
place where a fake is the real thing.

Like a real provider it refuses an expired token, revokes one now and then, and sometimes
fails; ``expire_token`` is the hook that makes a token expire on purpose (tests, the tour).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tasks.demo.models import ConnectedAccount, new_token_expiry
from webapp.database import begin_write, utcnow
from webapp.extensions import db

#: What each service hands back on a sync, for the messages.
ITEMS = {"Calendar": "events", "Mailbox": "messages", "Storage": "files"}


class TokenExpired(Exception):
    """The provider refused the account's token: only its owner can fix that."""


class ProviderError(Exception):
    """The provider failed (timeout, 5xx): the next sync tries again."""


@dataclass(frozen=True)
class SyncResult:
    fetched: int
    changed: int
    noun: str

    @property
    def message(self) -> str:
        return f"{self.fetched} {self.noun} fetched, {self.changed} changed"


def _chance(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")
    return float(value)


class FakeProvider:
    """The outside API of every demo service. ``expiry_chance`` and ``error_rate`` are the
    chances (0..1) that a sync finds its token revoked, or fails."""

    def __init__(
        self,
        expiry_chance: float = 0.0,
        error_rate: float = 0.0,
        roll: Callable[[], float] | None = None,
    ) -> None:
        self.expiry_chance = _chance("expiry_chance", expiry_chance)
        self.error_rate = _chance("error_rate", error_rate)
        # A demo's dice, not security: random is the right tool.
        self.roll = roll or random.random  # noqa: S311

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FakeProvider:
        """The provider the app's settings describe (BEACON_DEMO_EXPIRY_CHANCE and
        BEACON_DEMO_SYNC_ERROR_RATE)."""
        return cls(config["BEACON_DEMO_EXPIRY_CHANCE"], config["BEACON_DEMO_SYNC_ERROR_RATE"])

    def fetch(self, account: ConnectedAccount, now: dt.datetime | None = None) -> SyncResult:
        """What changed at the service since the last sync; raises TokenExpired or
        ProviderError as a real API would."""
        now = now or utcnow()
        if account.token_expires_at <= now:
            expired = account.token_expires_at.strftime("%Y-%m-%d %H:%M UTC")
            raise TokenExpired(f"the {account.service} token expired at {expired}")
        if self.roll() < self.expiry_chance:
            raise TokenExpired(f"{account.service} revoked the token")
        if self.roll() < self.error_rate:
            raise ProviderError(f"{account.service} API timed out after 10 s")
        fetched = int(self.roll() * 40) + 1
        changed = int(self.roll() * fetched)
        return SyncResult(fetched, changed, ITEMS.get(account.service, "items"))

    def reconnect(self, account: ConnectedAccount) -> dt.datetime:
        """A fresh token (the OAuth dance, done): its expiry time."""
        return new_token_expiry()


def expire_token(account_id: int) -> None:
    """Make an account's token expire now (commits): its next sync meets TokenExpired.
    The hook tests and the tour use to bring up a re-authenticate alert on demand."""
    begin_write(db.session)  # it reads, then writes, while consumers may be writing
    account = db.session.get(ConnectedAccount, account_id)
    if account is None:
        raise ValueError(f"unknown connected account {account_id!r}")
    account.token_expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
