"""With the Redis job store the jobs page says search is unavailable: never "no job found"."""

from __future__ import annotations

import pytest

from tests.jobs.search_jobs import sync_account

pytestmark = pytest.mark.backends("pg_redis")  # its job store is Redis


def test_the_jobs_page_says_search_is_unavailable_with_the_redis_store(app, admin_client):
    page = admin_client.get("/admin/jobs").get_data(as_text=True)
    assert "unavailable with the Redis job store" in page
    assert 'name="args" rows="2" placeholder="user_id=7" disabled' in page


def test_a_job_search_with_the_redis_store_answers_400_saying_why(app, admin_client):
    with app.app_context():
        sync_account(7, plan="red")
    resp = admin_client.get("/admin/jobs", query_string={"args": "plan=red"})
    assert resp.status_code == 400
    assert "unavailable with the Redis job store" in resp.get_data(as_text=True)
