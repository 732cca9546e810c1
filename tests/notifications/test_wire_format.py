"""One wire format: an activity reads the same in the feed API, in the live ``activity``
event a socket receives, and in the feed's resume backlog."""

from __future__ import annotations

from tests.notifications.conftest import record
from tests.support.queue import wait_until


def test_the_api_item_and_the_socket_payload_are_the_same_dict(app, live_server, subscriber):
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    new = record(
        app,
        "account.needs_reauth",
        {"service": "calendar"},
        "Reconnect your calendar",
        user_id=subscriber.id,
        action_required="reauthenticate",
        action_url="/demo/reauthenticate/1",
    )
    assert sock.wait_for_ids(1) == [new]
    live = next(item for item in sock.of("activity") if item["id"] == new)
    http = live_server.login(subscriber)
    (listed,) = http.get(f"{live_server.url}/api/notifications").json()["items"]
    resumed = live_server.socket(subscriber, auth={"after": new - 1})
    assert resumed.wait_for_ids(1) == [new]
    backlog = next(item for item in resumed.of("activity") if item["id"] == new)
    assert live == listed == backlog
    assert live["created_at"].endswith("Z") and live["subject_type"] is None
