"""/admin/bulk/<kind>/<verb>: retry, cancel or delete every operation, event or job the
list's filter matches, as one tracked job. A GET page says what will happen (how many, which
filter); the POST, with the CSRF token and ``confirm=yes``, starts the job and sends the admin
to its progress bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tasks.bulk import KINDS, LIMIT, Verb, bulk_action, matching_ids, verb_of
from webapp.admin import bp
from webapp.admin.events import event_filters
from webapp.admin.jobs import job_filters
from webapp.admin.operations import operation_filters, require_confirmation
from webapp.admin.params import bad, link

#: Each list's filter, read from the query string as that list reads it.
FILTERS: dict[str, Callable[[], dict[str, Any]]] = {
    "operations": operation_filters,
    "events": event_filters,
    "jobs": job_filters,
}
_KIND = "<any(" + ", ".join(KINDS) + "):kind>"


def _target(kind: str, verb: str) -> tuple[Verb, dict[str, Any], list[Any]]:
    try:
        action = verb_of(kind, verb)
    except ValueError as exc:
        abort(404, description=str(exc))
    filters = FILTERS[kind]()
    try:
        ids = matching_ids(kind, verb, filters)
    except ValueError as exc:  # a value the filter cannot express
        bad(str(exc))
    return action, filters, ids


@bp.route(f"/bulk/{_KIND}/<verb>")
def bulk(kind: str, verb: str) -> ResponseReturnValue:
    """The confirm page: which items the bulk action takes, or that none match."""
    action, _filters, ids = _target(kind, verb)
    described = [(k, v) for k, v in request.args.items(multi=True) if k != "before"]
    return render_template(
        "admin/confirm_bulk.html",
        kind=kind,
        verb=verb,
        action=action,
        count=len(ids),
        limit=LIMIT,
        described=described,
        back=link(f"admin.{kind}"),
    )


@bp.post(f"/bulk/{_KIND}/<verb>")
def bulk_confirmed(kind: str, verb: str) -> ResponseReturnValue:
    """Start the bulk job; 409 when nothing matches."""
    action, filters, ids = _target(kind, verb)
    require_confirmation()
    if not ids:
        abort(409, description=f"no {kind[:-1]} matches: nothing to {verb}")
    job = bulk_action(kind, verb, filters, current_user.id)
    flash(f"{action.label}: a job takes {len(ids)} {kind} (job {job.id}).", "success")
    return redirect(url_for("admin.jobs", task="beacon.bulk"))
