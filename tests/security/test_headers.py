"""Browser-facing defences: the session cookie's flags, and the headers and markup that keep
scripts and framing out (every GET page of the URL map, as an admin sees it)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from tests.security.test_access import RULES, build_url
from webapp import create_app

PAGES = sorted({endpoint for endpoint, method, rule in RULES if method == "GET"})
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
#: Inline handlers (onclick=...) and style attributes: CSP blocks both, so they would not work.
INLINE_ATTRIBUTE = re.compile(r"<[^>]+\s(on[a-z]+|style)\s*=", re.I)


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def assert_protective_headers(response, where: str) -> None:
    csp = csp_directives(response)
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts == ["'self'"], f"{where}: script-src {scripts}"
    assert csp["connect-src"] == ["'self'"], f"{where}: connect-src {csp['connect-src']}"
    assert csp["frame-ancestors"] == ["'none'"], where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["X-Frame-Options"] == "DENY", where


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("endpoint", PAGES)
def test_page_carries_csp_and_no_inline_script(app, admin_client, endpoint):
    url = build_url(app, endpoint)
    resp = admin_client.get(url)
    assert_protective_headers(resp, f"GET {url}")
    if endpoint != "static":  # someone's data: never kept by a browser or a proxy
        assert resp.headers["Cache-Control"] == "no-store", f"GET {url}"
    if resp.mimetype == "text/html":
        html = resp.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), f"GET {url}: inline script"
        assert not INLINE_ATTRIBUTE.search(html), (
            f"GET {url}: {INLINE_ATTRIBUTE.search(html).group(0)[:120]}"
        )
    resp.close()


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("path", ["/no-such-page", "/api/no-such-thing", "/static/nothing.css"])
def test_error_responses_carry_the_same_headers(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert_protective_headers(resp, f"GET {path}")


@pytest.mark.backends("sqlite")
def test_session_cookie_is_httponly_and_samesite_lax(client, subscriber):
    from tests.conftest import login

    login(client, subscriber)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


@pytest.mark.backends("sqlite")
def test_production_session_cookie_is_secure_httponly_and_lax(backend, subscriber):
    app = create_app({**backend.settings, "BEACON_ENV": "production"})
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # secure cookies come back over https only
    token = csrf_token(client)
    resp = client.post(
        "/login",
        data={"email": subscriber.email, "password": subscriber.password, "csrf_token": token},
    )
    assert resp.status_code == 302
    header = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))
    flags = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {
                "BEACON_ENV": "production",
                "SECRET_KEY": None,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                "BEACON_HUEY_FILE": str(tmp_path / "huey.db"),
            }
        )


@pytest.mark.backends("sqlite")
def test_static_files_may_be_cached(client):
    resp = client.get("/static/css/beacon.css")
    assert resp.status_code == 200 and "no-store" not in resp.headers.get("Cache-Control", "")
    resp.close()


@pytest.mark.backends("sqlite")
def test_the_activity_csv_export_is_not_stored(admin_client):
    resp = admin_client.get("/admin/activity.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Cache-Control"] == "no-store"
    resp.close()


@pytest.mark.backends("sqlite")
def test_socketio_responses_carry_the_same_headers(client):
    resp = client.get("/socket.io/?EIO=4&transport=polling")
    assert resp.status_code == 200
    assert_protective_headers(resp, "GET /socket.io/")
    assert resp.headers["Cache-Control"] == "no-store"
