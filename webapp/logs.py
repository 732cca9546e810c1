"""Logs a deployment can follow: one line per request with a request id, the id on every line
logged while the request runs (and on the line saying which task it enqueued, whose id the
consumer's lines carry), and JSON lines in production (``BEACON_LOG_FORMAT=json``).

A request id comes from the ``X-Request-ID`` header (a load balancer's) when it is a short
token, else it is made here; every response carries it back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from huey.signals import SIGNAL_ENQUEUED

from webapp.extensions import huey

log = logging.getLogger("beacon.request")

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: Fields a log line may carry besides its message (JSON keys of the same names).
FIELDS = ("request_id", "method", "path", "status", "ms", "user_id", "task", "task_id")
#: Loggers with handlers of their own (gunicorn's worker, huey_consumer): JSON too, once the
#: app is built in the process (a gunicorn master's own lines stay in gunicorn's format).
SERVER_LOGGERS = ("gunicorn.error", "huey")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the known fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (name, getattr(record, name))
            for name in FIELDS
            if getattr(record, name, None) is not None
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def init_logging(app: Flask) -> None:
    """Request ids and the request log for this app; JSON lines when the app asks for them."""
    if app.config["BEACON_LOG_FORMAT"] == "json":
        use_json()
    app.before_request(_start_request)
    app.after_request(_log_request)


def use_json() -> None:
    """Every line this process logs, as JSON on stderr (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        stream = logging.StreamHandler()
        stream.addFilter(RequestIdFilter())
        root.addHandler(stream)
    root.setLevel(logging.INFO)
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())
        if logger.handlers:
            logger.propagate = False  # its own handler writes it: once, not twice


def _start_request() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.request_id
    if request.endpoint != "static":
        from flask_login import current_user

        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                "user_id": current_user.id if current_user.is_authenticated else None,
            },
        )
    return response


@huey.signal(SIGNAL_ENQUEUED)
def log_enqueued(signal: str, task: Any) -> None:
    """Huey's ``enqueued`` signal, in the enqueuing process: which task this request made."""
    if has_request_context():
        log.info(
            "enqueued %s %s",
            task.name,
            task.id,
            extra={"request_id": g.get("request_id"), "task": task.name, "task_id": task.id},
        )
