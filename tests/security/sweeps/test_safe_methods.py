"""Nothing changes unless a POST carries the session's own CSRF token: every rule of the URL
map × every method it accepts (HEAD and OPTIONS included), as an admin and as a subscriber,
without a token and with another session's; and GET, HEAD and OPTIONS change nothing even
with a valid token and ``confirm=yes``. Each request's targets are real and in a state a
write would change (see world.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import csrf_token, login
from tests.security.sweeps.world import World, rules
from webapp.extensions import db

RULES = rules()
SAFE = ("GET", "HEAD", "OPTIONS")


def would_write(world: World, person) -> dict:
    """Everything any write route reads, so that each one would act if it were allowed."""
    return {
        "data": {
            "confirm": "yes",
            "plan": "red",
            "request_id": "0" * 32,
            "event": "hello_world",
            "priority": "high",
            "email": person.email,
            "password": person.password,
            "current_password": person.password,
            "new_password": "a-new-password",
            "repeat_password": "a-new-password",
        }
    }


def send(client, method: str, url: str, token: str | None, body: dict):
    if token is None:
        client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    else:
        client.environ_base["HTTP_X_CSRFTOKEN"] = token
    resp = client.open(url, method=method, **body)
    resp.close()
    return resp


def test_the_sweep_covers_every_method_of_every_rule():
    methods = {method for rule in RULES for method in rule.methods}
    assert {"GET", "HEAD", "OPTIONS", "POST"} <= methods
    assert len(RULES) >= 35


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.endpoint}")
def test_no_request_without_the_sessions_own_token_changes_anything(world, rule):
    url = world.url(rule)
    people = {"admin": world.admin, "subscriber": world.subscriber}
    clients = {role: login(world.app.test_client(), p) for role, p in people.items()}
    tokens = {role: c.environ_base["HTTP_X_CSRFTOKEN"] for role, c in clients.items()}
    foreign = {"admin": tokens["subscriber"], "subscriber": tokens["admin"]}
    before = world.snapshot()
    for role, client in clients.items():
        body = would_write(world, people[role])
        for method in sorted(rule.methods):
            for label, token in (("no token", None), ("a foreign token", foreign[role])):
                resp = send(client, method, url, token, body)
                where = f"{method} {url} as {role} with {label} -> {resp.status_code}"
                assert resp.status_code < 500, where
                assert world.snapshot() == before, f"{where} changed the database"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "rule", [r for r in RULES if "GET" in r.methods], ids=lambda r: f"{r.endpoint}"
)
def test_get_head_and_options_change_nothing_even_with_a_valid_token(world, rule):
    url = world.url(rule)
    people = {"admin": world.admin, "subscriber": world.subscriber}
    clients = {role: login(world.app.test_client(), p) for role, p in people.items()}
    before = world.snapshot()
    for role, client in clients.items():
        token = client.environ_base["HTTP_X_CSRFTOKEN"]
        for method in SAFE:
            resp = send(client, method, url, token, would_write(world, people[role]))
            where = f"{method} {url} as {role} -> {resp.status_code}"
            assert resp.status_code < 500, where
            assert world.snapshot() == before, f"{where} changed the database"


@pytest.mark.backends("sqlite", "pg_redis")
def test_a_write_in_a_get_request_is_refused_by_the_database(app, subscriber):
    """The guarantee under the sweep: a GET view that tried to write would fail, not write."""

    @app.get("/_test/sneaky-write")
    def sneaky_write():
        db.session.execute(text("UPDATE \"user\" SET role = 'admin'"))
        db.session.commit()
        return "wrote"

    client = login(app.test_client(), subscriber)
    assert client.get("/_test/sneaky-write").status_code == 500
    assert client.head("/_test/sneaky-write").status_code == 500
    with app.app_context():
        assert db.session.execute(text('SELECT role FROM "user"')).scalars().all() == ["subscriber"]


@pytest.mark.backends("sqlite")
def test_head_on_the_reauthenticate_page_does_not_reconnect(world):
    """The attack that found it: ``curl -I`` on the re-authenticate link."""
    client = world.client(world.subscriber)
    url = f"/demo/reauthenticate/{world.arguments['account_id']}"
    before = world.snapshot()
    assert client.head(url, data={"csrf_token": csrf_token(client, "/")}).status_code == 200
    assert world.snapshot() == before
    assert client.post(url).status_code == 302  # the POST, with the token, does it
    assert world.snapshot() != before
