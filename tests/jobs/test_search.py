"""Search by argument values: a job found by a keyword or positional argument or a custom
field, on SQLite and PostgreSQL (the SQL store); the Redis store says it cannot search."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.jobs.search_jobs import sync_account
from tests.support.queue import drain
from webapp.database import utcnow
from webapp.extensions import db
from webapp.jobs import ArgumentSearch, JobStatus, SearchUnavailable, get_store
from webapp.jobs.search import TERMS


def found(**search) -> list[str]:
    return [st.id for st in JobStatus.recent(search=ArgumentSearch(**search))]


@pytest.mark.job_stores("sql")
def test_search_by_a_kwarg_value_finds_the_job(ctx, job_store):
    red = sync_account(7, plan="red")
    blue = sync_account(8, plan="blue")
    assert found(kwargs={"plan": "red"}) == [red.id]
    assert found(kwargs={"plan": "blue"}) == [blue.id]
    assert found(kwargs={"plan": "green"}) == []


@pytest.mark.job_stores("sql")
def test_search_by_a_positional_argument_matches_its_json_type(ctx, job_store):
    seven = sync_account(7, plan="red")
    sync_account(8, plan="red")
    assert found(args=(7,)) == [seven.id]
    assert found(args=("7",)) == []  # the number 7 was given, not the text


@pytest.mark.job_stores("sql")
def test_search_by_a_custom_field_and_arguments_together(ctx, job_store):
    seven = sync_account(7, plan="red")
    eight = sync_account(8, plan="red")
    drain()
    assert found(fields={"step": "synced 8"}) == [eight.id]
    assert found(fields={"step": "synced 8"}, kwargs={"plan": "red"}) == [eight.id]
    assert found(fields={"step": "synced 8"}, args=(7,)) == []
    assert found(kwargs={"plan": "red", "notify": False}) == []  # a default is not an argument
    assert set(found(kwargs={"plan": "red"})) == {seven.id, eight.id}


@pytest.mark.job_stores("sql")
def test_a_value_no_search_can_match_is_refused_naming_it(ctx, job_store):
    with pytest.raises(ValueError, match=r"unsupported value \{'a': 1\} at arguments\['args'\]"):
        found(args=({"a": 1},))


@pytest.mark.job_stores("redis")
def test_the_redis_store_refuses_to_search_rather_than_find_nothing(ctx, job_store):
    sync_account(7, plan="red")
    with pytest.raises(SearchUnavailable, match="unavailable with the Redis job store"):
        found(kwargs={"plan": "red"})
    assert len(JobStatus.recent()) == 1  # listing without a search still works


@pytest.mark.job_stores("sql")
def test_a_custom_field_is_found_by_its_latest_value_only(ctx, job_store):
    job = sync_account(7, plan="red")
    status = JobStatus.get(job)
    status["step"] = "first"
    status["step"] = "second"
    assert found(fields={"step": "second"}) == [job.id]
    assert found(fields={"step": "first"}) == []


@pytest.mark.backends("sqlite")
@pytest.mark.job_stores("sql")
def test_a_purged_job_leaves_no_terms_behind(ctx, job_store):
    sync_account(7, plan="red")
    assert db.session.scalar(select(func.count()).select_from(TERMS)) > 0
    get_store().purge(now=utcnow() + dt.timedelta(days=365))
    assert db.session.scalar(select(func.count()).select_from(TERMS)) == 0
