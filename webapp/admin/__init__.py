"""The admin area: operations and their branches, jobs, events, health and the activity log.

Every route of the blueprint is for admins only (one ``before_request`` check, so a new route
cannot forget it): anonymous users are sent to log in, subscribers get 403.
"""

from flask import Blueprint, request

from webapp.accounts.decorators import admin_required
from webapp.admin.queries import read_only_transaction

bp = Blueprint("admin", __name__)


@bp.before_request
def reads_take_no_write_lock() -> None:
    """GET pages only read. On SQLite every other transaction begins IMMEDIATE (takes the
    write lock): a long CSV export would stall every writer for its whole duration."""
    if request.method in ("GET", "HEAD"):
        read_only_transaction()


@bp.before_request
@admin_required
def admins_only() -> None:
    """Runs before every admin view; ``admin_required`` answers for everyone else."""
    return None


from webapp.admin import (  # noqa: E402,F401
    activity,
    events,
    health,
    jobs,
    live,
    operations,
    overview,
    templating,
)
