"""Admins only, on every admin URL: the URL map is read at collection, so a new admin route is
tested without anyone remembering to add it."""

from __future__ import annotations

import os
import tempfile
from types import SimpleNamespace

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from tests.admin import factories
from tests.conftest import csrf_token
from webapp import create_app
from webapp.activity import Activity
from webapp.extensions import db


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
WRITE_RULES = [(endpoint, method) for endpoint, method in ADMIN_RULES if method != "GET"]


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


def admin_activities(app: Flask) -> list[SimpleNamespace]:
    """The admin.* activities stored so far (as plain records)."""
    a = Activity.__table__.c
    columns = [a.key, a.value, a.message, a.system, a.private, a.user_id]
    with app.app_context():
        rows = db.session.execute(select(*columns).where(a.key.startswith("admin."))).mappings()
        found = [SimpleNamespace(**row) for row in rows]
        db.session.rollback()
        return found


@pytest.mark.parametrize("endpoint", GET_RULES)
def test_viewer_can_open_every_admin_page(app, viewer_client, url_ids, endpoint):
    url = admin_url(app, endpoint, url_ids)
    resp = viewer_client.get(url)
    assert resp.status_code == 200, f"GET {url}: {resp.get_data(as_text=True)[:500]}"
    assert 'id="confirm-button"' not in resp.get_data(as_text=True)


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("endpoint", "method"), WRITE_RULES)
def test_viewer_is_forbidden_on_every_admin_write(app, viewer_client, url_ids, endpoint, method):
    url = admin_url(app, endpoint, url_ids)
    viewer_client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(viewer_client, "/admin/")
    resp = viewer_client.open(url, method=method, data={"confirm": "yes"})
    assert resp.status_code == 403, f"{method} {url}"
    assert "only admins change things" in resp.get_data(as_text=True)
    assert admin_activities(app) == []


@pytest.mark.parametrize(("endpoint", "method"), WRITE_RULES)
def test_each_admin_write_leaves_one_admin_activity(
    app, admin_client, admin, url_ids, endpoint, method
):
    url = admin_url(app, endpoint, url_ids)
    admin_client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(admin_client, "/admin/")
    resp = admin_client.open(url, method=method, data={"confirm": "yes"})
    assert resp.status_code < 400, f"{method} {url}: {resp.get_data(as_text=True)[:300]}"
    [audit] = admin_activities(app)
    verb = endpoint.removeprefix("admin.").removesuffix("_confirmed")
    assert audit.key == f"admin.{verb}" and audit.system and audit.private
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    assert audit.value == {"by_user_id": admin.id, **{k: url_ids[k] for k in rule.arguments}}
    assert audit.user_id is None and admin.email in audit.message


def test_a_refused_admin_write_is_not_recorded(app, admin_client, url_ids):
    done = factories.completed_job(app)
    admin_client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(admin_client, "/admin/")
    assert admin_client.post(f"/admin/jobs/{done}/cancel").status_code == 409
    assert admin_activities(app) == []


def test_viewers_are_created_from_the_command_line(app):
    from webapp.accounts import User

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "v@example.com", "--password", "pw", "--role", "viewer"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "v@example.com"))
        assert user.role == "viewer" and user.sees_admin and not user.is_admin
    bad = runner.invoke(
        args=["users", "create", "w@example.com", "--password", "pw", "--role", "x"]
    )
    assert bad.exit_code != 0 and "x" in bad.output


def test_the_audit_view_lists_what_an_admin_changed(app, admin_client, url_ids):
    admin_client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(admin_client, "/admin/")
    job_id = url_ids["job_id"]
    assert admin_client.post(f"/admin/jobs/{job_id}/cancel").status_code == 302
    page = admin_client.get("/admin/activity?key=admin.").get_data(as_text=True)
    assert "Audit: what admins changed" in page and "admin.job_cancel" in page
    assert "admin.job_cancel" in admin_client.get("/admin/activity").get_data(as_text=True)
