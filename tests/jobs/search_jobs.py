"""A tracked task the argument-search tests run (jobs and admin): it keeps its arguments."""

from __future__ import annotations

from webapp.jobs import tracked_task


@tracked_task(includes=("status", "serialized_job"))
def sync_account(account: int, *, plan: str, notify: bool = False, status) -> None:
    """Records which step it reached in a custom field."""
    status["step"] = f"synced {account}"
