"""Bad input is a 4xx, never a 5xx: every rule with an integer part × {2**63, 10**20, -1, 0},
and every query parameter a view reads × the same values (the parameters are found by
recording what each view reads, so a parameter added later is swept too). Then the single
cases the outside attack found: JSON nested 50,000 deep, a NUL in a globals filter key,
digits that are not ASCII, a trailing newline, a chunked body over the limit."""

from __future__ import annotations

import re

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Rule

from tests.conftest import login
from tests.security.sweeps.world import World, rules
from tests.support.live import http_login

RULES = rules()
INTEGER_RULES = [
    r for r in RULES if any(isinstance(c, IntegerConverter) for c in r._converters.values())
]
GET_RULES = [r for r in RULES if "GET" in r.methods]
BAD_INTEGERS = ("9223372036854775808", str(10**20), "-1", "0")  # 2**63 and on
NOT_ASCII_DIGITS = ("٣", "²", "１")  # Arabic-Indic three, superscript two, fullwidth one
_ARGUMENT = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def url_with(world: World, rule: Rule, value: str) -> str:
    """The rule's URL with ``value`` in every integer part, real targets elsewhere."""

    def part(match: re.Match) -> str:
        converter, name = match.groups()
        return value if converter == "int" else str(world.arguments[name])

    return _ARGUMENT.sub(part, rule.rule)


