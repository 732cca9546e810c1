"""/admin/operations: find operations, see one in full (its diagram and the timeline of its
attempts), retry it, or re-run it from a chosen step with its globals edited first.

Retry, re-run and cancel are two views each: a GET page that says what will happen (and never
changes anything, HEAD included), and a POST (with the CSRF token and ``confirm=yes``) that does
it. Both answer 409 with the reason when the state does not allow it; a re-run's globals that
are not valid answer 400 with the reason, on the same form, and change nothing.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.admin import bp
from webapp.admin.audit import add_audit_detail
from webapp.admin.diagram import build_diagram
from webapp.admin.params import (
    bad,
    choice_arg,
    datetime_arg,
    globals_arg,
    int_arg,
    limit_arg,
    link,
    text_arg,
    user_arg,
)
from webapp.admin.queries import user_emails
from webapp.admin.templating import admin_json
from webapp.admin.timeline import build_timeline
from webapp.extensions import db
from webapp.inputs import loads_json
from webapp.masking import masked, unmasked
from webapp.operations import (
    FINISHED_STATES,
    STATES,
    Action,
    Operation,
    cancel_operation,
    changed_keys,
    rerun_action,
    retry_operation,
)
from webapp.operations.models import CANCELLED, COMPLETED, FAILED
from webapp.operations.queries import list_operations, operation_detail, state_counts
from webapp.operations.rerun import rerun_plan
from webapp.operations.spec import check_globals


def operation_filters() -> dict[str, Any]:
    """The operations filter the query string describes (400 on bad input)."""
    filters: dict[str, Any] = {
        "name_prefix": text_arg("name"),
        "state": choice_arg("state", STATES),
        "owner_id": user_arg("owner"),
        "created_from": datetime_arg("from"),
        "created_to": datetime_arg("to"),
    }
    pairs = globals_arg("globals")
    if pairs:
        filters["globals"] = pairs
    if (
        filters["created_from"] is not None
        and filters["created_to"] is not None
        and filters["created_from"] >= filters["created_to"]
    ):
        bad("from must be earlier than to")
    return {k: v for k, v in filters.items() if v is not None}


@bp.route("/operations")
def operations() -> ResponseReturnValue:
    """Operations newest first, filtered, keyset-paged, with counts per state on top."""
    filters = operation_filters()
    try:
        page = list_operations(before=int_arg("before"), limit=limit_arg(), **filters)
        counts = state_counts(**filters)
    except ValueError as exc:  # a globals value the JSON filter cannot express
        bad(str(exc))
    return render_template(
        "admin/operations.html",
        page=page,
        counts=counts,
        filters=request.args,
        globals_text="\n".join(request.args.getlist("globals")),
        owners=user_emails(op.owner_id for op in page.items),
        state_urls={s: link("admin.operations", drop=("before", "state"), state=s) for s in STATES},
        all_states_url=link("admin.operations", drop=("before", "state")),
        next_url=link("admin.operations", before=page.next_before) if page.next_before else None,
    )


@bp.route("/operations/<int:op_id>")
def operation(op_id: int) -> ResponseReturnValue:
    """One operation: globals, branches with their actions, the diagram, retry buttons."""
    detail = operation_detail(op_id)
    if detail is None:
        abort(404, description=f"no operation {op_id}")
    owner_id = detail.operation.owner_id
    owner = user_emails([owner_id]).get(owner_id) if owner_id is not None else None
    return render_template(
        "admin/operation.html",
        detail=detail,
        op=detail.operation,
        owner=owner,
        diagram=build_diagram(detail),
        timeline=build_timeline(detail),
        steps={step.action.id: i + 1 for i, step in enumerate(detail.path)},
    )


def _operation_and_next(op_id: int) -> tuple[Operation, Action | None]:
    """The operation (404 if there is none) and its next action."""
    op = db.session.get(Operation, op_id)
    if op is None:
        abort(404, description=f"no operation {op_id}")
    return op, db.session.get(Action, op.next_action_id) if op.next_action_id else None


def _retry_target(op_id: int) -> tuple[Operation, Action | None, str | None]:
    """The operation, its failed action and why it cannot be retried now (None if it can)."""
    op, failed = _operation_and_next(op_id)
    if op.state != FAILED:
        refusal = f"Operation {op.id} is {op.state}, not failed: there is nothing to retry."
        return op, failed, refusal
    return op, failed, None


@bp.get("/operations/<int:op_id>/retry")
def operation_retry(op_id: int) -> ResponseReturnValue:
    """The confirm page: what a retry from the failed action will do, or why it cannot."""
    return _confirm_page("retry", *_retry_target(op_id))


@bp.post("/operations/<int:op_id>/retry")
def operation_retry_confirmed(op_id: int) -> ResponseReturnValue:
    """Resume a failed operation from its failed action."""
    op, failed, refusal = _retry_target(op_id)
    require_confirmation()
    if refusal or failed is None:
        abort(409, description=refusal or f"operation {op_id} has no failed action")
    try:
        retry_operation(op_id)
    except ValueError as exc:  # it changed since we looked (another admin, the reaper)
        abort(409, description=str(exc))
    flash(f"Operation {op_id} is retrying from {failed.short_name}.", "success")
    return redirect(url_for("admin.operation", op_id=op_id))


def _rerun_target(action_id: int) -> tuple[Operation, Action, str | None]:
    """The action's operation, the action and why the operation cannot be re-run from it now
    (None if it can): only a finished operation, from a completed or failed action."""
    action = db.session.get(Action, action_id)
    if action is None:
        abort(404, description=f"no action {action_id}")
    op = action.operation
    if op.state not in FINISHED_STATES:
        then = "A cancelled one is final." if op.state == CANCELLED else "Wait until it ends."
        refusal = f"Operation {op.id} is {op.state}: only a completed or failed operation can "
        return op, action, refusal + f"be re-run from a step. {then}"
    if action.state not in (COMPLETED, FAILED):
        refusal = f"Action {action_id} ({action.short_name}) is {action.state}: only a "
        return op, action, refusal + "completed or failed action can be re-run from."
    return op, action, None


def _rerun_page(
    op: Operation,
    action: Action,
    refusal: str | None,
    *,
    globals_text: str | None = None,
    form_error: str | None = None,
) -> ResponseReturnValue:
    """The re-run confirm page: what stays, what runs again, and the globals to edit."""
    return _confirm_page(
        "rerun",
        op,
        action,
        refusal,
        plan=None if refusal else rerun_plan(op, action),
        globals_text=admin_json(op.globals) if globals_text is None else globals_text,
        form_error=form_error,
        status=400 if form_error else None,
    )


@bp.get("/actions/<int:action_id>/rerun")
def action_rerun(action_id: int) -> ResponseReturnValue:
    """The confirm page: what re-running the operation from this action will do (with its
    globals to edit), or why it cannot."""
    return _rerun_page(*_rerun_target(action_id))


@bp.post("/actions/<int:action_id>/rerun")
def action_rerun_confirmed(action_id: int) -> ResponseReturnValue:
    """Re-run a finished operation from this action, with the globals the form sends (if
    it sends them) in place of its own."""
    op, action, refusal = _rerun_target(action_id)
    require_confirmation()
    if refusal:
        abort(409, description=refusal)
    old = dict(op.globals or {})
    text = request.form.get("globals")
    new = None
    if text is not None:
        try:
            new = edited_globals(text, old)
        except ValueError as exc:
            return _rerun_page(op, action, None, globals_text=text, form_error=str(exc))
    op_id, name = op.id, action.short_name
    try:
        rerun_action(action_id, globals=new)
    except ValueError as exc:  # it changed since we looked (another admin, a cancel)
        abort(409, description=str(exc))
    if new is not None:
        add_audit_detail(**globals_audit(old, new))
    flash(f"Operation {op_id} is running again from {name}.", "success")
    return redirect(url_for("admin.operation", op_id=op_id))


def edited_globals(text: str, current: dict[str, Any]) -> dict[str, Any]:
    """The globals a re-run form sends (JSON text, its masked values shown as ``MASK``),
    checked as start_operation checks globals: a MASK left at a sensitive key keeps the
    current value. ValueError naming what is wrong."""
    try:
        value = loads_json(text)
    except ValueError as exc:  # json.JSONDecodeError is one
        raise ValueError(f"globals are not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"globals must be a JSON object, got {type(value).__name__}")
    return check_globals(unmasked(value, current))


#: How much of a globals edit the audit records: at most this many keys, and values up to
#: this many characters of JSON (longer ones are summarised by their size).
AUDIT_KEYS = 50
AUDIT_VALUE_CHARS = 200


def globals_audit(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What the audit says of a globals edit: each changed key with its value before and
    after (``from`` absent for an added key, ``to`` for a removed one), masked."""

    def short(value: Any) -> Any:
        encoded = json.dumps(value, sort_keys=True)
        return value if len(encoded) <= AUDIT_VALUE_CHARS else f"({len(encoded)} chars of JSON)"

    keys = changed_keys(old, new)
    changes = {
        key: {
            **({"from": short(old[key])} if key in old else {}),
            **({"to": short(new[key])} if key in new else {}),
        }
        for key in keys[:AUDIT_KEYS]
    }
    detail: dict[str, Any] = {"globals_changed": masked(changes)}
    if len(keys) > AUDIT_KEYS:
        detail["globals_changed_count"] = len(keys)
    return detail


