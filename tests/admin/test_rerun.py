"""The operation page's timeline of attempts, and re-running an operation from a chosen step
with its globals edited first: audited (which globals changed, masked), and refused with the
reason, changing nothing, when the input or the operation's state does not allow it."""

from __future__ import annotations

import json
import os
import re
import socket
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.admin import actions, factories
from tests.admin.test_access import admin_activities
from tests.operations import actions as op_actions
from tests.support.queue import drain
from webapp.extensions import db, huey
from webapp.operations import Action, Attempt, Operation, start_operation
from webapp.operations.transitions import claim_action

BAR_RE = re.compile(
    r'<rect class="attempt attempt-(\w+)" data-action-id="(\d+)" data-attempt="(\d+)"'
)
CARD = "4111-1111-1111-1111"


def retried_operation(app, tmp_path) -> int:
    """A completed operation whose second action failed twice, then succeeded."""
    log = tmp_path / "calls.log"
    return factories.operation(
        app,
        "billing.retried",
        {"main": [actions.ok, op_actions.fail_until, actions.finish]},
        {"log": str(log), "fail_times": 2},
        retries=2,
        retry_delay=0,
    )


def paid_operation(app) -> int:
    """A completed three-step operation with a sensitive global."""
    return factories.operation(
        app,
        "billing.paid",
        {"main": [actions.ok, actions.fails_until_allowed, actions.finish]},
        {"plan": "red", "card_number": CARD, "allow": "/"},  # "/" exists: it never fails
    )


def state_of(app, op_id: int) -> SimpleNamespace:
    """The operation's state, globals, actions and attempts as committed."""
    with app.app_context():
        op = db.session.get(Operation, op_id)
        found = SimpleNamespace(
            state=op.state,
            globals=op.globals,
            actions={a.short_name: (a.state, a.attempts_count, a.run_order) for a in op.actions},
            attempts=db.session.scalar(
                select(func.count())
                .select_from(Attempt)
                .join(Action, Action.id == Attempt.action_id)
                .where(Action.operation_id == op_id)
            ),
        )
        db.session.rollback()
        return found


def rerun(client, action_id: int, globals_text: str | None = None):
    data = {"confirm": "yes"}
    if globals_text is not None:
        data["globals"] = globals_text
    return client.post(f"/admin/actions/{action_id}/rerun", data=data)


# -- the timeline --------------------------------------------------------------------------


def test_timeline_shows_each_attempt_of_a_retried_action(app, admin_client, tmp_path):
    op_id = retried_operation(app, tmp_path)
    failing = factories.action_ids(app, op_id)["main/fail_until"]
    page = admin_client.get(f"/admin/operations/{op_id}").get_data(as_text=True)
    bars = [(outcome, n) for outcome, a, n in BAR_RE.findall(page) if int(a) == failing]
    assert bars == [("failed", "1"), ("failed", "2"), ("completed", "3")]
    assert page.count('class="attempt-row"') == 5  # and one each for ok and finish
    assert "RuntimeError: planned failure 1" in page and "RuntimeError: planned failure 2" in page
    assert f'<code title="{socket.gethostname()}:{os.getpid()}:' in page  # the consumer
    assert "5 attempts over" in page


def test_timeline_draws_a_running_attempt_from_its_action(app, admin_client):
    with app.app_context():
        op = start_operation("billing.running", {"n": 1}, {"main": [actions.ok]})
        huey.flush()
        assert claim_action(op.actions[0].id, "worker-7:4242:9:feedbeef") is not None
    page = admin_client.get(f"/admin/operations/{op.id}").get_data(as_text=True)
    [(outcome, _, attempt)] = BAR_RE.findall(page)
    assert (outcome, attempt) == ("running", "1")
    assert '<code title="worker-7:4242:9:feedbeef">worker-7:4242</code>' in page


def test_timeline_of_an_operation_that_has_not_run_says_so(app, admin_client):
    with app.app_context():
        op_id = start_operation("billing.queued", {"n": 2}, {"main": [actions.ok]}).id
    page = admin_client.get(f"/admin/operations/{op_id}").get_data(as_text=True)
    assert 'id="no-attempts"' in page and not BAR_RE.search(page)


# -- re-run from a chosen step ------------------------------------------------------------


def test_completed_steps_of_a_finished_operation_offer_a_rerun(app, admin_client):
    op_id = paid_operation(app)
    ids = factories.action_ids(app, op_id)
    page = admin_client.get(f"/admin/operations/{op_id}").get_data(as_text=True)
    for name in ("ok", "fails_until_allowed", "finish"):
        assert f'href="/admin/actions/{ids["main/" + name]}/rerun">Re-run from here' in page


