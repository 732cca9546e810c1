"""Nothing lost: late commits, a Redis outage, and a separate consumer process.

The consumer-process test also measures latency from ``record_activity`` in the consumer to
receipt by a connected python-socketio client, and prints the median and p99 (no assertion on
time: figures are for the report and the benchmark).
"""

from __future__ import annotations

import statistics

import pytest
from sqlalchemy import select

from tests.notifications.conftest import record
from tests.support.queue import wait_until
from tests.support.services import RedisServer
from webapp.activity import Activity, record_activity
from webapp.extensions import db, huey


def fanout(app):
    return app.extensions["beacon.fanout"]


@pytest.mark.backends("pg_redis")
def test_row_committing_late_is_still_delivered(app, live_server, subscriber):
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    with app.app_context():
        slow = record_activity("import.completed", user_id=subscriber.id, commit=False).id
        fast = record(app, user_id=subscriber.id)  # another app context: its own transaction
        # The fan-out waits briefly for the missing id, then sends what came after it.
        assert sock.wait_for_ids(1) == [fast]
        db.session.commit()
    assert sock.wait_for_ids(2) == [fast, slow]


@pytest.mark.backends("pg_redis")
def test_row_committing_within_the_gap_wait_keeps_id_order(app, live_server, subscriber):
    fanout(app).tail.gap_wait = 30.0
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    with app.app_context():
        slow = record_activity("import.completed", user_id=subscriber.id, commit=False).id
        fast = record(app, user_id=subscriber.id)
        wait_until(lambda: fanout(app).tail.read_max >= fast, message="the tail to read it")
        db.session.commit()
    assert sock.wait_for_ids(2) == [slow, fast]


@pytest.mark.backends("pg_redis")
def test_rolled_back_id_delays_but_does_not_block_delivery(app, live_server, subscriber):
    sock = live_server.socket(subscriber)
    with app.app_context():
        record_activity("import.completed", user_id=subscriber.id, commit=False)
        db.session.rollback()
    after = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [after]


@pytest.fixture
def private_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


class TestRedisOutage:
    @pytest.fixture
    def app_settings(self, private_redis):
        # Redis carries the Huey queue, the wake hints and the Socket.IO message queue here.
        return {
            "REDIS_URL": private_redis.url,
            "BEACON_SOCKETIO_QUEUE": private_redis.url,
            "BEACON_FANOUT_GAP_WAIT": 0.3,
        }

    @pytest.mark.backends("pg_redis")
    def test_activities_recorded_while_redis_is_down_are_delivered(
        self, app, live_server, subscriber, private_redis
    ):
        sock = live_server.socket(subscriber)
        wait_until(lambda: fanout(app).listener.subscribed, message="the Redis subscription")
        first = record(app, user_id=subscriber.id)
        sock.wait_for_ids(1)
        private_redis.stop()
        during = [record(app, user_id=subscriber.id) for _ in range(3)]
        sock.wait_for_ids(4)
        private_redis.start()
        wait_until(lambda: fanout(app).listener.subscribed, message="the subscription again")
        last = record(app, user_id=subscriber.id)
        assert sock.wait_for_ids(5) == [first, *during, last]


def _latencies(sock) -> list[float]:
    with sock.lock:
        return [
            received - data["value"]["t"]
            for event, data, received in sock.events
            if event == "activity"
        ]


def test_separate_consumer_process_delivers_exactly_once_in_order(
    app, backend, live_server, subscriber, processes, tmp_path
):
    from tests.notifications.consumer_tasks import record_burst

    env = {**backend.env(), "BEACON_EXTRA_TASK_MODULES": "tests.notifications.consumer_tasks"}
    processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    count = 200
    with app.app_context():
        huey.enqueue(record_burst.s(subscriber.id, count, 0.01))
    sock.wait_for_ids(count, timeout=60)
    with app.app_context():
        stored = list(
            db.session.scalars(
                select(Activity.id).where(Activity.user_id == subscriber.id).order_by(Activity.id)
            )
        )
    assert sock.ids() == stored
    latencies = sorted(_latencies(sock))
    median = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"\n[latency {backend.name}] record_activity in a consumer process -> client: "
        f"median {median:.1f} ms, p99 {p99:.1f} ms over {count}"
    )


def test_alert_resolutions_read_with_the_read_state_are_those_of_their_own_query(ctx, subscriber):
    from sqlalchemy import text

    from webapp.notifications import delivery, feed

    other = record_activity("sync.status", True, user_id=subscriber.id)
    alert = record_activity("sync.status", False, user_id=subscriber.id, action_required="reauth")
    fixed = record_activity("sync.status", True, user_id=subscriber.id)
    rows = delivery.read_ids([other.id, fixed.id])
    owners = {subscriber.id}
    keys = feed.read_state({}, (), delivery.alert_keys(rows, owners)).extra
    for found in (
        delivery.alert_resolutions(rows, owners),
        delivery.alert_resolutions(rows, owners, keys),
    ):
        assert [(a.id, resolver) for a, resolver in found] == [(alert.id, fixed.id)]
    assert delivery.alert_resolutions(rows, {subscriber.id + 1}) == []
    if db.session.get_bind().dialect.name == "sqlite":
        # The partial index of alerts, whatever order the indexes were created in.
        stmt = delivery.alert_keys(rows, owners)
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(r[3] for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_activity_alerts" in plan
