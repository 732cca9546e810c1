"""What /metrics holds, parsed as Prometheus parses it, after real jobs, operations and events
ran (SQLite with the SQL job store; PostgreSQL with the Redis job store and Redis queue)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from tests.admin import actions, factories
from tests.metrics.scrape import scrape, value
from tests.support.services import RedisServer
from webapp import create_app
from webapp.events import queue_event
from webapp.extensions import db
from webapp.jobs import STATUSES as JOB_STATES
from webapp.jobs import JobStatus
from webapp.operations import STATES as OPERATION_STATES
from webapp.operations import Action
from webapp.queue import PRIORITIES

SOURCES = ("queue", "consumers", "database", "jobs")


@pytest.fixture
def world(app: Flask, tmp_path) -> dict:
    """Two completed jobs, a completed and a failed operation, a done and a failed event (all
    run to their end); then, left waiting, a job and a high and a low event."""
    done_jobs = [factories.completed_job(app), factories.completed_job(app)]
    factories.operation(app, "metrics.done", {"main": [actions.ok, actions.finish]})
    factories.failed_operation(app, tmp_path)
    factories.done_event(app)
    factories.failed_event(app)
    factories.queued_job(app)
    with app.app_context():
        queue_event("admin_quiet", "high")
        queue_event("admin_quiet", "low")
        task = JobStatus.get(done_jobs[0]).task
        names = set(db.session.scalars(select(Action.name)))
    return {"task": task, "actions": {n.rpartition(":")[2]: n for n in names}}


def test_jobs_operations_and_events_are_counted_by_state(admin_client, world):
    families = scrape(admin_client)
    jobs = {state: value(families, "beacon_jobs", state=state) for state in JOB_STATES}
    assert jobs == {**dict.fromkeys(JOB_STATES, 0.0), "completed": 2.0, "queued": 1.0}
    operations = {s: value(families, "beacon_operations", state=s) for s in OPERATION_STATES}
    assert operations == {**dict.fromkeys(OPERATION_STATES, 0.0), "completed": 1.0, "failed": 1.0}
    events = families["beacon_events"]
    assert value(families, "beacon_events", state="done", priority="medium") == 1
    assert value(families, "beacon_events", state="failed", priority="medium") == 1
    assert value(families, "beacon_events", state="queued", priority="high") == 1
    assert value(families, "beacon_events", state="queued", priority="low") == 1
    assert sum(v for _, _, v in events) == 4


def test_the_queue_depth_is_split_by_priority(admin_client, world):
    families = scrape(admin_client)
    assert value(families, "beacon_queue_pending") == 3
    depth = {p: value(families, "beacon_queue_depth", priority=p) for p in PRIORITIES}
    assert depth == {"high": 1, "medium": 0, "low": 1}
    assert value(families, "beacon_queue_depth", priority="normal") == 1  # the job: none
    assert value(families, "beacon_queue_scheduled") == 0


def test_job_durations_are_a_histogram_of_the_completed_jobs(admin_client, world):
    families = scrape(admin_client)
    name = "beacon_job_duration_seconds"
    task = world["task"]
    assert value(families, name, f"{name}_count", task=task) == 2
    assert value(families, name, f"{name}_bucket", task=task, le="+Inf") == 2
    assert value(families, name, f"{name}_bucket", task=task, le="3600.0") == 2
    assert value(families, name, f"{name}_sum", task=task) >= 0


def test_action_durations_are_a_histogram_per_action_of_completed_ones(admin_client, world):
    families = scrape(admin_client)
    name = "beacon_action_duration_seconds"
    ok, finish = world["actions"]["ok"], world["actions"]["finish"]
    assert value(families, name, f"{name}_count", action=ok) == 2  # both operations ran it
    assert value(families, name, f"{name}_count", action=finish) == 1
    failing = world["actions"]["fails_until_allowed"]
    assert not [s for s in families[name] if s[1].get("action") == failing]


def test_every_source_is_up_and_consumers_and_latency_are_there(admin_client, world):
    families = scrape(admin_client)
    for source in SOURCES:
        assert value(families, "beacon_metrics_source_up", source=source) == 1
    assert value(families, "beacon_consumers", state="alive") == 0
    latency = "beacon_delivery_latency_seconds"
    assert value(families, latency, f"{latency}_count") == 0


@pytest.mark.backends("sqlite")
def test_a_source_that_cannot_be_read_shows_as_down_and_the_others_still_answer(backend):
    redis_server = RedisServer()
    redis_server.start()
    try:
        token = "scraper-token-0123456789"
        app = create_app(
            {
                **backend.settings,
                "REDIS_URL": redis_server.url,
                "BEACON_JOB_STORE": "redis",
                "BEACON_METRICS_TOKEN": token,
            }
        )
        with app.app_context():
            db.create_all()
        redis_server.stop()
        families = scrape(app.test_client(), headers={"Authorization": f"Bearer {token}"})
    finally:
        redis_server.stop()
    up = {s: value(families, "beacon_metrics_source_up", source=s) for s in SOURCES}
    assert up == {"queue": 0, "consumers": 1, "database": 1, "jobs": 0}
    assert "beacon_operations" in families and "beacon_jobs" not in families
