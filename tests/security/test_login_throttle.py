"""Login rate limiting: per email and per client address, shared by every web process, and
forgetful: nothing is remembered past the window."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import csrf_token, make_user
from tests.reliability.cluster import WebProcess
from tests.support.live import CSRF_RE
from webapp.accounts.service import login_throttle

ATTEMPTS = 4


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_LOGIN_ATTEMPTS": ATTEMPTS, "BEACON_LOGIN_WINDOW": 300}


def attempt(client, email: str, password: str) -> int:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data).status_code


def test_an_address_that_failed_too_often_is_refused_even_with_a_right_password(app, subscriber):
    client = app.test_client()
    tries = [attempt(client, f"guess{n}@example.com", "nope") for n in range(ATTEMPTS)]
    assert tries == [401] * ATTEMPTS
    assert attempt(client, subscriber.email, subscriber.password) == 429


@pytest.mark.backends("sqlite")
def test_the_throttle_forgets_emails_and_addresses_after_the_window(app):
    app.config.update(BEACON_LOGIN_WINDOW=1, BEACON_LOGIN_ATTEMPTS=1000)
    client = app.test_client()
    with app.app_context():
        throttle = login_throttle()
    throttle.SWEEP_AT = 20  # the same rule at a size a test reaches quickly
    for n in range(50):
        assert attempt(client, f"typo{n}@example.com", "nope") == 401
    assert 20 < len(throttle) <= 51  # each email, and the address
    time.sleep(1.1)
    assert attempt(client, "late@example.com", "nope") == 401
    assert len(throttle) == 2  # the late attempt's email and address


@pytest.mark.backends("pg_redis")
def test_two_web_processes_share_one_limit(app, backend, processes, tmp_path):
    person = make_user(app, "target@example.com")
    env = {**backend.env(), "BEACON_LOGIN_ATTEMPTS": str(ATTEMPTS)}
    webs = [WebProcess(processes, env, tmp_path / f"web{i}.log") for i in range(2)]
    for web in webs:
        web.wait_ready()

    def post(web: WebProcess, password: str) -> int:
        session = requests.Session()
        token = CSRF_RE.search(session.get(f"{web.url}/login", timeout=30).text).group(1)
        data = {"email": person.email, "password": password, "csrf_token": token}
        return session.post(
            f"{web.url}/login", data=data, allow_redirects=False, timeout=30
        ).status_code

    tries = [post(webs[n % 2], "nope") for n in range(ATTEMPTS)]
    assert tries == [401] * ATTEMPTS
    assert [post(web, person.password) for web in webs] == [429, 429]
