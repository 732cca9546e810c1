"""How long actions take: the durations of the actions completed recently, for ``/metrics``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from webapp.durations import BOUNDS, Distribution, distributions
from webapp.extensions import db
from webapp.operations.models import COMPLETED, Action


def action_durations(
    since: dt.datetime, bounds: Sequence[float] = BOUNDS
) -> dict[str, Distribution]:
    """The durations of the actions completed since ``since`` (their last attempt's start to
    their completion), by action name, counted by the database in one grouped query."""
    table = Action.__table__
    completed = [table.c.state == COMPLETED, table.c.completed_at >= since]
    return distributions(
        db.session, table.c.name, table.c.started_at, table.c.completed_at, completed, bounds
    )
