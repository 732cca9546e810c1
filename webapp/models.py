"""Imports every domain's models so that metadata (migrations, create_all) sees all tables."""

from tasks.demo.models import ConnectedAccount
from webapp.accounts.models import LoginSession, User
from webapp.activity.models import Activity, ActivityDeletePermit, PeriodicOutcome
from webapp.consumers.models import ConsumerProcess
from webapp.events.models import EventMessage, EventPause
from webapp.jobs.models import JobStatusField, JobStatusRow
from webapp.notifications.models import ActivityRead, ReadCursor
from webapp.operations.models import Action, Attempt, Operation
from webapp.periodic import PeriodicClaim, PeriodicPause

__all__ = [
    "Action",
    "Activity",
    "ActivityDeletePermit",
    "ActivityRead",
    "Attempt",
    "ConnectedAccount",
    "ConsumerProcess",
    "EventMessage",
    "EventPause",
    "JobStatusField",
    "JobStatusRow",
    "LoginSession",
    "Operation",
    "PeriodicClaim",
    "PeriodicOutcome",
    "PeriodicPause",
    "ReadCursor",
    "User",
]
