"""Writing activities, and announcing them once their transaction has committed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.activity.models import Activity
from webapp.activity.validation import (
    base_key,
    encode_value,
    validate_action,
    validate_flag,
    validate_key,
    validate_message,
    validate_subject,
    validate_user_id,
)
from webapp.extensions import db

_signals = Namespace()

#: Sent after a transaction that inserted activities commits (never on rollback), with
#: ``activities``: a list of dicts (see ``activity_dict``) in id order.
activity_committed = _signals.signal("activity-committed")

_PENDING = "beacon.new_activities"


def subject_identity(subject: Any) -> tuple[str, str]:
    """(subject_type, subject_id) of a model (table name, primary key) or a plain object;
    ("", "") for no subject."""
    if subject is None:
        return "", ""
    subject_type = getattr(subject, "activity_subject_type", None)
    subject_id = getattr(subject, "activity_subject_id", None)
    if subject_type is None:
        table = getattr(subject, "__tablename__", None)
        if table is None:
            raise ValueError(
                f"{subject!r} has no activity identity: set activity_subject_type and "
                "activity_subject_id, or use a SQLAlchemy model"
            )
        subject_type = table
        if subject_id is None:
            from sqlalchemy import inspect

            identity = inspect(subject).identity
            if identity is None:
                raise ValueError(f"{subject!r} has no primary key yet: flush it first")
            subject_id = ":".join(str(part) for part in identity)
    return validate_subject(subject_type, subject_id)


def subject_owner(subject: Any) -> int | None:
    if subject is None:
        return None
    owner = getattr(subject, "activity_user_id", None)
    if owner is None:
        owner = getattr(subject, "user_id", None)
    return owner


def build_activity(
    key: str,
    value: Any = True,
    message: str | None = None,
    *,
    subject: Any = None,
    user_id: int | None = None,
    system: bool = False,
    private: bool = False,
    action_required: str | None = None,
    action_url: str | None = None,
) -> Activity:
    """A validated, unsaved Activity; raises ValueError naming the first bad field."""
    validate_key(key)
    encoded = encode_value(value)
    subject_type, subject_id = subject_identity(subject)
    owner = validate_user_id(user_id if user_id is not None else subject_owner(subject))
    validate_action(action_required, action_url)
    return Activity(
        key=key,
        base_key=base_key(key),
        value=json.loads(encoded),
        outcome=value if isinstance(value, bool) else None,
        truthy=bool(value),
        message=validate_message(message),
        subject_type=subject_type,
        subject_id=subject_id,
        user_id=owner,
        system=validate_flag("system", system),
        private=validate_flag("private", private),
        action_required=action_required,
        action_url=action_url,
    )


def record_activity(
    key: str,
    value: Any = True,
    message: str | None = None,
    *,
    subject: Any = None,
    user_id: int | None = None,
    system: bool = False,
    private: bool = False,
    action_required: str | None = None,
    action_url: str | None = None,
    commit: bool = True,
) -> Activity:
    """Append one activity. Commits unless ``commit=False`` (then it joins the caller's
    transaction and is announced when that commits). Bad input raises ValueError, writes nothing.
    """
    activity = build_activity(
        key,
        value,
        message,
        subject=subject,
        user_id=user_id,
        system=system,
        private=private,
        action_required=action_required,
        action_url=action_url,
    )
    db.session.add(activity)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return activity


def record_many(entries: Iterable[Mapping[str, Any]], *, commit: bool = True) -> list[Activity]:
    """Append many activities in one transaction; each entry holds record_activity's arguments.

    Every entry is validated before anything is added: one bad entry writes none of them.
    """
    built = []
    for index, entry in enumerate(entries):
        try:
            built.append(build_activity(**entry))
        except TypeError as exc:
            raise ValueError(f"activity entry {index}: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"activity entry {index}: {exc}") from None
    db.session.add_all(built)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return built


def activity_dict(activity: Activity) -> dict[str, Any]:
    """The wire form of an activity (the API item and the Socket.IO ``activity`` payload)."""
    return {
        "id": activity.id,
        "key": activity.key,
        "value": activity.value,
        "message": activity.message,
        "created_at": activity.created_at.isoformat().replace("+00:00", "Z"),
        "subject_type": activity.subject_type or None,
        "subject_id": activity.subject_id or None,
        "system": activity.system,
        "action_required": activity.action_required,
        "action_url": activity.action_url,
        "user_id": activity.user_id,
        "private": activity.private,
        "truthy": activity.truthy,
        "base_key": activity.base_key,
    }


# Commit hook: collect activities as they are flushed, announce them only after COMMIT.


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    new = [obj for obj in session.new if isinstance(obj, Activity)]
    if new:
        session.info.setdefault(_PENDING, []).extend(activity_dict(a) for a in new)


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        pending.sort(key=lambda item: item["id"])
        activity_committed.send(None, activities=pending)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
