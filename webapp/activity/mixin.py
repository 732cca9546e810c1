"""ActivityStatusable: record and read the statuses of anything, model or plain object."""

from __future__ import annotations

from typing import Any, Unpack

from webapp.activity import queries
from webapp.activity.models import Activity
from webapp.activity.service import ActivityFlags, record_activity, subject_identity
from webapp.activity.validation import ACTION_PREFIX


class ActivityStatusable:
    """Mix into any class to give it an activity history.

    Identity: a SQLAlchemy model is its table name and primary key; a plain object sets
    ``activity_subject_type`` and ``activity_subject_id``. The owner (whose feed shows the
    activities) is ``activity_user_id`` if set, else the object's ``user_id``, else nobody.

    Writes append rows (and commit, unless ``commit=False``); reads are single indexed
    queries. Keys match exactly as stored: an action's key carries its ``action.`` prefix.
    """

    def _activity_subject(self) -> tuple[str | None, str | None]:
        return subject_identity(self)

    def status_update(
        self,
        key: str,
        value: Any = True,
        message: str | None = None,
        *,
        commit: bool = True,
        **flags: Unpack[ActivityFlags],
    ) -> Activity:
        """Record ``key`` = ``value`` for this object (flags as ``record_activity``'s)."""
        return record_activity(key, value, message, subject=self, commit=commit, **flags)

    def action_status_update(
        self, key: str, value: Any = True, message: str | None = None, **kwargs: Any
    ) -> Activity:
        """``status_update`` with ``action.`` prefixed to the key."""
        if not isinstance(key, str):
            raise ValueError(f"activity key must be a string, got {key!r}")
        return self.status_update(ACTION_PREFIX + key, value, message, **kwargs)

    def last_activity(self, key: str) -> Activity | None:
        """The newest activity with exactly this key."""
        return queries.last_with_key(*self._activity_subject(), key)

    def last_success(self, key: str) -> Activity | None:
        """The newest activity with this key whose value is True."""
        return queries.last_key_outcome(*self._activity_subject(), key, True)

    def last_error(self, key: str) -> Activity | None:
        """The newest activity with this key whose value is False."""
        return queries.last_key_outcome(*self._activity_subject(), key, False)

    def activities(self, limit: int = 50, before: int | None = None) -> list[Activity]:
        """This object's activities, newest first, keyset-paged by id."""
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ValueError(f"limit must be an integer from 1 to 1000, got {limit!r}")
        return queries.page_for_subject(*self._activity_subject(), limit=limit, before=before)

    def current_statuses(self) -> dict[str, Activity]:
        """The newest activity of each key."""
        return queries.latest_per_key(*self._activity_subject())

    def open_alerts(self) -> list[Activity]:
        """Action-required activities of this object not yet resolved, newest first."""
        return queries.open_alerts_for_subject(*self._activity_subject())
