"""/admin/operations/bulk/<verb>: retry, cancel or delete every operation the list's filter matches, as one
tracked job. A GET page says what will happen (how many, which filter); the POST, with the
CSRF token and ``confirm=yes``, starts the job and sends the admin to its progress bar."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tasks.bulk import LIMIT, OPERATION_VERBS, Verb, bulk_operations, operation_ids
from webapp.admin import bp
from webapp.admin.operations import operation_filters, require_confirmation
from webapp.admin.params import bad, link


def _target(verb: str) -> tuple[Verb, dict, list[int]]:
    if verb not in OPERATION_VERBS:
        abort(404, description=f"no bulk action {verb!r:.40}: one of {', '.join(OPERATION_VERBS)}")
    filters = operation_filters()
    try:
        ids = operation_ids(verb, filters)
    except ValueError as exc:  # a globals value the JSON filter cannot express
        bad(str(exc))
    return OPERATION_VERBS[verb], filters, ids


@bp.route("/operations/bulk/<verb>")
def operations_bulk(verb: str) -> ResponseReturnValue:
    """The confirm page: which operations the bulk action takes, or that none match."""
    action, _filters, ids = _target(verb)
    described = [(k, v) for k, v in request.args.items(multi=True) if k != "before"]
    return render_template(
        "admin/confirm_bulk.html",
        verb=verb,
        action=action,
        count=len(ids),
        limit=LIMIT,
        described=described,
        back=link("admin.operations"),
    )


@bp.post("/operations/bulk/<verb>")
def operations_bulk_confirmed(verb: str) -> ResponseReturnValue:
    """Start the bulk job; 409 when nothing matches."""
    action, filters, ids = _target(verb)
    require_confirmation()
    if not ids:
        abort(409, description=f"no operation matches: nothing to {verb}")
    job = bulk_operations(verb, filters, current_user.id)
    flash(f"{action.label}: a job takes {len(ids)} operations (job {job.id}).", "success")
    return redirect(url_for("admin.jobs", task="beacon.bulk"))
