"""The operations pages: filters, counts, detail, and retry / re-run with their refusals."""

from __future__ import annotations

import pytest

from tests.admin import actions, factories
from tests.support.queue import drain
from webapp.extensions import db


def listed(client, query: str = "") -> str:
    resp = client.get(f"/admin/operations{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def row(op_id: int) -> str:
    return f'data-operation-id="{op_id}"'


def simple(app, name: str, globals_: dict, **kw) -> int:
    return factories.operation(app, name, {"main": [actions.ok]}, globals_, **kw)


def test_globals_filter_finds_operations_containing_the_pair(app, admin_client):
    number = simple(app, "subs.fulfil", {"subscription_id": 7, "plan": "red"})
    other = simple(app, "subs.fulfil", {"subscription_id": 8, "plan": "red"})
    text = simple(app, "subs.fulfil", {"subscription_id": "7", "plan": "blue"})
    page = listed(admin_client, "?globals=subscription_id%3D7")
    assert row(number) in page
    assert row(other) not in page and row(text) not in page


def test_globals_filter_matches_every_pair_and_quoted_strings(app, admin_client):
    red = simple(app, "subs.fulfil", {"subscription_id": "7", "plan": "red"})
    blue = simple(app, "subs.fulfil", {"subscription_id": "7", "plan": "blue"})
    page = listed(admin_client, '?globals=subscription_id%3D"7"%0Aplan%3Dred')
    assert row(red) in page and row(blue) not in page


def test_name_filter_matches_names_starting_with_it(app, admin_client):
    billing = simple(app, "billing.charge", {"n": 1})
    mail = simple(app, "mail.send", {"n": 2})
    page = listed(admin_client, "?name=billing.")
    assert row(billing) in page and row(mail) not in page


def test_state_filter_and_counts_per_state(app, admin_client, tmp_path):
    done = simple(app, "a.done", {"n": 1})
    failed, _ = factories.failed_operation(app, tmp_path)
    page = listed(admin_client, "?state=failed")
    assert row(failed) in page and row(done) not in page
    assert 'data-count-state="failed">failed <strong>1</strong>' in page
    assert 'data-count-state="completed">completed <strong>1</strong>' in page


def test_owner_filter_takes_an_email(app, admin_client, subscriber):
    mine = simple(app, "a.owned", {"n": 1}, owner_id=subscriber.id)
    nobody = simple(app, "a.owned", {"n": 2})
    page = listed(admin_client, f"?owner={subscriber.email}")
    assert row(mine) in page and row(nobody) not in page


def test_time_range_filter_excludes_operations_outside_it(app, admin_client):
    op_id = simple(app, "a.timed", {"n": 1})
    assert row(op_id) in listed(admin_client, "?from=2000-01-01&to=2999-01-01T00:00")
    assert row(op_id) not in listed(admin_client, "?from=2999-01-01")


def test_list_is_keyset_paged(app, admin_client):
    ids = [simple(app, "a.paged", {"n": n}) for n in range(3)]
    first = listed(admin_client, "?limit=2")
    assert row(ids[2]) in first and row(ids[1]) in first and row(ids[0]) not in first
    assert f"before={ids[1]}" in first
    assert row(ids[0]) in listed(admin_client, f"?limit=2&before={ids[1]}")


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?state=exploded", "unknown state"),
        ("?from=yesterday", "from must be a date"),
        ("?to=2024-13-01", "to must be a date"),
        ("?from=2024-02-01&to=2024-01-01", "from must be earlier than to"),
        ("?owner=nobody@example.com", "no user with email"),
        ("?before=abc", "before must be a whole number"),
        ("?limit=0", "limit must be from 1 to 200"),
        ("?globals=no-equals-sign", "must look like key=value"),
        ("?globals=x%3D%5B%7B%7D%5D", "globals"),
    ],
)
def test_bad_filters_answer_400_with_the_reason(admin_client, query, message):
    resp = admin_client.get(f"/admin/operations{query}")
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_detail_shows_error_stack_trace_and_next_action(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path)
    failed = factories.action_ids(app, op_id)["main/fails_until_allowed"]
    page = admin_client.get(f"/admin/operations/{op_id}").get_data(as_text=True)
    assert "RuntimeError: card declined: allow file missing" in page
    assert '<details class="trace">' in page and "Traceback (most recent call last)" in page
    assert f'id="action-{failed}"' in page and "is-next" in page
    assert f'href="#action-{failed}">main / fails_until_allowed</a>' in page
    assert "&#34;allow&#34;" in page  # the globals, pretty-printed and escaped


def test_detail_of_unknown_operation_is_404(admin_client):
    assert admin_client.get("/admin/operations/999999").status_code == 404


def test_detail_escapes_globals_and_errors(app, admin_client):
    op_id = simple(app, "a.escape", {"html": "<script>alert(1)</script>"})
    page = admin_client.get(f"/admin/operations/{op_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_retry_resumes_a_failed_operation_from_its_failed_action(app, admin_client, tmp_path):
    op_id, allow = factories.failed_operation(app, tmp_path)
    allow.touch()
    resp = admin_client.post(f"/admin/operations/{op_id}/retry", data={"confirm": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/admin/operations/{op_id}"
    assert factories.op_state(app, op_id) == "pending"
    with app.app_context():
        drain()
    assert factories.op_state(app, op_id) == "completed"


def test_retry_is_refused_with_409_when_the_operation_is_not_failed(app, admin_client):
    op_id = simple(app, "a.done", {"n": 1})
    resp = admin_client.post(f"/admin/operations/{op_id}/retry", data={"confirm": "yes"})
    assert resp.status_code == 409
    assert "is completed, not failed" in resp.get_data(as_text=True)


def test_retry_confirm_page_explains_and_refuses_a_running_state(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path)
    page = admin_client.get(f"/admin/operations/{op_id}/retry")
    assert page.status_code == 200
    assert "resumes from the failed action" in page.get_data(as_text=True)
    done = simple(app, "a.done", {"n": 1})
    assert admin_client.get(f"/admin/operations/{done}/retry").status_code == 409


def test_rerun_runs_the_failed_action_again(app, admin_client, tmp_path):
    op_id, allow = factories.failed_operation(app, tmp_path)
    failed = factories.action_ids(app, op_id)["main/fails_until_allowed"]
    allow.touch()
    resp = admin_client.post(f"/admin/actions/{failed}/rerun", data={"confirm": "yes"})
    assert resp.status_code == 302
    with app.app_context():
        drain()
        from webapp.operations import Action

        assert db.session.get(Action, failed).state == "completed"
    assert factories.op_state(app, op_id) == "completed"


def test_rerun_is_refused_with_409_for_an_action_that_never_ran(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path)
    pending = factories.action_ids(app, op_id)["main/finish"]
    resp = admin_client.post(f"/admin/actions/{pending}/rerun", data={"confirm": "yes"})
    assert resp.status_code == 409
    assert "is pending: only a completed or failed action" in resp.get_data(as_text=True)
    assert factories.op_state(app, op_id) == "failed"


def test_retry_without_csrf_token_is_refused_and_changes_nothing(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path)
    del admin_client.environ_base["HTTP_X_CSRFTOKEN"]
    resp = admin_client.post(f"/admin/operations/{op_id}/retry", data={"confirm": "yes"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    assert factories.op_state(app, op_id) == "failed"


def test_retry_without_confirmation_is_refused_and_changes_nothing(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path)
    resp = admin_client.post(f"/admin/operations/{op_id}/retry")
    assert resp.status_code == 400 and "confirm=yes is required" in resp.get_data(as_text=True)
    assert factories.op_state(app, op_id) == "failed"
