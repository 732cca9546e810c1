"""Search by argument values on the admin lists: jobs, events and operations with the one
``key=value`` syntax; bad input and sensitive keys are a 400 that names the problem; the Redis
job store says it cannot search."""

from __future__ import annotations

import pytest

from tests.admin import factories
from tests.jobs.search_jobs import sync_account
from tests.support.queue import drain
from webapp.events import queue_event


def job_page(client, query: str) -> tuple[int, str]:
    resp = client.get("/admin/jobs", query_string={"args": query})
    return resp.status_code, resp.get_data(as_text=True)


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_JOB_STORE": "sql"}  # on both databases: the store that can search


def test_jobs_search_by_a_kwarg_value_finds_the_job(app, admin_client):
    with app.app_context():
        red, blue = sync_account(7, plan="red").id, sync_account(8, plan="blue").id
    status, page = job_page(admin_client, "plan=red")
    assert status == 200
    assert f'data-job-id="{red}"' in page and f'data-job-id="{blue}"' not in page
    assert ">plan=red</textarea>" in page  # the search stays in its field


def test_jobs_search_by_positional_argument_and_custom_field(app, admin_client):
    with app.app_context():
        seven, eight = sync_account(7, plan="red").id, sync_account(8, plan="red").id
        drain()
    _, page = job_page(admin_client, "args=7")
    assert f'data-job-id="{seven}"' in page and f'data-job-id="{eight}"' not in page
    _, page = job_page(admin_client, "field.step=synced 8\nplan=red")
    assert f'data-job-id="{eight}"' in page and f'data-job-id="{seven}"' not in page


def test_events_search_by_a_param_value(app, admin_client):
    with app.app_context():
        world = queue_event("admin_quiet", label="world").id
        moon = queue_event("admin_quiet", label="moon").id
    page = admin_client.get("/admin/events", query_string={"params": "label=world"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="event-{world}"' in text and f'id="event-{moon}"' not in text


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/admin/jobs", {"args": "plan"}, "args filter &#39;plan&#39; must look like key=value"),
        ("/admin/jobs", {"args": 'args=[{"a": 1}]'}, "unsupported value {&#39;a&#39;: 1}"),
        ("/admin/jobs", {"args": "field.=x"}, "name the field, as in field.step=B"),
        ("/admin/events", {"params": '{"x"=1'}, "unsupported key"),
        ("/admin/events", {"params": "=1"}, "must look like key=value"),
        ("/admin/operations", {"globals": "n=" + "9" * 30}, "past 64 bits"),
    ],
    ids=["no-equals", "dict-in-args", "field-without-name", "bad-key", "no-key", "huge-number"],
)
def test_a_bad_search_answers_400_naming_it(admin_client, url, params, message):
    resp = admin_client.get(url, query_string=params)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("url", "param"),
    [("/admin/jobs", "args"), ("/admin/events", "params"), ("/admin/operations", "globals")],
)
def test_a_search_by_a_sensitive_key_is_refused_without_showing_its_value(
    app, admin_client, url, param
):
    with app.app_context():
        sync_account(7, plan="red", notify=False)
    resp = admin_client.get(url, query_string={param: 'card={"token": "tok-secret-42"}'})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "&#39;token&#39; is a sensitive key" in text
    assert "tok-secret-42" not in text


@pytest.mark.backends("sqlite")
def test_the_operations_globals_filter_keeps_working(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path, customer="c-1")
    other, _ = factories.failed_operation(app, tmp_path, name="billing.other", customer="c-2")
    text = admin_client.get("/admin/operations", query_string={"globals": "customer=c-1"})
    page = text.get_data(as_text=True)
    assert f'data-operation-id="{op_id}"' in page and f'data-operation-id="{other}"' not in page
