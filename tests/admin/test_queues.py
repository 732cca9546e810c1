"""The queues page: the queue's depth by priority and every consumer with its state."""

from __future__ import annotations

import datetime as dt

from tests.consumers.test_consumers import noop
from webapp.consumers import ConsumerProcess
from webapp.database import utcnow
from webapp.events import pause_priority, queue_event
from webapp.extensions import db, huey


def _consumer(app, pid: int, silent: float) -> None:
    seen = utcnow() - dt.timedelta(seconds=silent)
    with app.app_context():
        db.session.add(
            ConsumerProcess(
                id=f"worker-host:{pid}:1",
                host="worker-host",
                pid=pid,
                workers=4,
                worker_type="thread",
                periodic=False,
                started_at=seen - dt.timedelta(hours=1),
                last_seen_at=seen,
                running=[
                    {
                        "worker": "Worker-1",
                        "task": "tasks.sync.run",
                        "task_id": "abc12345",
                        "since": seen.isoformat(),
                    }
                ],
            )
        )
        db.session.commit()


def test_the_page_shows_the_queue_depth_by_priority(app, admin_client):
    with app.app_context():
        huey.flush()
        for priority in (30, 30, 10):
            huey.enqueue(noop.s(priority=priority))
    page = admin_client.get("/admin/queues").get_data(as_text=True)
    assert 'id="queue-pending">3<' in page
    assert '<tr data-priority="high"><td>high</td><td class="num" data-count="2">' in page
    assert '<tr data-priority="low"><td>low</td><td class="num" data-count="1">' in page
    with app.app_context():
        huey.flush()


def test_the_page_lists_consumers_alive_with_their_work_and_gone_without(app, admin_client):
    _consumer(app, 101, silent=1)
    _consumer(app, 102, silent=120)
    page = admin_client.get("/admin/queues").get_data(as_text=True)
    assert 'data-consumer-id="worker-host:101:1" data-state="alive"' in page
    assert 'data-consumer-id="worker-host:102:1" data-state="gone"' in page
    assert page.count("<code>tasks.sync.run</code>") == 1  # a gone consumer runs nothing
    assert '<span class="tag">1 alive</span>' in page


def test_a_viewer_reads_the_queues_page(app, viewer_client):
    assert viewer_client.get("/admin/queues").status_code == 200


def test_a_paused_priority_is_marked_with_the_events_waiting_for_it(app, admin, admin_client):
    with app.app_context():
        pause_priority("low", by_user_id=admin.id)
        queue_event("admin_quiet", "low")
    page = admin_client.get("/admin/queues").get_data(as_text=True)
    assert '<tr data-priority="low"><td>low <span class="state state-paused"' in page
    assert 'data-waiting="1">1 events wait' in page
    assert '<tr data-priority="high"><td>high</td>' in page
