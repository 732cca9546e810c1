"""What the OpenAPI document says of each route, enforced before any view runs.

* Who may call: an operation whose ``security`` is not empty needs a logged-in session (401
  JSON otherwise), as does a route the document does not describe.
* What it takes: an operation with a ``requestBody`` gets its JSON body validated against
  that schema (JSON Schema 2020-12, as OpenAPI 3.1 uses). A key a closed object does not
  list, a wrong type, a number out of range is a 400 naming it; the view only ever sees
  bodies the document describes.

A route added to the document is checked without a line of its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from werkzeug.exceptions import BadRequest

from webapp.api import bp
from webapp.api.openapi import JSON, document
from webapp.errors import error_response
from webapp.inputs import loads_json

_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """``/api/jobs/<job_id>`` as OpenAPI writes it: ``/api/jobs/{job_id}``."""
    return _ARGUMENT.sub(r"{\1}", rule)


@cache
def operation_checks(rule: str, method: str) -> tuple[bool, Draft202012Validator | None]:
    """(whether a login is needed, the body's validator or None) of this route."""
    doc = document()
    method = "get" if method in ("HEAD", "OPTIONS") else method.lower()
    operation = doc["paths"].get(openapi_path(rule), {}).get(method)
    if operation is None:
        return True, None
    body = operation.get("requestBody", {}).get("content", {}).get(JSON)
    validator = (
        Draft202012Validator({**body["schema"], "components": doc["components"]})
        if body is not None
        else None
    )
    return bool(operation.get("security", True)), validator


@bp.before_request
def request_matches_the_document() -> ResponseReturnValue | None:
    """401 for a route that needs a login, without one; 400 for a body the route does not
    take."""
    if request.url_rule is None:
        return None
    needs_login, validator = operation_checks(request.url_rule.rule, request.method)
    if needs_login and not current_user.is_authenticated:
        return error_response(401, "login required")
    if validator is None:
        return None
    try:
        data: Any = request.get_json()  # 415 unless JSON, 413 if too large; parsed once
    except BadRequest:  # Flask keeps the parser's reason to itself outside debug mode
        return error_response(400, f"the body is not JSON: {_parse_error()}")
    error = best_match(validator.iter_errors(data))
    if error is not None:
        where = "".join(f"[{part!r}]" for part in error.absolute_path)
        hint = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"invalid body{where}: {error.message:.300}"
        return error_response(400, f"{message} ({hint})" if hint else message)
    return None


def _parse_error() -> str:
    try:
        loads_json(request.get_data())
    except ValueError as exc:
        return str(exc)[:200]
    return "unreadable"
