"""``job`` events: the owner's sessions see their jobs' progress, live, and nobody else does."""

from __future__ import annotations

from tests.notifications.consumer_tasks import GATES, count_up, held
from tests.support.queue import running_consumer, wait_until


def finished(sock) -> dict | None:
    done = [job for job in sock.of("job") if job["status"] == "completed"]
    return done[-1] if done else None


def test_job_progress_reaches_its_owner_and_ends_at_100_percent(
    app, live_server, subscriber, other_subscriber
):
    mine = live_server.socket(subscriber)
    theirs = live_server.socket(other_subscriber)
    wait_until(lambda: mine.of("unread") and theirs.of("unread"), message="ready sessions")
    count_up(20, 0.01, owner_id=subscriber.id)
    with running_consumer(workers=1):
        wait_until(lambda: finished(mine), message="the completed job")
    assert finished(mine)["percent"] == 100
    assert finished(mine)["label"] == "Count up"
    percents = [job["percent"] for job in mine.of("job")]
    assert percents == sorted(percents)
    assert theirs.of("job") == []


def test_a_new_session_gets_the_state_of_unfinished_jobs(app, live_server, subscriber):
    GATES["new-session"] = GATES.default_factory()
    held("new-session", owner_id=subscriber.id)
    with running_consumer(workers=1):
        first = live_server.socket(subscriber)
        wait_until(
            lambda: [j for j in first.of("job") if j["status"] == "working"],
            message="the working job",
        )
        second = live_server.socket(subscriber)
        wait_until(lambda: second.of("job"), message="the job's state on connect")
        assert second.of("job")[-1]["percent"] == 50
        GATES["new-session"].release()
        wait_until(lambda: finished(second), message="the completed job")


def test_job_progress_from_a_separate_consumer_process_reaches_its_owner(
    app, backend, live_server, subscriber, processes, tmp_path
):
    env = {**backend.env(), "BEACON_EXTRA_TASK_MODULES": "tests.notifications.consumer_tasks"}
    processes.consumer(env, workers=1, log=tmp_path / "consumer.log")
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    count_up(40, 0.05, owner_id=subscriber.id)
    wait_until(lambda: finished(sock), timeout=30, message="the completed job")
    assert finished(sock)["percent"] == 100
    assert any(0 < job["percent"] < 100 for job in sock.of("job"))
