"""/admin/operations: find operations, see one in full, retry it or re-run its failed action.

Retry and re-run are two views each: a GET page that says what will happen (and never changes
anything, HEAD included), and a POST (with the CSRF token and ``confirm=yes``) that does it.
Both answer 409 with the reason when the state does not allow it.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.admin import bp
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
from webapp.extensions import db
from webapp.operations import (
    STATES,
    Action,
    Operation,
    cancel_operation,
    rerun_action,
    retry_operation,
)
from webapp.operations.models import CANCELLED, COMPLETED, FAILED
from webapp.operations.queries import list_operations, operation_detail, state_counts


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
    """The action's operation, the action and why it cannot be re-run now (None if it can)."""
    action = db.session.get(Action, action_id)
    if action is None:
        abort(404, description=f"no action {action_id}")
    if action.state != FAILED:
        refusal = f"Action {action_id} ({action.short_name}) is {action.state}, not failed: "
        return action.operation, action, refusal + "there is nothing to re-run."
    return action.operation, action, None


@bp.get("/actions/<int:action_id>/rerun")
def action_rerun(action_id: int) -> ResponseReturnValue:
    """The confirm page: what running one failed action again will do, or why it cannot."""
    return _confirm_page("rerun", *_rerun_target(action_id))


@bp.post("/actions/<int:action_id>/rerun")
def action_rerun_confirmed(action_id: int) -> ResponseReturnValue:
    """Run one failed action again."""
    op, action, refusal = _rerun_target(action_id)
    require_confirmation()
    if refusal:
        abort(409, description=refusal)
    try:
        rerun_action(action_id)
    except ValueError as exc:
        abort(409, description=str(exc))
    flash(f"Action {action.short_name} of operation {op.id} is running again.", "success")
    return redirect(url_for("admin.operation", op_id=op.id))


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
    kind: str, op: Operation, action: Action | None, refusal: str | None
) -> ResponseReturnValue:
    page = render_template("admin/confirm.html", kind=kind, op=op, action=action, refusal=refusal)
    return page, 409 if refusal else 200
