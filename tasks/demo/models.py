"""ConnectedAccount: a subscriber's account at an outside service, synced by the demo's jobs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.activity import ActivityStatusable
from webapp.database import Model, UTCDateTime, utcnow

#: The services every demo subscriber connects.
SERVICES = ("Calendar", "Mailbox", "Storage")
CONNECTED = "connected"
#: The provider refused the token: syncing stops until the owner re-authenticates.
EXPIRED = "expired"
ACCOUNT_STATUSES = (CONNECTED, EXPIRED)
#: How long a token lasts after (re-)authentication.
TOKEN_LIFETIME = dt.timedelta(days=30)


def new_token_expiry() -> dt.datetime:
    """When a token issued now expires."""
    return utcnow() + TOKEN_LIFETIME


class ConnectedAccount(ActivityStatusable, Model):
    """One service a subscriber connected. Its statuses (``action.sync``,
    ``authentication.authenticated``) are activities of ``connected_account:<id>``, in the
    owner's feed."""

    __tablename__ = "connected_account"
    __table_args__ = (
        UniqueConstraint("user_id", "service", name="uq_connected_account_user_service"),
        Index("ix_connected_account_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default=CONNECTED)
    token_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=new_token_expiry)
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def reauthenticate_url(self) -> str:
        """The page that reconnects this account (the demo blueprint lives under /demo)."""
        return f"/demo/reauthenticate/{self.id}"

    def __repr__(self) -> str:
        return f"<ConnectedAccount {self.id} user={self.user_id} {self.service} {self.status}>"
