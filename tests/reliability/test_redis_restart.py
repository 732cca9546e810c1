"""Redis crashes and comes back while a web process streams activities to its clients and a
consumer runs jobs: nothing in the Activity log is lost to anyone, and job statuses lose at
most what the documented window allows (README, "What a Redis restart loses").

A private Redis (never the shared one) with the append-only file synced every second, the way
it should run in production; it is killed with SIGKILL, so it gets no chance to save.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tests.reliability import workload as W
from tests.reliability.cluster import WebProcess, worker_env
from tests.support.queue import wait_until
from tests.support.services import RedisServer, wait_for_port
from webapp.activity import Activity
from webapp.extensions import db
from webapp.jobs import JobStatus

pytestmark = [pytest.mark.slow, pytest.mark.backends("pg_redis")]

#: Redis fsyncs its append-only file every second: a crash loses at most the last second.
FSYNC_WINDOW = 1.0


class PersistentRedis(RedisServer):
    """A private redis-server that keeps an append-only file (fsync every second) in ``dir``."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.dir = directory

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.dir)]
        self.proc = subprocess.Popen(
            ["redis-server", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)

    def restart(self, down_for: float) -> None:
        """Crash (SIGKILL), stay down ``down_for`` seconds, start again on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()


@pytest.fixture
def redis_server(tmp_path):
    server = PersistentRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_settings(redis_server) -> dict:
    # Redis carries the Huey queue, job statuses, wake hints and the Socket.IO message queue.
    return {"REDIS_URL": redis_server.url, "BEACON_SOCKETIO_QUEUE": redis_server.url}


@pytest.fixture
def env(backend, redis_server) -> dict[str, str]:
    return worker_env({**backend.env(), "REDIS_URL": redis_server.url})


def stored_ids(app, user_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Activity.id).where(Activity.user_id == user_id).order_by(Activity.id)
            )
        )


def test_activities_streaming_through_a_redis_crash_reach_every_client_once(
    app, env, processes, redis_server, tmp_path
):
    person = make_user(app, "streamer@example.com")
    web = WebProcess(processes, env, tmp_path / "web.log")
    processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
    web.wait_ready()
    stays, leaves = web.socket(person), web.socket(person)
    wait_until(lambda: stays.of("unread") and leaves.of("unread"), message="sessions ready")
    count = 150
    with app.app_context():
        W.stream(person.id, count, 0.03)

    wait_until(lambda: len(stays.ids()) >= 20, timeout=60, message="the stream to flow")
    redis_server.stop()
    # While Redis is down one client drops; the consumer goes on writing to PostgreSQL.
    seen = leaves.ids()
    leaves.disconnect()
    wait_until(lambda: len(stored_ids(app, person.id)) >= len(seen) + 30, timeout=60)
    redis_server.start()
    back = web.socket(person, auth={"after": seen[-1]})

    wait_until(lambda: len(stored_ids(app, person.id)) == count, timeout=60, message="stream")
    expected = stored_ids(app, person.id)
    assert stays.wait_for_ids(count, timeout=60) == expected
    assert seen + back.wait_for_ids(count - len(seen), timeout=60) == expected


def test_job_statuses_older_than_the_fsync_window_survive_a_redis_crash(
    app, env, processes, redis_server, tmp_path
):
    person = make_user(app, "jobs@example.com")
    processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
    with app.app_context():
        done = [W.paced_job(3, 0.01, owner_id=person.id).id for _ in range(5)]
    wait_until(lambda: all(job_is(app, i, "completed") for i in done), timeout=60)
    time.sleep(FSYNC_WINDOW + 1)  # older than the window: on disk
    redis_server.restart(down_for=1.0)
    for job_id in done:
        assert job_is(app, job_id, "completed")
        with app.app_context():
            assert JobStatus.get(job_id).to_dict()["progress"] == 3


def test_a_job_running_through_a_redis_crash_ends_with_its_final_status(
    app, env, processes, redis_server, tmp_path
):
    person = make_user(app, "runner@example.com")
    processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
    with app.app_context():
        job_id = W.paced_job(40, 0.1, owner_id=person.id).id
    wait_until(lambda: progress_of(app, job_id) >= 5, timeout=60, message="the job to run")
    redis_server.restart(down_for=1.5)
    wait_until(lambda: job_is(app, job_id, "completed"), timeout=60, message="the job to end")
    with app.app_context():
        final = JobStatus.get(job_id).to_dict()
    assert final["progress"] == final["total"] == 40
    assert final["owner_id"] == person.id


def job_is(app, job_id: str, state: str) -> bool:
    with app.app_context():
        status = JobStatus.get(job_id)
        return status is not None and status.status == state


def progress_of(app, job_id: str) -> int:
    with app.app_context():
        status = JobStatus.get(job_id)
        return 0 if status is None else status.to_dict()["progress"]
