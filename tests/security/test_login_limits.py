"""Failed logins are limited three ways (Flask-Limiter): one account from one address, one
account from everywhere, one address over every account. A guesser is stopped; the right
password of another account, or of the same account from elsewhere, still logs in; only
failures count; every web process shares the counts (Redis), and counts in memory while
Redis is away. X-Forwarded-For is believed only from the proxies BEACON_TRUSTED_PROXIES
says there are."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import csrf_token, make_user
from tests.reliability.cluster import WebProcess
from tests.support.live import CSRF_RE
from tests.support.services import RedisServer

PAIR, ACCOUNT, ADDRESS = 3, 6, 9


@pytest.fixture
def app_settings() -> dict:
    return {
        "BEACON_LOGIN_LIMIT": f"{PAIR} per 5 minutes",
        "BEACON_LOGIN_ACCOUNT_LIMIT": f"{ACCOUNT} per 5 minutes",
        "BEACON_LOGIN_ADDRESS_LIMIT": f"{ADDRESS} per 5 minutes",
    }


def attempt(app, email: str, password: str, address: str = "10.0.0.1", **environ) -> int:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, **environ)
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    resp = client.post("/login", data=data)
    if resp.status_code == 429:
        assert "Too many failed logins" in resp.get_data(as_text=True)
    return resp.status_code


def test_a_guesser_on_one_address_is_stopped_and_the_right_password_is_not_checked(app, subscriber):
    assert [attempt(app, subscriber.email, "nope") for _ in range(PAIR)] == [401] * PAIR
    assert attempt(app, subscriber.email, subscriber.password) == 429


def test_other_accounts_still_log_in_from_an_address_that_failed(app, subscriber):
    """Eleven failures from one address (one login throttle used to lock everyone behind a
    proxy out after ten), below the address limit: other accounts still log in."""
    app.config["BEACON_LOGIN_ADDRESS_LIMIT"] = "50 per 5 minutes"
    other = make_user(app, "other@example.com")
    failures = [subscriber.email] * PAIR + [f"typo{n}@example.com" for n in range(8)]
    assert [attempt(app, email, "nope") for email in failures] == [401] * 11
    assert attempt(app, other.email, other.password) == 302


def test_the_account_still_logs_in_from_another_address(app, subscriber):
    for _ in range(PAIR):
        attempt(app, subscriber.email, "nope", address="10.0.0.66")
    assert attempt(app, subscriber.email, subscriber.password, address="10.0.0.2") == 302


def test_many_addresses_guessing_one_account_are_stopped_at_the_account_limit(app, subscriber):
    codes = [attempt(app, subscriber.email, "nope", address=f"10.1.0.{n}") for n in range(ACCOUNT)]
    assert codes == [401] * ACCOUNT
    assert attempt(app, subscriber.email, subscriber.password, address="10.2.0.1") == 429


def test_one_address_trying_many_accounts_is_stopped_at_the_address_limit(app, subscriber):
    codes = [attempt(app, f"guess{n}@example.com", "nope") for n in range(ADDRESS)]
    assert codes == [401] * ADDRESS
    assert attempt(app, subscriber.email, subscriber.password) == 429
    assert attempt(app, subscriber.email, subscriber.password, address="10.0.0.2") == 302


def test_only_failures_count(app, subscriber):
    codes = [attempt(app, subscriber.email, subscriber.password) for _ in range(ADDRESS + 1)]
    assert codes == [302] * (ADDRESS + 1)


@pytest.mark.backends("sqlite")
def test_forwarded_addresses_count_only_behind_trusted_proxies(backend, subscriber):
    from webapp import create_app

    settings = {**backend.settings, "BEACON_LOGIN_LIMIT": "2 per 5 minutes"}
    direct = create_app({**settings, "BEACON_TRUSTED_PROXIES": 0})
    for n in range(2):  # a forged header changes nothing: the real address is counted
        attempt(direct, subscriber.email, "nope", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert attempt(direct, subscriber.email, subscriber.password) == 429

    proxied = create_app({**settings, "BEACON_TRUSTED_PROXIES": 1})
    for _ in range(2):
        attempt(proxied, subscriber.email, "nope", HTTP_X_FORWARDED_FOR="192.0.2.7")
    behind = {"HTTP_X_FORWARDED_FOR": "192.0.2.8"}  # another client of the same proxy
    assert attempt(proxied, subscriber.email, subscriber.password, **behind) == 302


@pytest.mark.backends("pg_redis")
def test_two_web_processes_share_the_counts(app, backend, processes, tmp_path):
    person = make_user(app, "target@example.com")
    env = {**backend.env(), "BEACON_LOGIN_LIMIT": f"{PAIR} per 5 minutes"}
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

    assert [post(webs[n % 2], "nope") for n in range(PAIR)] == [401] * PAIR
    assert [post(web, person.password) for web in webs] == [429, 429]


@pytest.mark.backends("sqlite")
def test_while_redis_is_away_each_process_counts_in_memory(backend, subscriber):
    from webapp import create_app

    redis_server = RedisServer()
    redis_server.start()
    try:
        app = create_app(
            {
                **backend.settings,
                "RATELIMIT_STORAGE_URI": redis_server.url,
                "BEACON_LOGIN_LIMIT": f"{PAIR} per 5 minutes",
            }
        )
        assert attempt(app, subscriber.email, "nope") == 401  # counted in Redis
        redis_server.stop()
        codes = [attempt(app, subscriber.email, "nope") for _ in range(PAIR)]
        assert codes == [401] * PAIR  # counted in memory now
        assert attempt(app, subscriber.email, subscriber.password) == 429
    finally:
        redis_server.stop()
