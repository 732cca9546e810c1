"""/admin/activity: search the log by key prefix, subject, user and flags; export as CSV."""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from webapp.admin import bp
from webapp.admin.export import csv_lines
from webapp.admin.params import (
    bool_arg,
    int_arg,
    key_prefix_arg,
    limit_arg,
    link,
    text_arg,
    user_arg,
)
from webapp.admin.queries import (
    ActivityFilter,
    iter_activities,
    search_activities,
    user_emails,
)
from webapp.database import utcnow


def activity_filter() -> ActivityFilter:
    """The filter the query string describes (400 on bad input)."""
    no_user = (text_arg("user") or "").lower() == "none"
    user_id = None if no_user else user_arg("user")
    return ActivityFilter(
        key_prefix=key_prefix_arg("key"),
        subject_type=text_arg("subject_type", 100),
        subject_id=text_arg("subject_id"),
        user_id=user_id,
        no_user=no_user,
        system=bool_arg("system"),
        private=bool_arg("private"),
    )


@bp.route("/activity")
def activity() -> ResponseReturnValue:
    """Search the activity log, newest first, keyset-paged."""
    flt = activity_filter()
    rows, next_before = search_activities(flt, before=int_arg("before"), limit=limit_arg())
    return render_template(
        "admin/activity.html",
        rows=rows,
        emails=user_emails(a.user_id for a in rows),
        filters=request.args,
        next_url=link("admin.activity", before=next_before) if next_before else None,
        export_url=link("admin.activity_export", drop=("before", "limit")),
    )


@bp.route("/activity.csv")
def activity_export() -> ResponseReturnValue:
    """Every row the filter matches as CSV, streamed in batches."""
    filename = f"activity-{utcnow():%Y%m%d-%H%M%S}.csv"
    # The request's own transaction ends when the view returns; the stream runs in a new
    # one, read-only like every transaction of a GET request.
    body = stream_with_context(csv_lines(iter_activities(activity_filter()), user_emails))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
