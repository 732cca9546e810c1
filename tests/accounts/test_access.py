"""The access decorators: anonymous users are sent to log in, subscribers kept out of admin."""

from __future__ import annotations

import pytest
from flask import Flask

from webapp.accounts.decorators import admin_required, login_required


@pytest.fixture
def app_with_routes(app: Flask) -> Flask:
    @app.route("/_test/admin-only")
    @admin_required
    def admin_only():
        return "secret"

    @app.route("/_test/members")
    @login_required
    def members():
        return "members"

    return app


def test_admin_route_redirects_anonymous_to_login(app_with_routes):
    resp = app_with_routes.test_client().get("/_test/admin-only")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_admin_route_forbids_subscriber(app_with_routes, subscriber_client):
    assert subscriber_client.get("/_test/admin-only").status_code == 403


def test_admin_route_serves_admin(app_with_routes, admin_client):
    resp = admin_client.get("/_test/admin-only")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "secret"


def test_login_required_serves_subscriber(app_with_routes, subscriber_client):
    assert subscriber_client.get("/_test/members").status_code == 200


def test_pages_carry_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_lax(client, subscriber):
    from tests.conftest import login

    login(client, subscriber)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
