"""Imports every domain's models so that metadata (migrations, create_all) sees all tables."""

from webapp.accounts.models import User
from webapp.activity.models import Activity, ActivityDeletePermit

__all__ = ["Activity", "ActivityDeletePermit", "User"]
