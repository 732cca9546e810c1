"""ApplicationEvent: the base of the application's events, with the filters they share."""

from __future__ import annotations

from webapp.accounts.models import User
from webapp.events import Event
from webapp.extensions import db


class ApplicationEvent(Event):
    """Loads the event's owner as ``self.account`` before processing (skip ``load_account``
    where no account is needed)."""

    abstract = True
    before_filters = ["load_account"]
    account: User | None = None

    def load_account(self) -> bool | None:
        """The owner as ``self.account``; halts an owned event whose user no longer exists."""
        if self.owner_id is None:
            return None
        self.account = db.session.get(User, self.owner_id)
        return False if self.account is None else None
