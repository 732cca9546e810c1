"""The Huey side of Beacon: one Huey instance whose storage is chosen by configuration.

Embedded default: ``SqliteStorage`` in its own file. Scaled: ``PriorityRedisStorage`` (plain
Redis storage refuses priorities). Every task runs inside a Flask app context.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from huey import Huey
from huey.consumer import Consumer
from huey.storage import PriorityRedisStorage, SqliteStorage

from webapp.files import private_file

log = logging.getLogger(__name__)

#: Huey priorities: larger runs first.
PRIORITIES = {"high": 30, "medium": 20, "low": 10}

_app_lock = threading.Lock()


def storage_settings(settings: Mapping[str, Any]) -> tuple[type, dict]:
    """The storage class and its keyword arguments for these settings."""
    if settings.get("REDIS_URL"):
        # How long an idle blocking dequeue waits: short in tests so draining a queue is quick.
        timeout = settings.get("BEACON_HUEY_READ_TIMEOUT", 1)
        return PriorityRedisStorage, {"url": settings["REDIS_URL"], "read_timeout": timeout}
    filename = settings["BEACON_HUEY_FILE"]
    private_file(filename)
    return SqliteStorage, {"filename": filename}


class BeaconHuey(Huey):
    """Huey that runs every task in a Flask app context and can be rebound to new storage."""

    flask_app = None

    def execute(self, task, timestamp=None):
        with self.app_context():
            return super().execute(task, timestamp)

    @contextlib.contextmanager
    def app_context(self) -> Iterator[None]:
        """The active app context, else the app bound in this process, else one from config."""
        from flask import has_app_context

        if has_app_context():
            yield
            return
        app = self.flask_app
        if app is None:
            with _app_lock:
                if self.flask_app is None:
                    from webapp import create_app

                    create_app()  # binds itself through init_queue
                app = self.flask_app
        with app.app_context():
            yield

    def read_periodic(self, timestamp=None):
        """The periodic tasks due now that this consumer claimed (``webapp.periodic``): each
        runs once per tick, whatever the number of consumers with periodic tasks on. If the
        claim cannot be made (the database is away), the tick is skipped, never run twice."""
        timestamp = timestamp or self._get_timestamp()
        due = super().read_periodic(timestamp)
        if not due:
            return due
        from webapp.periodic import claim_ticks  # webapp.extensions imports this module

        try:
            with self.app_context():
                won = claim_ticks([task.name for task in due], timestamp)
        except Exception:
            log.exception("periodic tasks of %s not claimed: skipped", timestamp)
            return []
        return [task for task in due if task.name in won]

    def create_consumer(self, **options: Any) -> Consumer:
        """The consumer ``huey_consumer tasks.huey`` runs: stops gracefully on TERM and INT."""
        return GracefulConsumer(self, **options)

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Point this instance at the storage the settings name (no-op when unchanged)."""
        name = settings.get("BEACON_HUEY_NAME", "beacon")
        storage_class, kwargs = storage_settings(settings)
        if (name, storage_class, kwargs) == (self.name, self.storage_class, self.storage_kwargs):
            return
        with contextlib.suppress(Exception):
            self.storage.close()
        self.name = name
        self.storage_class = storage_class
        self.storage_kwargs = kwargs
        self.storage = self.create_storage()


def make_huey(settings: Mapping[str, Any]) -> BeaconHuey:
    """Build the Huey instance from config settings (used once, at import)."""
    storage_class, kwargs = storage_settings(settings)
    return BeaconHuey(
        settings.get("BEACON_HUEY_NAME", "beacon"),
        storage_class=storage_class,
        store_intermediate_errors=False,
        **kwargs,
    )


def init_queue(app, huey: BeaconHuey) -> None:
    """Bind the Huey instance to this app: its storage and the app its tasks run in."""
    huey.configure(app.config)
    huey.flask_app = app


class GracefulConsumer(Consumer):
    """A standalone consumer that treats SIGTERM like SIGINT: running tasks finish, no new task
    starts, then it exits; a second signal interrupts. Plain Huey interrupts on SIGTERM (what
    systemd, Docker and ``kill`` send), which with thread workers abandons running tasks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signal_actions[self._interrupt_sig] = (False, True)  # (restart, graceful)


class EmbeddedConsumer(Consumer):
    """A consumer that runs beside the web server: it leaves signal handling to its host."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded_consumer(huey: BeaconHuey, workers: int, periodic: bool) -> EmbeddedConsumer:
    """Start worker and scheduler threads in this process; stop with ``stop(graceful=True)``."""
    consumer = EmbeddedConsumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.05,
        backoff=1.15,
        max_delay=0.5,
        check_worker_health=True,
    )
    consumer.start()
    log.info("embedded Huey consumer: %s workers, pid %s", workers, os.getpid())
    return consumer


def install_stop_handler(stop) -> None:
    """Call ``stop`` on SIGTERM/SIGINT (a background process ignores SIGINT by default)."""

    def handler(signum, frame):
        stop()
        raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
