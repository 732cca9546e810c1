"""The OpenAPI document matches the JSON API: every /api/ route is in it, and real responses
of every documented status validate against its schemas."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.sample_jobs import api_sample_job
from tests.conftest import csrf_token, login
from tests.support.queue import drain
from webapp.activity import record_activity

PREFIX = "/api/"


@dataclass
class World:
    anon: FlaskClient
    sub: FlaskClient
    other: FlaskClient
    activity_id: int
    job_id: str
    queued_job_id: str


@pytest.fixture
def world(app: Flask, subscriber, other_subscriber) -> World:
    with app.app_context():
        activity_id = record_activity("sync.completed", True, "synced", user_id=subscriber.id).id
        record_activity(
            "authentication.failed",
            False,
            "token expired",
            user_id=subscriber.id,
            action_required="reauthenticate",
            action_url="/account/reauth",
        )
        job_id = api_sample_job(2, owner_id=subscriber.id).id
        drain()
        queued_job_id = api_sample_job(3, owner_id=subscriber.id).id
    anon = app.test_client()
    anon.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(anon)
    return World(
        anon,
        login(app.test_client(), subscriber),
        login(app.test_client(), other_subscriber),
        activity_id,
        job_id,
        queued_job_id,
    )


def no_csrf(client: FlaskClient) -> FlaskClient:
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    return client


#: (path in the document, method, status) -> how to get such a response for real.
CASES: dict[tuple[str, str, int], Callable[[World], object]] = {
    ("/api/notifications", "get", 200): lambda w: w.sub.get("/api/notifications?limit=1"),
    ("/api/notifications", "get", 400): lambda w: w.sub.get("/api/notifications?before=x"),
    ("/api/notifications", "get", 401): lambda w: w.anon.get("/api/notifications"),
    ("/api/notifications/unread_count", "get", 200): lambda w: w.sub.get(
        "/api/notifications/unread_count"
    ),
    ("/api/notifications/unread_count", "get", 401): lambda w: w.anon.get(
        "/api/notifications/unread_count"
    ),
    ("/api/notifications/read", "post", 200): lambda w: w.sub.post(
        "/api/notifications/read", json={"ids": [w.activity_id]}
    ),
    ("/api/notifications/read", "post", 400): lambda w: no_csrf(w.sub).post(
        "/api/notifications/read", json={"all": True}
    ),
    ("/api/notifications/read", "post", 401): lambda w: w.anon.post(
        "/api/notifications/read", json={"all": True}
    ),
    ("/api/notifications/read", "post", 413): lambda w: w.sub.post(
        "/api/notifications/read",
        data=b"[" + b"1," * 600_000 + b"1]",
        content_type="application/json",
    ),
    ("/api/alerts", "get", 200): lambda w: w.sub.get("/api/alerts"),
    ("/api/alerts", "get", 401): lambda w: w.anon.get("/api/alerts"),
    ("/api/jobs/{job_id}", "get", 200): lambda w: w.sub.get(f"/api/jobs/{w.job_id}"),
    ("/api/jobs/{job_id}", "get", 401): lambda w: w.anon.get(f"/api/jobs/{w.job_id}"),
    ("/api/jobs/{job_id}", "get", 404): lambda w: w.other.get(f"/api/jobs/{w.job_id}"),
    ("/api/jobs/{job_id}/cancel", "post", 200): lambda w: w.sub.post(
        f"/api/jobs/{w.queued_job_id}/cancel"
    ),
    ("/api/jobs/{job_id}/cancel", "post", 400): lambda w: no_csrf(w.sub).post(
        f"/api/jobs/{w.queued_job_id}/cancel"
    ),
    ("/api/jobs/{job_id}/cancel", "post", 401): lambda w: w.anon.post(
        f"/api/jobs/{w.queued_job_id}/cancel"
    ),
    ("/api/jobs/{job_id}/cancel", "post", 404): lambda w: w.other.post(
        f"/api/jobs/{w.queued_job_id}/cancel"
    ),
    ("/api/jobs/{job_id}/cancel", "post", 409): lambda w: w.sub.post(
        f"/api/jobs/{w.job_id}/cancel"
    ),
    ("/api/openapi.json", "get", 200): lambda w: w.anon.get("/api/openapi.json"),
}

FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_aware_iso_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@pytest.fixture
def doc(client: FlaskClient) -> dict:
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def documented(doc: dict) -> set[tuple[str, str, int]]:
    return {
        (path, method, int(status))
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        for status in op["responses"]
    }


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_document_schemas_are_valid_json_schema(doc):
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented_and_nothing_else(app, doc):
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    in_doc = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == in_doc


def test_every_documented_response_has_a_real_case(doc):
    assert documented(doc) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[1]} {c[0]} {c[2]}")
def test_real_response_matches_the_document(doc, world, case):
    path, method, status = case
    resp = CASES[case](world)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/json"
    content = doc["paths"][path][method]["responses"][str(status)]["content"]
    schema = {**content["application/json"]["schema"], "components": doc["components"]}
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(resp.get_json())


def test_a_new_field_in_a_closed_object_fails_validation(doc):
    schema = {"$ref": "#/components/schemas/Count", "components": doc["components"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"count": 1, "extra": True}, schema)
