"""Login, logout, roles, CSRF and the users CLI."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login
from webapp.accounts import create_user, get_user_by_email


def test_login_page_renders_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="email"' in body and 'name="password"' in body and 'name="csrf_token"' in body


def test_login_with_correct_password_redirects_home(client, subscriber):
    login(client, subscriber)
    home = client.get("/")
    assert home.status_code == 200
    assert subscriber.email in home.get_data(as_text=True)


def test_login_with_wrong_password_shows_message(client, subscriber):
    token = csrf_token(client)
    resp = client.post(
        "/login", data={"email": subscriber.email, "password": "wrong", "csrf_token": token}
    )
    assert resp.status_code == 401
    assert "Wrong email or password." in resp.get_data(as_text=True)


def test_login_with_unknown_user_shows_same_message(client):
    token = csrf_token(client)
    resp = client.post(
        "/login", data={"email": "nobody@x.io", "password": "x", "csrf_token": token}
    )
    assert resp.status_code == 401
    assert "Wrong email or password." in resp.get_data(as_text=True)


def test_login_with_missing_fields_shows_field_errors(client):
    token = csrf_token(client)
    resp = client.post("/login", data={"csrf_token": token})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "Email: This field is required." in body
    assert "Password: This field is required." in body


def test_login_without_csrf_token_is_refused(client, subscriber):
    resp = client.post("/login", data={"email": subscriber.email, "password": subscriber.password})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_ignores_offsite_next(client, subscriber):
    token = csrf_token(client)
    resp = client.post(
        "/login?next=//evil.example/x",
        data={"email": subscriber.email, "password": subscriber.password, "csrf_token": token},
    )
    assert resp.headers["Location"] == "/"


def test_logout_requires_post_with_csrf(subscriber_client):
    assert subscriber_client.post("/logout", headers={"X-CSRFToken": ""}).status_code == 400
    resp = subscriber_client.post("/logout")
    assert resp.status_code == 302
    assert subscriber_client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("not-an-email", "pw", "subscriber", "invalid email"),
        ("a@b.io", "", "subscriber", "password"),
        ("a@b.io", "pw", "owner", "invalid role 'owner'"),
    ],
)
def test_create_user_rejects_bad_input(ctx, email, password, role, message):
    with pytest.raises(ValueError, match=message):
        create_user(email, password, role=role)
    assert get_user_by_email("a@b.io") is None


def test_create_user_rejects_duplicate_email_case_insensitively(ctx):
    create_user("Dup@Example.com", "pw")
    with pytest.raises(ValueError, match="already exists"):
        create_user("dup@example.com", "pw2")


def test_users_cli_creates_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "boss@x.io", "--password", "pw", "--admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_user_by_email("boss@x.io").is_admin


def test_users_cli_reports_duplicate(app, subscriber):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", subscriber.email, "--password", "pw"])
    assert result.exit_code != 0
    assert "already exists" in result.output
