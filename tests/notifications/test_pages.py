"""The feed page and the bell: server-rendered, escaped, usable without JavaScript."""

from __future__ import annotations

import re

from tests.notifications.conftest import record


def test_feed_page_renders_items_with_human_labels(app, subscriber, subscriber_client):
    record(app, "sync.completed", True, "42 contacts", user_id=subscriber.id)
    page = subscriber_client.get("/notifications").get_data(as_text=True)
    assert "Sync completed" in page
    assert "42 contacts" in page
    assert "mark-ok" in page


def test_feed_page_escapes_messages(app, subscriber, subscriber_client):
    record(app, "sync.failed", False, "<script>alert(1)</script>", user_id=subscriber.id)
    page = subscriber_client.get("/notifications").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_alerts_are_pinned_with_their_action_button(app, subscriber, subscriber_client):
    record(
        app,
        "authentication.failed",
        False,
        "Token expired",
        user_id=subscriber.id,
        action_required="reauthenticate",
        action_url="/accounts/reauth",
    )
    for _ in range(3):
        record(app, user_id=subscriber.id)
    page = subscriber_client.get("/notifications").get_data(as_text=True)
    alerts = page.index("data-alert-list")
    assert alerts < page.index("data-feed ")
    assert re.search(
        r'<a class="button primary alert-action" href="/accounts/reauth">\s*'
        r"Re-authenticate</a>",
        page,
    )


def test_load_more_links_to_the_next_page(app, subscriber, subscriber_client):
    ids = [record(app, user_id=subscriber.id) for _ in range(51)]
    page = subscriber_client.get("/notifications").get_data(as_text=True)
    assert f'data-next-before="{ids[1]}"' in page
    older = subscriber_client.get(f"/notifications?before={ids[1]}").get_data(as_text=True)
    assert f'data-id="{ids[0]}"' in older


def test_bad_before_gives_400(subscriber_client):
    assert subscriber_client.get("/notifications?before=x").status_code == 400


def test_bell_with_unread_count_is_on_every_page(app, subscriber, subscriber_client):
    record(app, user_id=subscriber.id)
    record(app, user_id=subscriber.id)
    for path in ("/", "/notifications"):
        page = subscriber_client.get(path).get_data(as_text=True)
        assert re.search(r"data-unread-count>2</span>", page), path


def test_mark_all_read_form_works_without_javascript(app, subscriber, subscriber_client):
    record(app, user_id=subscriber.id)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"',
        subscriber_client.get("/notifications").get_data(as_text=True),
    ).group(1)
    resp = subscriber_client.post("/notifications/read", data={"csrf_token": token})
    assert resp.status_code == 302
    page = subscriber_client.get("/notifications").get_data(as_text=True)
    assert re.search(r"data-unread-count>0</span>", page)


def test_feed_page_needs_login(client):
    resp = client.get("/notifications")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_pages_load_the_vendored_socketio_client_and_the_feed_script(subscriber_client):
    page = subscriber_client.get("/").get_data(as_text=True)
    assert page.index("vendor/socket.io/socket.io.min.js") < page.index("js/notifications.js")
    assert subscriber_client.get("/static/vendor/socket.io/socket.io.min.js").status_code == 200
