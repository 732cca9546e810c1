"""Sensitive values (``BEACON_SENSITIVE_KEYS``) never leave Beacon: a sweep of every admin
page, the CSV export and the API answers finds none of the secrets given to an operation's
globals, an event's params, a job's fields and an activity's value, and the pages show the
masked keys."""

from __future__ import annotations

import pytest

from tests.admin import factories
from tests.conftest import login, make_user
from tests.support.queue import running_consumer, wait_until
from webapp.activity import record_activity
from webapp.events import queue_event
from webapp.jobs import JobStatus, tracked_task
from webapp.masking import MASK, masked, sensitive_keys

SECRETS = {
    "globals": "globals-secret-7781",
    "nested": "nested-card-4111",
    "params": "params-token-9922",
    "field": "field-card-5500",
    "value": "value-cvv-313",
}


@tracked_task()
def job_with_a_card(*, status) -> None:
    status["card_number"] = SECRETS["field"]
    status["plan"] = "gold"


def test_masked_replaces_sensitive_values_at_any_depth():
    keys = sensitive_keys("Password, card_number")
    value = {"PASSWORD": "x", "a": [{"card_number": 1}, 2], "plan": "gold"}
    expected = {"PASSWORD": MASK, "a": [{"card_number": MASK}, 2], "plan": "gold"}
    assert masked(value, keys) == expected
    assert masked(True, keys) is True and masked(value, frozenset()) is value


@pytest.mark.backends("sqlite")
def test_no_secret_reaches_any_page_export_or_api_answer(app, tmp_path, admin_client):
    person = make_user(app, "owner@example.com")
    op_id, _ = factories.failed_operation(
        app, tmp_path, password=SECRETS["globals"], billing={"card_number": SECRETS["nested"]}
    )
    with app.app_context():
        event_id = queue_event("admin_quiet", token=SECRETS["params"]).id
        record_activity("billing.charged", {"cvv": SECRETS["value"]}, "charged", user_id=person.id)
        job_id = job_with_a_card(owner_id=person.id).id
        with running_consumer(workers=1):
            wait_until(lambda: (st := JobStatus.get(job_id)) is not None and st.is_finished)
    ids = {
        "op_id": op_id,
        "action_id": factories.action_ids(app, op_id)["main/fails_until_allowed"],
        "event_id": event_id,
        "user_id": person.id,
        "job_id": job_id,
        "verb": "retry",
        "kind": "operations",
    }
    owner_client = login(app.test_client(), person)
    urls = [_url(app, rule, ids) for rule in app.url_map.iter_rules() if _swept(rule)]
    answers = {url: admin_client.get(url) for url in urls}
    answers["/api/jobs/<owner>"] = owner_client.get(f"/api/jobs/{job_id}")
    answers["/api/notifications <owner>"] = owner_client.get("/api/notifications")
    # Every page answers (a confirm page of an event that is not failed explains why: 409).
    refused = {url: r.status_code for url, r in answers.items() if r.status_code not in (200, 409)}
    assert not refused
    for url, resp in answers.items():
        body = resp.get_data(as_text=True)
        leaked = [name for name, secret in SECRETS.items() if secret in body]
        assert not leaked, f"{url} shows {leaked}"
    assert MASK in answers[f"/admin/operations/{op_id}"].get_data(as_text=True)
    assert answers["/api/jobs/<owner>"].get_json()["card_number"] == MASK
    assert answers["/api/jobs/<owner>"].get_json()["plan"] == "gold"


def _swept(rule) -> bool:
    return rule.rule.startswith(("/admin", "/api/")) and "GET" in rule.methods


def _url(app, rule, ids) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
