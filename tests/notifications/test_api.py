"""The feed's JSON API: pages, unread count, read marks, alerts; JSON errors for bad input."""

from __future__ import annotations

import pytest

from tests.notifications.conftest import record

ITEM_KEYS = {
    "id",
    "key",
    "value",
    "message",
    "created_at",
    "subject_type",
    "subject_id",
    "system",
    "action_required",
    "action_url",
    "read",
}


def test_list_returns_items_newest_first_and_the_next_cursor(app, subscriber, subscriber_client):
    ids = [record(app, user_id=subscriber.id) for _ in range(3)]
    body = subscriber_client.get("/api/notifications?limit=2").get_json()
    assert [i["id"] for i in body["items"]] == [ids[2], ids[1]]
    assert ITEM_KEYS <= set(body["items"][0])
    assert body["next_before"] == ids[1]
    rest = subscriber_client.get(f"/api/notifications?limit=2&before={ids[1]}").get_json()
    assert [i["id"] for i in rest["items"]] == [ids[0]]
    assert rest["next_before"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "before=abc", "before=-3", "system=maybe"]
)
def test_bad_query_values_get_a_json_400(subscriber_client, query):
    resp = subscriber_client.get(f"/api/notifications?{query}")
    assert resp.status_code == 400
    assert "error" in resp.get_json()


def test_anonymous_requests_get_a_json_401(client):
    resp = client.get("/api/notifications")
    assert resp.status_code == 401
    assert resp.get_json() == {"error": "login required"}


def test_unread_count_counts_only_the_users_items(
    app, subscriber, other_subscriber, subscriber_client
):
    record(app, user_id=subscriber.id)
    record(app, user_id=other_subscriber.id)
    record(app, user_id=subscriber.id, private=True)
    assert subscriber_client.get("/api/notifications/unread_count").get_json() == {"count": 1}


def test_read_by_ids_answers_the_new_count(app, subscriber, subscriber_client):
    first = record(app, user_id=subscriber.id)
    record(app, user_id=subscriber.id)
    resp = subscriber_client.post("/api/notifications/read", json={"ids": [first]})
    assert resp.get_json() == {"count": 1}


def test_read_ignores_ids_of_other_users(app, subscriber, other_subscriber, subscriber_client):
    theirs = record(app, user_id=other_subscriber.id)
    resp = subscriber_client.post("/api/notifications/read", json={"ids": [theirs]})
    assert resp.status_code == 200
    with app.app_context():
        from webapp.notifications.feed import unread_count

        assert unread_count(other_subscriber.id) == 1


def test_mark_all_read_answers_zero(app, subscriber, subscriber_client):
    for _ in range(3):
        record(app, user_id=subscriber.id)
    resp = subscriber_client.post("/api/notifications/read", json={"all": True})
    assert resp.get_json() == {"count": 0}


@pytest.mark.parametrize(
    "payload",
    [{}, {"all": False}, {"ids": "1"}, {"ids": ["1"]}, {"ids": [1], "all": True}, [1], "x"],
)
def test_bad_read_payloads_get_a_json_400(subscriber_client, payload):
    resp = subscriber_client.post("/api/notifications/read", json=payload)
    assert resp.status_code == 400
    assert "error" in resp.get_json()


def test_read_without_csrf_token_is_refused(app, subscriber):
    from tests.conftest import login

    client = login(app.test_client(), subscriber)
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    resp = client.post("/api/notifications/read", json={"all": True})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_json()["error"]


def test_alerts_lists_open_alerts_only(app, subscriber, subscriber_client):
    record(
        app,
        "authentication.failed",
        False,
        user_id=subscriber.id,
        subject=None,
        action_required="reauthenticate",
        action_url="/reauth",
    )
    resp = subscriber_client.get("/api/alerts").get_json()
    assert [i["action_required"] for i in resp["items"]] == ["reauthenticate"]
    assert resp["items"][0]["action_url"] == "/reauth"
