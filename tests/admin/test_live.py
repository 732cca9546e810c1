"""Live admin updates: admins who joined the admin room hear of operation and job changes."""

from __future__ import annotations

from tests.admin import actions, factories
from tests.support.live import NAMESPACE
from tests.support.queue import wait_until


def join(sock) -> dict:
    return sock.client.call("admin_join", {}, namespace=NAMESPACE, timeout=10)


def test_admin_hears_operation_state_changes(app, live_server, admin):
    sock = live_server.socket(admin)
    assert join(sock) == {"ok": True}
    op_id = factories.operation(app, "live.op", {"main": [actions.ok]}, {"n": 1})
    wait_until(
        lambda: (
            {"id": op_id, "state": "completed", "name": "live.op"} in sock.of("admin_operation")
        ),
        message="the completed operation",
    )
    states = [e["state"] for e in sock.of("admin_operation") if e["id"] == op_id]
    assert states[0] == "pending" and states[-1] == "completed"


def test_subscriber_cannot_join_the_admin_room(app, live_server, subscriber, admin):
    spy = live_server.socket(subscriber)
    assert join(spy) == {"ok": False, "error": "admins only"}
    watcher = live_server.socket(admin)
    join(watcher)
    op_id = factories.operation(app, "live.secret", {"main": [actions.ok]}, {"n": 2})
    # Emits to one room are delivered in order: once the admin has the last one, the
    # subscriber would have had it too.
    wait_until(
        lambda: any(
            e["id"] == op_id and e["state"] == "completed" for e in watcher.of("admin_operation")
        ),
        message="the admin's copy",
    )
    assert spy.of("admin_operation") == []


def test_admin_hears_job_progress(app, live_server, admin):
    sock = live_server.socket(admin)
    join(sock)
    job_id = factories.completed_job(app, count=3)
    wait_until(
        lambda: any(j["id"] == job_id and j["status"] == "completed" for j in sock.of("admin_job")),
        message="the completed job",
    )
    final = [j for j in sock.of("admin_job") if j["id"] == job_id][-1]
    assert final["progress"] == 3 and final["total"] == 3