def test_rerun_page_explains_what_runs_and_shows_the_globals_masked(app, admin_client):
    op_id = paid_operation(app)
    chosen = factories.action_ids(app, op_id)["main/fails_until_allowed"]
    resp = admin_client.get(f"/admin/actions/{chosen}/rerun")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    kept = page.split('id="rerun-kept"')[1].split("</li>")[0]
    again = page.split('id="rerun-again"')[1].split("</li>")[0]
    assert "main / ok" in kept and "fails_until_allowed" not in kept
    assert "main / fails_until_allowed" in again and "main / finish" in again
    assert 'name="globals"' in page and "&#34;plan&#34;: &#34;red&#34;" in page
    assert CARD not in page and "••••••" in page


def test_rerun_with_edited_globals_runs_from_that_step_and_leaves_earlier_ones(app, admin_client):
    op_id = paid_operation(app)
    ids = factories.action_ids(app, op_id)
    before = state_of(app, op_id)
    edited = {"plan": "blue", "card_number": "••••••", "allow": "/"}  # the card as shown
    resp = rerun(admin_client, ids["main/fails_until_allowed"], json.dumps(edited))
    assert resp.status_code == 302 and resp.headers["Location"] == f"/admin/operations/{op_id}"
    with app.app_context():
        drain()
    after = state_of(app, op_id)
    assert after.state == "completed"
    assert after.globals == {"plan": "blue", "card_number": CARD, "allow": "/"}
    assert after.actions["ok"] == before.actions["ok"] == ("completed", 1, 1)
    assert after.actions["fails_until_allowed"] == ("completed", 2, 2)
    assert after.actions["finish"] == ("completed", 2, 3)
    assert after.attempts == before.attempts + 2
    [audit] = admin_activities(app)
    assert audit.key == "admin.action_rerun"
    assert audit.value["globals_changed"] == {"plan": {"from": "red", "to": "blue"}}


def test_a_changed_sensitive_global_is_audited_masked(app, admin_client):
    op_id = paid_operation(app)
    chosen = factories.action_ids(app, op_id)["main/finish"]
    edited = {"plan": "red", "card_number": "5555-0000", "allow": "/", "note": "new"}
    assert rerun(admin_client, chosen, json.dumps(edited)).status_code == 302
    with app.app_context():
        drain()
    assert state_of(app, op_id).globals["card_number"] == "5555-0000"
    [audit] = admin_activities(app)
    assert audit.value["globals_changed"] == {"card_number": "••••••", "note": {"to": "new"}}
    assert "5555" not in json.dumps(audit.value) + audit.message
    assert CARD not in json.dumps(audit.value) + audit.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"plan": "blue"', "globals are not valid JSON"),
        ("", "globals are not valid JSON"),
        ('["plan", "blue"]', "globals must be a JSON object, got list"),
        ('{"plan": NaN}', "is nan: not JSON"),
        ('{"plan": "\\u0000"}', "contains a NUL character"),
    ],
)
def test_bad_globals_are_refused_with_400_and_change_nothing(app, admin_client, text, message):
    op_id = paid_operation(app)
    chosen = factories.action_ids(app, op_id)["main/fails_until_allowed"]
    before = state_of(app, op_id)
    resp = rerun(admin_client, chosen, text)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in page
    assert 'id="globals-error"' in page and 'name="globals"' in page  # the form, to fix it
    with app.app_context():
        drain()
    assert state_of(app, op_id) == before
    assert admin_activities(app) == []


def test_rerun_of_a_running_operation_is_refused_with_409_and_changes_nothing(app, admin_client):
    with app.app_context():
        op = start_operation("billing.busy", {"n": 3}, {"main": [actions.ok, actions.finish]})
        huey.flush()
        assert claim_action(op.actions[0].id, "worker-1:1:1:00000001") is not None
    first = op.actions[0].id
    before = state_of(app, op.id)
    page = admin_client.get(f"/admin/actions/{first}/rerun")
    assert page.status_code == 409 and "is running" in page.get_data(as_text=True)
    resp = rerun(admin_client, first, '{"n": 4}')
    assert resp.status_code == 409
    assert "only a completed or failed operation can be re-run" in resp.get_data(as_text=True)
    assert state_of(app, op.id) == before and before.state == "running"
    assert admin_activities(app) == []
