"""Imports every domain's models so that metadata (migrations, create_all) sees all tables."""

from tasks.demo.models import ConnectedAccount
from webapp.accounts.models import LoginSession, User
from webapp.activity.models import Activity, ActivityDeletePermit, PeriodicOutcome
from webapp.events.models import EventMessage
from webapp.jobs.models import JobStatusField, JobStatusRow
from webapp.notifications.models import ActivityRead, ReadCursor
from webapp.operations.models import Action, Operation
from webapp.periodic import PeriodicClaim

__all__ = [
    "Action",
    "Activity",
    "ActivityDeletePermit",
    "ActivityRead",
    "ConnectedAccount",
    "EventMessage",
    "JobStatusField",
    "JobStatusRow",
    "LoginSession",
    "Operation",
    "PeriodicClaim",
    "PeriodicOutcome",
    "ReadCursor",
    "User",
]