def _cancel_target(op_id: int) -> tuple[Operation, Action | None, str | None]:
    """The operation, its next action and why it cannot be cancelled (None if it can)."""
    op, nxt = _operation_and_next(op_id)
    if op.state in (COMPLETED, CANCELLED):
        return op, nxt, f"Operation {op.id} is {op.state}: it has finished, nothing to cancel."
    return op, nxt, None


@bp.get("/operations/<int:op_id>/cancel")
def operation_cancel(op_id: int) -> ResponseReturnValue:
    """The confirm page: what cancelling the operation will do, or why it cannot."""
    return _confirm_page("cancel", *_cancel_target(op_id))


@bp.post("/operations/<int:op_id>/cancel")
def operation_cancel_confirmed(op_id: int) -> ResponseReturnValue:
    """Cancel an operation for good."""
    _op, _next, refusal = _cancel_target(op_id)
    require_confirmation()
    if refusal:
        abort(409, description=refusal)
    try:
        cancel_operation(op_id, by_user_id=current_user.id)
    except ValueError as exc:  # it finished since we looked
        abort(409, description=str(exc))
    flash(f"Operation {op_id} is cancelled.", "success")
    return redirect(url_for("admin.operation", op_id=op_id))


def require_confirmation() -> None:
    """A retry POST must carry ``confirm=yes`` (sent by the confirm page's form)."""
    if request.form.get("confirm") != "yes":
        bad("confirm=yes is required: confirm on the page that explains what will happen")


def _confirm_page(
    kind: str,
    op: Operation,
    action: Action | None,
    refusal: str | None,
    *,
    status: int | None = None,
    **extra: Any,
) -> ResponseReturnValue:
    page = render_template(
        "admin/confirm.html", kind=kind, op=op, action=action, refusal=refusal, **extra
    )
    return page, status or (409 if refusal else 200)
