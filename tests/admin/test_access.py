"""Admins only, on every admin URL: the URL map is read at collection, so a new admin route is
tested without anyone remembering to add it."""

from __future__ import annotations

import os
import tempfile

import pytest
from flask import Flask, url_for

from tests.conftest import csrf_token
from webapp import create_app


def admin_rules() -> list[tuple[str, str]]:
    """(endpoint, method) of every rule under /admin."""
    tmp = tempfile.mkdtemp(prefix="beacon-admin-rules-")
    app = create_app(
        {
            "BEACON_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(tmp, 'rules.db')}",
            "BEACON_HUEY_FILE": os.path.join(tmp, "huey.db"),
        }
    )
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


ADMIN_RULES = admin_rules()
GET_RULES = [endpoint for endpoint, method in ADMIN_RULES if method == "GET"]


def admin_url(app: Flask, endpoint: str, ids: dict[str, object]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    missing = sorted(rule.arguments - ids.keys())
    assert not missing, f"add real ids for {missing} to the url_ids fixture ({rule.rule})"
    with app.test_request_context():
        return url_for(endpoint, **{name: ids[name] for name in rule.arguments})


def test_the_admin_area_has_routes_to_check():
    assert ("admin.operation_retry_confirmed", "POST") in ADMIN_RULES
    assert len(GET_RULES) >= 8


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("endpoint", "method"), ADMIN_RULES)
def test_subscriber_is_forbidden_on_every_admin_url(
    app, subscriber_client, url_ids, endpoint, method
):
    url = admin_url(app, endpoint, url_ids)
    resp = subscriber_client.open(url, method=method, data={"confirm": "yes"})
    assert resp.status_code == 403, f"{method} {url}"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("endpoint", "method"), ADMIN_RULES)
def test_anonymous_is_sent_to_login_on_every_admin_url(app, client, url_ids, endpoint, method):
    url = admin_url(app, endpoint, url_ids)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client)  # so CSRF is not the refusal
    resp = client.open(url, method=method, data={"confirm": "yes"})
    assert resp.status_code == 302, f"{method} {url}"
    assert resp.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("endpoint", GET_RULES)
def test_admin_can_open_every_admin_page(app, admin_client, url_ids, endpoint):
    url = admin_url(app, endpoint, url_ids)
    resp = admin_client.get(url)
    assert resp.status_code == 200, f"GET {url}: {resp.get_data(as_text=True)[:500]}"


def test_admin_nav_link_is_shown_to_admins_only(admin_client, subscriber_client):
    assert 'href="/admin/"' in admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' not in subscriber_client.get("/").get_data(as_text=True)


def test_every_admin_endpoint_sits_under_a_tab():
    from webapp.admin.templating import SECTIONS

    tabbed = {endpoint for _, _, endpoints in SECTIONS for endpoint in endpoints}
    assert {endpoint for endpoint, _ in ADMIN_RULES} <= tabbed
