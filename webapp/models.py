"""Imports every domain's models so that metadata (migrations, create_all) sees all tables."""

from webapp.accounts.models import User

__all__ = ["User"]
