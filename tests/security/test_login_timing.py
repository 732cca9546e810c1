"""A login takes as long whether the email has an account or not: an unknown email checks
the password against a decoy hash made with the same method, so the time cannot tell a
stranger which emails exist (85 ms against 3.5 ms did)."""

from __future__ import annotations

import statistics
import time

import pytest

from tests.conftest import csrf_token

#: A hash that costs tens of milliseconds, as real ones do (the tests' own is ~0.1 ms).
SLOW_HASH = "pbkdf2:sha256:150000"
ROUNDS = 7


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_PASSWORD_METHOD": SLOW_HASH, "BEACON_LOGIN_LIMIT": "1000 per minute"}


def login_time(client, email: str) -> float:
    data = {"email": email, "password": "wrong-password", "csrf_token": csrf_token(client)}
    started = time.perf_counter()
    assert client.post("/login", data=data).status_code == 401
    return time.perf_counter() - started


@pytest.mark.backends("sqlite")
def test_an_unknown_email_takes_as_long_as_a_known_one(app, subscriber):
    client = app.test_client()
    login_time(client, "nobody@example.com")  # the decoy is made once, on first use
    known, unknown = [], []
    for _ in range(ROUNDS):  # alternated, so a slow moment of the machine hits both
        known.append(login_time(client, subscriber.email))
        unknown.append(login_time(client, "nobody@example.com"))
    known_ms, unknown_ms = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    # Without the decoy the unknown email skipped the hash: a ratio near 0.05.
    assert known_ms > 5, f"the slow hash is not slow here ({known_ms:.1f} ms)"
    assert 0.7 < unknown_ms / known_ms < 1.4, (
        f"known {known_ms:.1f} ms, unknown {unknown_ms:.1f} ms"
    )
