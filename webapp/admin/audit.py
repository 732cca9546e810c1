"""The audit of the admin area: every write an admin makes there that succeeds is recorded
as an ``admin.<verb>`` activity (system, private) naming who and what.

The verb is the endpoint's name (``operation_retry``, ``job_cancel``, ``user_sign_out``...;
a confirm form's ``_confirmed`` suffix dropped) and the value names the admin
(``by_user_id``) and the target (the URL's ids). One hook for the whole blueprint: a write
added later is audited without anyone remembering to.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_login import current_user

from webapp.accounts.decorators import READS
from webapp.activity import record_activity
from webapp.admin import bp
from webapp.masking import masked


def add_audit_detail(**values: Any) -> None:
    """More for the value of this request's ``admin.<verb>`` activity, should it succeed
    (JSON, masked by the caller): what a form changed, beyond the URL's ids."""
    g.setdefault("audit_detail", {}).update(values)


def verb(endpoint: str) -> str:
    """``admin.operation_retry_confirmed`` -> ``operation_retry``."""
    return endpoint.removeprefix("admin.").removesuffix("_confirmed")


@bp.after_request
def audit(response: Response) -> Response:
    """Record a successful admin write (2xx or a redirect); refused ones changed nothing."""
    if (
        request.method in READS
        or response.status_code >= 400
        or not (current_user.is_authenticated and current_user.is_admin)  # sent to log in
    ):
        return response
    action = verb(request.endpoint or "")
    target = dict(request.view_args or {})
    # A write's query string says what it took (a bulk action's filter): kept, masked.
    args = {k: v[0] if len(v) == 1 else v for k, v in request.args.to_dict(flat=False).items()}
    if args:
        target["args"] = masked(args)
    target.update(g.get("audit_detail", {}))
    described = ", ".join(f"{k} {v}" for k, v in target.items())
    record_activity(
        f"admin.{action}",
        {"by_user_id": current_user.id, **target},
        f"{current_user.email}: {action.replace('_', ' ')} ({described})"[:2000],
        system=True,
        private=True,
    )
    return response
