"""Subscription fulfillment: charge_card jumps to the plan's branch, main carries on after it;
the flaky action fails with its stack trace and the retry resumes from it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tasks.demo.fulfillment import start_fulfillment
from tests.support.queue import drain
from webapp.activity import Activity
from webapp.events import EventMessage
from webapp.extensions import db
from webapp.operations import Operation, retry_operation


def fulfil(user_id: int, plan: str) -> Operation:
    op = start_fulfillment(user_id, plan, uuid.uuid4().hex, retries=0)
    drain()
    return db.session.get(Operation, op.id, populate_existing=True)


def path(op: Operation) -> list[str]:
    """The actions that ran, in the order they completed."""
    done = sorted((a for a in op.actions if a.run_order), key=lambda a: a.run_order)
    return [a.short_name for a in done]


@pytest.mark.parametrize(
    ("plan", "setup", "skipped"),
    [
        ("red", "setup_red_subscription", "setup_blue_subscription"),
        ("blue", "setup_blue_subscription", "setup_red_subscription"),
    ],
)
def test_charge_jumps_to_the_plans_branch_and_back_to_main(ctx, subscriber, plan, setup, skipped):
    op = fulfil(subscriber.id, plan)
    assert op.state == "completed"
    assert path(op) == ["charge_card", setup, "setup_subscription", "send_receipt"]
    [other] = [a for a in op.actions if a.short_name == skipped]
    assert other.state == "pending"
    assert op.globals["plan"] == plan
    assert op.globals["features"]
    assert op.globals["active_since"]


def test_flaky_action_fails_the_operation_with_its_stack_trace(ctx, subscriber):
    ctx.config["BEACON_DEMO_FAILURE_RATE"] = 1.0
    op = fulfil(subscriber.id, "red")
    assert op.state == "failed"
    failed = op.next_action
    assert failed.short_name == "setup_subscription"
    assert failed.state == "failed"
    assert "subscription service unavailable (HTTP 503)" in failed.error_message
    assert "SubscriptionServiceUnavailable" in failed.stack_trace
    assert "Traceback" in failed.stack_trace
    assert db.session.scalar(select(func.count()).select_from(EventMessage)) == 0


def test_retry_resumes_from_the_failed_action_only(ctx, subscriber):
    ctx.config["BEACON_DEMO_FAILURE_RATE"] = 1.0
    op = fulfil(subscriber.id, "blue")
    ctx.config["BEACON_DEMO_FAILURE_RATE"] = 0.0
    retry_operation(op.id)
    drain()
    op = db.session.get(Operation, op.id, populate_existing=True)
    assert op.state == "completed"
    attempts = {a.short_name: a.attempts_count for a in op.actions}
    assert attempts["charge_card"] == 1
    assert attempts["setup_blue_subscription"] == 1
    assert attempts["setup_subscription"] == 2


def test_receipt_is_emailed_once_to_the_subscriber(ctx, subscriber):
    op = fulfil(subscriber.id, "red")
    [message] = db.session.scalars(select(EventMessage)).all()
    assert (message.name, message.owner_id, message.status) == ("send_email", subscriber.id, "done")
    assert message.params["people_ids"] == [subscriber.id]
    assert message.params["subject"] == "Your red subscription"
    assert f"ch_{op.id}_" in message.params["body"]
    sent = db.session.scalars(select(Activity).where(Activity.key == "email.sent")).all()
    assert [(a.user_id, a.message) for a in sent] == [
        (subscriber.id, f"Email “Your red subscription” delivered to {subscriber.email}")
    ]


def test_bad_plan_or_request_id_starts_nothing(ctx, subscriber):
    with pytest.raises(ValueError, match="plan must be one of"):
        start_fulfillment(subscriber.id, "green", uuid.uuid4().hex)
    with pytest.raises(ValueError, match="request id"):
        start_fulfillment(subscriber.id, "red", "../x")
    assert db.session.scalar(select(func.count()).select_from(Operation)) == 0


# The Subscribe page.


def operations(app) -> list[tuple[int, str, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(Operation).order_by(Operation.id))
        return [(op.id, op.globals["plan"], op.owner_id) for op in rows]


def test_subscribe_page_starts_the_operation_for_the_subscriber(app, subscriber, subscriber_client):
    assert 'name="request_id"' in subscriber_client.get("/demo/subscribe").get_data(as_text=True)
    resp = subscriber_client.post(
        "/demo/subscribe", data={"plan": "blue", "request_id": uuid.uuid4().hex}
    )
    assert resp.status_code == 302
    [(op_id, plan, owner)] = operations(app)
    assert (plan, owner) == ("blue", subscriber.id)
    page = subscriber_client.get("/demo/subscribe").get_data(as_text=True)
    assert f'data-operation-id="{op_id}"' in page


def test_submitting_the_same_form_twice_starts_one_operation(app, subscriber_client):
    form = {"plan": "red", "request_id": uuid.uuid4().hex}
    subscriber_client.post("/demo/subscribe", data=form)
    subscriber_client.post("/demo/subscribe", data=form)
    assert len(operations(app)) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"plan": "green", "request_id": "a" * 32}, "plan must be one of"),
        ({"plan": "red", "request_id": "nope"}, "request id must be 32 hex digits"),
        ({"request_id": "a" * 32}, "plan must be one of"),
    ],
)
def test_bad_subscribe_input_is_400_with_a_message(app, subscriber_client, form, message):
    resp = subscriber_client.post("/demo/subscribe", data=form)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert operations(app) == []


def test_subscribe_needs_the_csrf_token(app, subscriber_client):
    del subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    resp = subscriber_client.post("/demo/subscribe", data={"plan": "red", "request_id": "a" * 32})
    assert resp.status_code == 400
    assert operations(app) == []
