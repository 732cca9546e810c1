"""The feed page (server-rendered, works without JavaScript) and the bell on every page."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from webapp.inputs import parse_bool
from webapp.notifications import bp, feed
from webapp.notifications.jobs import running_jobs
from webapp.notifications.labels import outcome, relative_time

#: Items in the bell's dropdown.
BELL_ITEMS = 5


@bp.route("/notifications")
@login_required
def feed_page() -> ResponseReturnValue:
    """The feed: open alerts pinned on top, then the newest items, with "load more"."""
    try:
        raw = request.args.get("before")
        before = feed.parse_id(raw, "before") if raw not in (None, "") else None
        system = parse_bool(request.args.get("system", False), "system")
    except ValueError as exc:
        abort(400, str(exc))
    user_id, is_admin = current_user.id, current_user.is_admin
    items, next_before = feed.feed_page(
        user_id, before=before, include_system=system, is_admin=is_admin
    )
    return render_template(
        "notifications/feed.html",
        items=items,
        next_before=next_before,
        alerts=feed.alert_items(user_id) if before is None else [],
        jobs=running_jobs(user_id),
        system=system,
        before=before,
        resume_after=feed.newest_id(user_id, include_system=system, is_admin=is_admin),
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read() -> ResponseReturnValue:
    """Mark everything read (the no-JavaScript form; the page script uses the JSON API)."""
    feed.mark_all_read(current_user.id)
    return redirect(url_for("notifications.feed_page"))


def bell_state() -> dict[str, Any]:
    """The bell: the unread count, the latest items, and where the live feed resumes."""
    user_id = current_user.id
    items, _ = feed.feed_page(user_id, limit=BELL_ITEMS)
    return {
        "count": feed.unread_count(user_id),
        "latest": items,
        "after": feed.newest_id(user_id),
    }


@bp.app_context_processor
def notification_helpers() -> dict[str, Any]:
    return {
        "bell_state": bell_state,
        "running_jobs_for_page": lambda: running_jobs(current_user.id),
    }


@bp.app_template_filter("relative_time")
def relative_time_filter(value: str) -> str:
    return relative_time(value)


@bp.app_template_filter("outcome")
def outcome_filter(value: Any) -> str:
    return outcome(value)
