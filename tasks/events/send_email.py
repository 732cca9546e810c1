"""send_email: ``queue_event("send_email", people_ids=[1, 2], subject=..., body=...)``."""

from __future__ import annotations

from sqlalchemy import select

from tasks.events.application_event import ApplicationEvent
from webapp.accounts.models import User
from webapp.activity import record_many
from webapp.extensions import db

MAX_PEOPLE = 100


class SendEmailEvent(ApplicationEvent):
    """Delivers an email to each person (the demo has no mail server: delivery is recorded
    as an ``email.sent`` activity in each recipient's feed)."""

    before_filters = ["load_people"]
    people: list[User]

    def load_people(self) -> bool | None:
        """The recipients as ``self.people``; halts when there is nobody to write to."""
        ids = self.params.get("people_ids")
        if not isinstance(ids, list) or not ids or len(ids) > MAX_PEOPLE:
            return False
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return False
        self.people = list(db.session.scalars(select(User).where(User.id.in_(ids))))
        return False if not self.people else None

    def process(self) -> None:
        subject = str(self.params.get("subject") or "(no subject)")[:200]
        record_many(
            {
                "key": "email.sent",
                "message": f"Email “{subject}” delivered to {person.email}",
                "user_id": person.id,
            }
            for person in self.people
        )