class ReadArgs(ImmutableMultiDict):
    """Query arguments that remember which names a view asked for."""

    asked: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002  (MultiDict's own signature)
        ReadArgs.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        ReadArgs.asked.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        ReadArgs.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        ReadArgs.asked.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = ReadArgs


def parameters_read(world: World, client, url: str) -> set[str]:
    """The query parameters the view at ``url`` reads."""
    world.app.request_class = RecordingRequest
    ReadArgs.asked = set()
    try:
        client.get(url).close()
    finally:
        world.app.request_class = Request
    return ReadArgs.asked - {"csrf_token"}


def status(client, url: str, **query) -> int:
    resp = client.get(url, query_string=query)
    resp.close()
    return resp.status_code


def test_the_sweeps_have_rules_to_sweep():
    assert len(INTEGER_RULES) >= 8 and len(GET_RULES) >= 20


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("rule", INTEGER_RULES, ids=lambda r: r.endpoint)
def test_an_integer_out_of_range_in_a_url_is_a_4xx(world, rule):
    clients = [login(world.app.test_client(), p) for p in (world.admin, world.subscriber)]
    answers = {}
    for client in clients:
        for value in (*BAD_INTEGERS, *NOT_ASCII_DIGITS):
            url = url_with(world, rule, value)
            for method in sorted(rule.methods):
                resp = client.open(url, method=method)
                resp.close()
                answers[f"{method} {url}"] = resp.status_code
    wrong = {where: code for where, code in answers.items() if not 400 <= code < 500}
    assert not wrong, f"{len(wrong)} of {len(answers)} not a 4xx: {wrong}"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("rule", GET_RULES, ids=lambda r: r.endpoint)
def test_every_query_parameter_a_view_reads_refuses_bad_integers(world, rule):
    url = world.url(rule)
    answers: dict[str, int] = {}
    for person in (world.admin, world.subscriber):
        client = login(world.app.test_client(), person)
        for name in sorted(parameters_read(world, client, url)):
            # An integer parameter takes 7 and refuses "abc"; the others only never fail.
            integer = (
                status(client, url, **{name: "7"}) < 400 <= status(client, url, **{name: "abc"})
            )
            for value in (*BAD_INTEGERS, *NOT_ASCII_DIGITS):
                code = status(client, url, **{name: value})
                answers[f"{person.role} {url}?{name}={value}"] = code
                assert code < 500, f"{person.role} GET {url}?{name}={value} -> {code}"
                if integer:
                    assert code == 400, f"{person.role} GET {url}?{name}={value} -> {code}"


@pytest.mark.backends("sqlite")
def test_the_query_sweep_finds_the_parameters_views_read(world):
    client = login(world.app.test_client(), world.admin)
    assert {"before", "limit", "owner", "globals", "state"} <= parameters_read(
        world, client, "/admin/operations"
    )
    assert {"before", "limit", "system"} <= parameters_read(world, client, "/api/notifications")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("/api/notifications", "٣", "before must be a whole number"),
        ("/api/notifications", "²", "before must be a whole number"),
        ("/api/notifications", "9223372036854775808", "before must be from 1 to"),
        ("/admin/activity", "٣", "before must be a whole number"),
    ],
)
def test_a_number_not_written_in_ascii_digits_is_refused_by_name(
    admin_client, path, value, message
):
    resp = admin_client.get(path, query_string={"before": value})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_json_nested_50000_deep_is_a_400(subscriber_client):
    resp = subscriber_client.post(
        "/api/notifications/read",
        data="[" * 50_000 + "]" * 50_000,
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert "nested more than 64 deep" in resp.get_json()["error"]


def test_json_keys_a_closed_schema_does_not_list_are_a_400(subscriber_client):
    resp = subscriber_client.post("/api/notifications/read", json={"all": True, "extra": 1})
    assert resp.status_code == 400
    assert "invalid body" in resp.get_json()["error"]
    assert subscriber_client.post("/api/notifications/read", json={"all": True}).status_code == 200


def test_a_body_that_is_not_json_is_a_415(subscriber_client):
    resp = subscriber_client.post("/api/notifications/read", data={"all": "true"})
    assert resp.status_code == 415 and resp.is_json


@pytest.mark.parametrize("key", ["plan\x00", "\x00"])
def test_a_globals_filter_key_that_cannot_be_stored_is_a_400(admin_client, key):
    resp = admin_client.get("/admin/operations", query_string={"globals": f"{key}=1"})
    assert resp.status_code == 400


def test_a_globals_filter_integer_past_64_bits_is_a_400(admin_client):
    resp = admin_client.get("/admin/operations", query_string={"globals": f"id={10**30}"})
    assert resp.status_code == 400


@pytest.mark.backends("sqlite")
def test_a_request_id_with_a_trailing_newline_is_refused(world):
    client = world.client(world.subscriber)
    resp = client.post("/demo/subscribe", data={"plan": "red", "request_id": "a" * 32 + "\n"})
    assert resp.status_code == 400


def test_patterns_match_whole_strings():
    """``$`` also matches before a trailing newline: patterns are used with fullmatch, and
    none is anchored with ``^...$`` (which .match would let a newline through)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    anchored = re.compile(r"""re\.compile\(\s*r?["']\^.*\$["']""")
    sources = [p for folder in ("webapp", "tasks") for p in sorted((root / folder).rglob("*.py"))]
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in sources
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if anchored.search(line) or re.search(r"_RE\.match\(", line)
    ]
    assert len(sources) > 50 and found == []


@pytest.mark.backends("sqlite")
def test_a_chunked_body_over_the_limit_is_a_413(app, live_server, subscriber):
    session = http_login(live_server.url, subscriber)

    def chunks():
        yield b'{"ids": ['
        for _ in range(700_000):  # 1.4 MB, over MAX_CONTENT_LENGTH (1 MiB)
            yield b"1,"
        yield b"1]}"

    resp = session.post(
        f"{live_server.url}/api/notifications/read",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 413 and "error" in resp.json()
    small = session.post(
        f"{live_server.url}/api/notifications/read",
        data=iter([b'{"all": ', b"true}"]),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert small.status_code == 200, small.text


@pytest.mark.backends("sqlite")
def test_a_chunked_form_over_the_limit_is_a_413_not_a_cut_form(app, live_server, subscriber):
    session = http_login(live_server.url, subscriber)

    def chunks():
        yield b"plan=red&filler="
        for _ in range(300_000):
            yield b"xxxx"

    resp = session.post(
        f"{live_server.url}/demo/subscribe",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 413
