"""Error pages for people, JSON errors for the API: never a 500 for bad input."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from webapp.extensions import db

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message: str) -> Response:
    """A JSON ``{"error": message}`` response with this status."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def _describe(exc: HTTPException) -> str:
    if isinstance(exc, CSRFError):
        return f"CSRF check failed: {exc.description}"
    return exc.description or exc.name


def handle_http_error(exc: HTTPException) -> ResponseReturnValue:
    if wants_json():
        return error_response(exc.code or 500, _describe(exc))
    return render_template(
        "error.html", code=exc.code, name=exc.name, message=_describe(exc)
    ), exc.code or 500


def handle_unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s %s", request.method, request.path)
    # A failed statement leaves the transaction unusable (PostgreSQL refuses every later
    # one); the error page reads the user and the bell through a fresh one.
    db.session.rollback()
    if wants_json():
        return error_response(500, "internal error")
    err = InternalServerError()
    return render_template(
        "error.html", code=500, name=err.name, message="Something went wrong."
    ), 500


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
