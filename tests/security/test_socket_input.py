"""A hostile Socket.IO client: malformed ``resume`` payloads and connection ``auth``, unknown
events, oversized and deeply nested data, and ``admin_join`` from a subscriber. Each bad
request is answered with an ``error`` (or a refusal), the connection stays, and the server
goes on delivering."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.notifications.conftest import record
from tests.support.queue import wait_until
from webapp.operations import start_operation


def nested(depth: int) -> list:
    value: list = [0]
    for _ in range(depth):
        value = [value]
    return value


def is_valid_resume(payload) -> bool:
    if not isinstance(payload, dict) or "after" not in payload:
        return False
    after, system = payload["after"], payload.get("system")
    return (
        type(after) is int and 0 <= after < 2**63 and (system is None or isinstance(system, bool))
    )


#: Socket.IO's parser refuses an integer written with over 100 characters (sign included),
#: its guard against slow parsing: such a packet is malformed, and has a test of its own.
LONGEST = 10**99 - 1
numbers = st.integers(min_value=-LONGEST, max_value=LONGEST)
json_like = st.recursive(
    st.none() | st.booleans() | numbers | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
resume_payloads = st.one_of(
    json_like,
    st.fixed_dictionaries({"after": json_like}),
    st.fixed_dictionaries({"after": st.integers(min_value=2**63, max_value=LONGEST)}),
    st.fixed_dictionaries({"after": st.integers(min_value=-LONGEST, max_value=-1)}),
    st.fixed_dictionaries({"after": st.just(0), "system": json_like}),
    st.fixed_dictionaries({"system": st.booleans()}),
    st.just({"after": LONGEST}),
    st.just({"after": -LONGEST}),
    st.just({"after": "1" * 100_000}),
    st.just({"after": nested(200)}),
).filter(lambda p: not is_valid_resume(p))


@pytest.mark.backends("sqlite")
def test_a_stream_of_malformed_resumes_gets_errors_and_delivery_goes_on(
    app, live_server, subscriber
):
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    sent = []

    @settings(
        max_examples=80,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: CI is repeatable
        suppress_health_check=list(HealthCheck),
    )
    @given(payload=resume_payloads)
    def send(payload) -> None:
        before = len(sock.of("error"))
        sock.emit("resume", payload)
        sent.append(payload)
        wait_until(lambda: len(sock.of("error")) > before, timeout=5, message=f"{payload!r:.80}")
        assert sock.client.connected

    send()
    errors = sock.of("error")
    assert len(errors) == len(sent)
    assert all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors)
    new = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [new]


@pytest.mark.backends("sqlite")
def test_a_number_too_long_to_parse_gets_an_error_and_the_connection_stays(
    app, live_server, subscriber
):
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    sock.emit("resume", {"after": 10**400})
    sock.emit("resume", {"after": "after the long number"})
    wait_until(lambda: len(sock.of("error")) >= 2, message="an error about each resume")
    first, second = sock.of("error")
    assert "malformed packet" in first["message"] and "after must be" in second["message"]
    assert sock.client.connected
    new = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [new]


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "auth", [{"after": "x"}, {"after": -5}, {"after": 2**64}, {"system": 1}, {"unexpected": 1}]
)
def test_malformed_connection_auth_gets_an_error_and_the_connection_stays(
    app, live_server, subscriber, auth
):
    sock = live_server.socket(subscriber, auth=auth)
    wait_until(lambda: sock.of("error"), message="an error event")
    assert sock.client.connected
    new = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [new]


@pytest.mark.backends("sqlite")
def test_unknown_events_and_odd_payloads_leave_the_connection_working(app, live_server, subscriber):
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    for event, data in [
        ("no_such_event", {"x": 1}),
        ("activity", {"id": 1, "key": "forged.by_client"}),
        ("resume", b"\x00\xff binary"),
        ("unread", None),
        ("disconnect_me", "please"),
    ]:
        sock.emit(event, data)
    new = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [new]
    assert sock.client.connected


@pytest.mark.backends("sqlite")
def test_a_subscriber_cannot_join_the_admin_room(app, live_server, subscriber, admin):
    sub, adm = live_server.socket(subscriber), live_server.socket(admin)
    answer = sub.client.call("admin_join", {}, namespace="/notifications", timeout=10)
    assert answer == {"ok": False, "error": "admins only"}
    assert adm.client.call("admin_join", {}, namespace="/notifications", timeout=10)["ok"]
    with app.app_context():
        start_operation(
            "security.admin_room", branches={"main": ["tests.reliability.workload:step"]}
        )
    wait_until(lambda: adm.of("admin_operation"), message="the admin's live update")
    assert sub.of("admin_operation") == [] and sub.client.connected


def raw_socket(live_server, cookie: str | None):
    """A bare Engine.IO websocket (no Socket.IO client to tidy up what it sends)."""
    import websocket

    url = live_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, header=[f"Cookie: {cookie}"] if cookie else [], timeout=5)
    assert ws.recv().startswith("0{")  # the Engine.IO handshake
    return ws


def socketio_reply(ws, send: str) -> str:
    """What the server answers ``send`` with, skipping the unread count and pings."""
    ws.send(send)
    while True:
        message = ws.recv()
        if message == "2":  # an Engine.IO ping
            ws.send("3")
        elif '"unread"' not in message:
            return message


@pytest.mark.backends("sqlite")
def test_the_default_namespace_refuses_everyone(app, live_server, subscriber):
    for cookie in (None, live_server.cookie_header(live_server.login(subscriber))):
        ws = raw_socket(live_server, cookie)
        assert socketio_reply(ws, "40").startswith("44")  # CONNECT_ERROR
        ws.close()


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "packet",
    [
        '42/notifications,["resume",',  # JSON cut short
        '42/notifications,["resume",' + "[" * 50_000,  # nested past any stack
        '42/notifications,["resume",' + "[" * 100 + "]" * 100 + "]",  # past the depth limit
        "42/notifications,5",  # an event that is not a list
        "42/notifications,[7]",  # an event name that is not text
        "49/notifications,[]",  # no such Socket.IO packet type
        "44/notifications,{}",  # a client never sends CONNECT_ERROR
    ],
)
def test_a_malformed_packet_is_answered_with_an_error_and_logs_no_traceback(
    app, live_server, subscriber, packet, caplog
):
    ws = raw_socket(live_server, live_server.cookie_header(live_server.login(subscriber)))
    assert socketio_reply(ws, "40/notifications,").startswith("40/notifications,")
    reply = socketio_reply(ws, packet)
    assert reply.startswith('42/notifications,["error",'), reply[:200]
    assert "malformed packet" in reply
    answer = socketio_reply(ws, '42/notifications,["resume","x"]')  # the connection stays
    assert answer.startswith('42/notifications,["error",') and "resume expects" in answer
    ws.close()
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
