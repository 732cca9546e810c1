"""The heartbeat a consumer process writes: at its first worker's start, every
``BEACON_CONSUMER_HEARTBEAT`` seconds while a worker is up, and once more when its last
worker stops. One row per process (``ConsumerProcess``), upserted by its id."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import delete

from webapp.consumers.models import ConsumerProcess
from webapp.database import rows_changed, upsert, utcnow
from webapp.extensions import db, huey
from webapp.heartbeat import Duty, Heartbeat

log = logging.getLogger(__name__)

#: A consumer not heard from for this long is forgotten (its row deleted) by the next start.
FORGET_AFTER = dt.timedelta(days=1)

HOST = socket.gethostname()


def write_beat(*, stopped: bool = False) -> None:
    """Store this process's consumer as it is now (nothing if no worker ever started)."""
    workers = huey.workers
    if workers.started_at is None:
        return
    started = dt.datetime.fromtimestamp(workers.started_at, dt.UTC)
    now = utcnow()
    running = [
        {
            "worker": r.worker,
            "task": r.task,
            "task_id": r.task_id,
            "since": dt.datetime.fromtimestamp(r.since, dt.UTC).isoformat(),
        }
        for r in workers.running()
    ]
    options = workers.options
    row: dict[str, Any] = {
        "id": f"{HOST}:{os.getpid()}:{int(workers.started_at * 1000)}",
        "host": HOST,
        "pid": os.getpid(),
        "workers": options.get("workers", workers.count),
        "worker_type": options.get("worker_type", "thread"),
        "periodic": bool(options.get("periodic", True)),
        "started_at": started,
        "last_seen_at": now,
        "stopped_at": now if stopped else None,
        "running": [] if stopped else running,
    }
    changed = {k: row[k] for k in ("last_seen_at", "stopped_at", "running", "workers")}
    table = ConsumerProcess.__table__
    db.session.execute(
        upsert(table).values(row).on_conflict_do_update(index_elements=["id"], set_=changed)
    )
    db.session.commit()


def forget_old(now: dt.datetime | None = None) -> int:
    """Delete consumers not heard from for ``FORGET_AFTER``; how many went."""
    cutoff = (now or utcnow()) - FORGET_AFTER
    old = delete(ConsumerProcess).where(ConsumerProcess.last_seen_at < cutoff)
    gone = rows_changed(db.session.execute(old))
    db.session.commit()
    return gone


def _beat(_tracked: Mapping[str, object]) -> None:
    write_beat()


beats: Heartbeat[object] = Heartbeat(
    "beacon-consumer-beat",
    [Duty(lambda: float(current_app.config["BEACON_CONSUMER_HEARTBEAT"]), _beat)],
    context=huey.app_context,
    keep=lambda: huey.workers.count > 0,
)


@huey.on_startup(name="beacon_consumer_beat")
def _worker_started() -> None:
    # Every worker writes it (an upsert: the same row), so no race decides which one does;
    # the first one up also forgets the consumers silent for a day (once a start is enough).
    try:
        with huey.app_context():
            write_beat()
            if huey.workers.count == 1:
                forget_old()
    except Exception:
        db.session.rollback()
        log.exception("consumer heartbeat not written")
    beats.start()


@huey.on_shutdown(name="beacon_consumer_beat")
def _worker_stopped() -> None:
    if huey.workers.count != 0:
        return
    try:
        with huey.app_context():
            write_beat(stopped=True)
    except Exception:
        db.session.rollback()
        log.exception("consumer stop not written")
    beats.wake()
