"""The feed as JSON: pages, the unread count, read marks, open alerts."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from webapp.api import bp
from webapp.errors import error_response
from webapp.inputs import parse_bool
from webapp.notifications import feed


@bp.get("/notifications")
@login_required
def list_notifications() -> ResponseReturnValue:
    """The feed, newest first: ``?before=<id>&limit=1..100&system=0|1``."""
    args = request.args
    try:
        raw = args.get("before")
        before = feed.parse_id(raw, "before") if raw not in (None, "") else None
        limit = feed.parse_limit(args.get("limit"))
        system = parse_bool(args.get("system", False), "system")
    except ValueError as exc:
        return error_response(400, str(exc))
    items, next_before = feed.feed_page(
        current_user.id,
        before=before,
        limit=limit,
        include_system=system,
        is_admin=current_user.is_admin,
    )
    return {"items": items, "next_before": next_before}


@bp.get("/notifications/unread_count")
@login_required
def unread_count() -> ResponseReturnValue:
    """How many feed items (not counting system ones) are unread."""
    return {"count": feed.unread_count(current_user.id)}


@bp.post("/notifications/read")
@login_required
def mark_read() -> ResponseReturnValue:
    """Mark items read (ids that are not in the user's feed are ignored) or all of them.

    Answers the new unread count. The body is ``ReadRequest`` (checked before this runs).
    """
    data = request.get_json()
    if "all" in data:
        return {"count": feed.mark_all_read(current_user.id)}
    try:
        count = feed.mark_read(current_user.id, _json_integers(data["ids"]))
    except ValueError as exc:
        return error_response(400, str(exc))
    return {"count": count}


def _json_integers(values: Any) -> Any:
    """JSON has one number type: 7.0 is the integer 7 (as JSON Schema's "integer" says)."""
    if not isinstance(values, list):
        return values
    return [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]


@bp.get("/alerts")
@login_required
def alerts() -> ResponseReturnValue:
    """The user's open alerts (action required, not yet resolved), newest first."""
    return {"items": feed.alert_items(current_user.id)}
