"""The admin area: operations and their branches, jobs, events, health and the activity log.

Every route of the blueprint is for admins, and for viewers to read (one ``before_request``
check, so a new route cannot forget it): anonymous users are sent to log in, subscribers get
403, and so does a viewer's write. Every write an admin makes here is recorded as an
``admin.<verb>`` activity (system, private) by one ``after_request`` hook (``audit``), so a
new write cannot forget that either.
"""

from flask import Blueprint

from webapp.accounts.decorators import admin_area_required

bp = Blueprint("admin", __name__)


@bp.before_request
@admin_area_required
def admins_only() -> None:
    """Runs before every admin view; ``admin_area_required`` answers for everyone else."""
    return None


from webapp.admin import (  # noqa: E402,F401
    activity,
    audit,
    bulk,
    events,
    health,
    jobs,
    live,
    operations,
    overview,
    queues,
    templating,
    users,
)
