"""Who may open what: every rule of the URL map, for anonymous, subscriber and admin.

The URL map is read at collection, so a route added later is checked without anyone
remembering to: it is closed to anonymous callers unless listed in PUBLIC, /admin is for
admins only, and no caller gets a 5xx.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from tests.conftest import csrf_token, login
from webapp import create_app

#: Endpoints anyone may open. Adding one here is a decision: say why beside it.
PUBLIC = {
    "static",  # CSS, JS, the vendored Socket.IO client
    "accounts.login",  # the way in: the form
    "accounts.login_submit",  # and its POST
    "api.openapi_document",  # describes the API; holds no data
    "probes.healthz",  # load balancers probe it: says only "ok"
    "probes.readyz",  # and this: says only which dependency is not ready
}
#: Outside /admin but for its readers only, refusing in JSON (401 to strangers, 403 to
#: subscribers): a scraper's endpoint, which may come with a bearer token instead of a login.
ADMIN_JSON = {"metrics.metrics"}
#: Values for URL arguments by name; ids point at nothing (access is decided before lookup).
ARGUMENTS = {"filename": "css/beacon.css", "kind": "operations"}
MISSING_ID = 987654


def url_rules() -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every rule of the app."""
    tmp = tempfile.mkdtemp(prefix="beacon-security-rules-")
    app = create_app(
        {
            "BEACON_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(tmp, 'rules.db')}",
            "BEACON_HUEY_FILE": os.path.join(tmp, "huey.db"),
        }
    )
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


RULES = url_rules()


def build_url(app: Flask, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for name in rule.arguments:
        numeric = isinstance(rule._converters[name], IntegerConverter)
        values[name] = ARGUMENTS.get(name, MISSING_ID if numeric else "x1")
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def call(client, method: str, url: str):
    """Open ``url`` with a valid CSRF token (logged-in clients carry one since login), so the
    answer is about access, not CSRF."""
    if "HTTP_X_CSRFTOKEN" not in client.environ_base:
        client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client, "/login")
    resp = client.open(url, method=method, data={"confirm": "yes"})
    resp.close()  # static files are streamed from an open file
    return resp


def test_the_url_map_has_the_routes_this_test_is_about():
    endpoints = {endpoint for endpoint, _, _ in RULES}
    assert {"api.job_status", "admin.operation", "notifications.feed_page"} <= endpoints
    assert PUBLIC <= endpoints


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("endpoint", "method", "rule"), RULES)
def test_route_admits_exactly_whom_it_should(app, subscriber, admin, endpoint, method, rule):
    url = build_url(app, endpoint)
    api = rule.startswith("/api/")
    anonymous = call(app.test_client(), method, url)
    as_subscriber = call(login(app.test_client(), subscriber), method, url)
    as_admin = call(login(app.test_client(), admin), method, url)
    where = f"{method} {url}"

    for role, resp in (
        ("anonymous", anonymous),
        ("subscriber", as_subscriber),
        ("admin", as_admin),
    ):
        assert resp.status_code < 500, f"{role}: {where} -> {resp.status_code}"
        if api or (endpoint in ADMIN_JSON and resp.status_code >= 400):
            assert resp.mimetype == "application/json", f"{role}: {where} answered {resp.mimetype}"
    if endpoint not in PUBLIC:
        if api or endpoint in ADMIN_JSON:
            assert anonymous.status_code == 401, where
        else:
            assert anonymous.status_code == 302, where
            assert anonymous.headers["Location"].startswith("/login"), where
    if rule.startswith("/admin") or endpoint in ADMIN_JSON:
        assert as_subscriber.status_code == 403, where
    else:
        assert as_subscriber.status_code not in (401, 403), where
    assert as_admin.status_code not in (401, 403), where
