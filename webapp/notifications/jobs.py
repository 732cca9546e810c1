"""The user's jobs for progress bars (filled in once webapp.jobs provides its API)."""

from __future__ import annotations

from typing import Any


def running_jobs(user_id: int) -> list[dict[str, Any]]:
    """Status dicts of this user's unfinished jobs, newest first."""
    return []
