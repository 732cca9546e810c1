"""The admin area: operations and their branches, jobs, events, health and the activity log.

Every route of the blueprint is for admins only (one ``before_request`` check, so a new route
cannot forget it): anonymous users are sent to log in, subscribers get 403.
"""

from flask import Blueprint

from webapp.accounts.decorators import admin_required

bp = Blueprint("admin", __name__)


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
    users,
)
