"""``GET /api/openapi.json``: the OpenAPI 3.1 document of the JSON API.

Kept honest by tests/api/test_openapi.py: every ``/api/`` rule of the URL map must be
documented here (and nothing else), and real responses of every documented status are
validated against these schemas. Objects Beacon defines are closed (``additionalProperties:
false``), so a field added to a response without a word here fails that test.
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from webapp.api import bp

VERSION = "1.0.0"
JSON = "application/json"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(properties: dict[str, Any], *, closed: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": not closed,
        **extra,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema_name)}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


#: An activity id: a positive 64-bit integer (larger ones are refused with 400).
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
TIME = {"type": "string", "format": "date-time"}
NOT_LOGGED_IN = _error("Not logged in.")
CSRF = _error("Bad request: a malformed body, bad values, or a missing CSRF token.")


def schemas() -> dict[str, Any]:
    from webapp.jobs import STATUSES

    return {
        "Error": _obj({"error": {"type": "string", "minLength": 1}}),
        "FeedItem": _obj(
            {
                "id": ID,
                "key": {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)*$"},
                "value": {"description": "Any JSON value: true = success, false = error."},
                "message": _nullable({"type": "string"}),
                "created_at": TIME,
                "subject_type": _nullable({"type": "string"}),
                "subject_id": _nullable({"type": "string"}),
                "system": {"type": "boolean"},
                "action_required": _nullable({"type": "string"}),
                "action_url": _nullable({"type": "string"}),
                "read": {"type": "boolean"},
                "label": {"type": "string", "description": "The key in words."},
                "action_label": {"type": "string", "description": "The action's button text."},
            },
            description="One activity as its owner sees it (also the Socket.IO `activity`).",
        ),
        "FeedPage": _obj(
            {
                "items": {"type": "array", "items": _ref("FeedItem")},
                "next_before": _nullable(ID),
            },
            description="Newest first; pass next_before as before for the next page.",
        ),
        "Alerts": _obj({"items": {"type": "array", "items": _ref("FeedItem")}}),
        "Count": _obj({"count": {"type": "integer", "minimum": 0}}),
        "ReadRequest": {
            "description": 'Either {"ids": [<activity id>, ...]} or {"all": true}.',
            "oneOf": [
                _obj({"ids": {"type": "array", "items": ID, "maxItems": 1000}}),
                _obj({"all": {"const": True}}),
            ],
        },
        "JobStatus": _obj(
            {
                "id": {"type": "string", "minLength": 1, "maxLength": 64},
                "task": {"type": "string"},
                "owner_id": _nullable(ID),
                "status": {"enum": list(STATUSES)},
                "progress": {"type": "integer"},
                "total": _nullable({"type": "integer", "minimum": 0}),
                "attempts": {"type": "integer", "minimum": 0},
                "enqueued_at": _nullable(TIME),
                "started_at": _nullable(TIME),
                "finished_at": _nullable(TIME),
                "cancel_requested_at": _nullable(TIME),
                "estimated_finish_at": _nullable(TIME),
            },
            closed=False,
            description="A tracked job's status; the job's own custom fields are added to it "
            "(and `exception` {class, message} when it failed and asked to include it).",
        ),
        "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"]},
    }


def paths() -> dict[str, Any]:
    login: list[dict[str, list[str]]] = [{"session": []}]
    return {
        "/api/notifications": {
            "get": {
                "summary": "The current user's feed, newest first, keyset-paged.",
                "security": login,
                "parameters": [
                    {"name": "before", "in": "query", "schema": ID},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                    {
                        "name": "system",
                        "in": "query",
                        "description": "1 to include system activities.",
                        "schema": {"enum": ["0", "1", "true", "false"]},
                    },
                ],
                "responses": {
                    "200": _json("FeedPage", "A page of the feed."),
                    "400": _error("A bad before, limit or system value."),
                    "401": NOT_LOGGED_IN,
                },
            }
        },
        "/api/notifications/unread_count": {
            "get": {
                "summary": "How many feed items are unread (system ones not counted).",
                "security": login,
                "responses": {"200": _json("Count", "The unread count."), "401": NOT_LOGGED_IN},
            }
        },
        "/api/notifications/read": {
            "post": {
                "summary": "Mark feed items read, or all of them; answers the new unread count.",
                "security": [{"session": [], "csrf": []}],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("ReadRequest")}},
                },
                "responses": {
                    "200": _json("Count", "The unread count after marking."),
                    "400": CSRF,
                    "401": NOT_LOGGED_IN,
                    "413": _error("The body is over 1 MiB."),
                },
            }
        },
        "/api/alerts": {
            "get": {
                "summary": "The current user's open alerts (action required), newest first.",
                "security": login,
                "responses": {"200": _json("Alerts", "Open alerts."), "401": NOT_LOGGED_IN},
            }
        },
        "/api/jobs/{job_id}": {
            "get": {
                "summary": "A tracked job's status, for its owner and admins.",
                "security": login,
                "parameters": [
                    {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _json("JobStatus", "The job's status (not cached)."),
                    "401": NOT_LOGGED_IN,
                    "404": _error("No such job, or not yours (the same answer for both)."),
                },
            }
        },
        "/api/jobs/{job_id}/cancel": {
            "post": {
                "summary": "Cancel a job: a queued one at once, a working one at its next "
                "progress write. For its owner and admins.",
                "security": [{"session": [], "csrf": []}],
                "parameters": [
                    {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _json(
                        "JobStatus", "The job: cancelled, or working with its cancel asked."
                    ),
                    "400": CSRF,
                    "401": NOT_LOGGED_IN,
                    "404": _error("No such job, or not yours (the same answer for both)."),
                    "409": _error("The job has finished: nothing to cancel."),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document.",
                "security": [],
                "responses": {"200": _json("OpenAPI", "The OpenAPI 3.1 document.")},
            }
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document of every JSON route."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Beacon JSON API",
            "version": VERSION,
            "description": 'Every error is {"error": "..."} with its status. Writes need '
            "the session cookie and the page's CSRF token in the X-CSRFToken header.",
        },
        "servers": [{"url": "/"}],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of the JSON API."""
    return document()
