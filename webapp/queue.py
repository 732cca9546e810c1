"""The Huey side of Beacon: one Huey instance whose storage is chosen by configuration.

Embedded default: ``SqliteStorage`` in its own file. Scaled: ``PriorityRedisStorage`` (plain
Redis storage refuses priorities). Every task runs inside a Flask app context.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, has_app_context
from huey import Huey
from huey.consumer import Consumer
from huey.storage import PriorityRedisStorage, SqliteStorage

from webapp.database import in_task
from webapp.files import private_file
from webapp.periodic import claim_ticks

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


@dataclass(frozen=True)
class Running:
    """A task a worker of this process runs now."""

    worker: str
    task: str
    task_id: str
    since: float  # time.time()


class Workers:
    """The consumer of this process: its options (as ``create_consumer`` was given them),
    its workers up (Huey's startup and shutdown hooks, which every worker calls), and the
    task each one runs now."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.started_at: float | None = None
        self._lock = threading.Lock()
        self._up = 0
        self._running: dict[int, Running] = {}

    @property
    def count(self) -> int:
        """How many workers are up in this process."""
        return self._up

    def up(self) -> None:
        with self._lock:
            if self._up == 0:  # a consumer starts (again) in this process
                self.started_at = time.time()
            self._up += 1

    def down(self) -> None:
        with self._lock:
            self._up = max(0, self._up - 1)

    def begin(self, task: Any) -> None:
        """This thread runs ``task`` now (two dict writes: on every task's path)."""
        thread = threading.current_thread()
        self._running[thread.ident or 0] = Running(thread.name, task.name, task.id, time.time())

    def end(self) -> None:
        self._running.pop(threading.get_ident(), None)

    def running(self) -> list[Running]:
        """What each busy worker runs now, longest-running first."""
        return sorted(list(self._running.values()), key=lambda r: r.since)  # list(): one step


class BeaconHuey(Huey):
    """Huey that runs every task in a Flask app context and can be rebound to new storage.

    The app is the one ``create_app`` bound in this process (``init_queue``), else one made by
    ``app_factory``: a standalone consumer's entry point (``tasks``) sets it, so nothing below
    the web layer imports the factory.
    """

    flask_app: Flask | None = None
    app_factory: Callable[[], Flask] | None = None
    name: str
    storage_class: Any
    storage_kwargs: dict[str, Any]
    storage: Any
    workers: Workers

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workers = Workers()
        # Registered first: every other startup hook sees this worker counted.
        self.on_startup(name="beacon_workers")(self.workers.up)
        self.on_shutdown(name="beacon_workers")(self.workers.down)

    def create_consumer(self, **options: Any) -> Consumer:
        """A consumer for this instance (``huey_consumer`` calls it too); its options are
        kept for the consumers page (workers, worker type, periodic on or off)."""
        consumer = super().create_consumer(**options)
        self.workers.options = {
            "workers": consumer.workers,
            "worker_type": consumer.worker_type,
            "periodic": consumer.periodic,
        }
        return consumer

    def execute(self, task: Any, timestamp: Any = None) -> Any:
        """Run a task in an app context; its database transactions are writing ones."""
        writing = in_task.set(True)
        self.workers.begin(task)
        try:
            with self.app_context():
                return super().execute(task, timestamp)
        finally:
            self.workers.end()
            in_task.reset(writing)

    def now(self) -> dt.datetime:
        """Huey's clock: naive UTC (``utc=True``, the default) or naive local time."""
        now = dt.datetime.now(dt.UTC)
        return now.replace(tzinfo=None) if self.utc else now.astimezone().replace(tzinfo=None)

    @contextlib.contextmanager
    def app_context(self) -> Iterator[None]:
        """The active app context, else the app bound in this process, else a new one."""
        if has_app_context():
            yield
            return
        with self.bound_app().app_context():
            yield

    def bound_app(self) -> Flask:
        """The app of this process; made by ``app_factory`` (once) if none is bound yet."""
        if self.flask_app is None:
            with _app_lock:
                if self.flask_app is None:
                    if self.app_factory is None:
                        raise RuntimeError(
                            "no Flask app for Huey tasks: call create_app() in this process "
                            "or import tasks (which sets huey.app_factory)"
                        )
                    self.app_factory()  # binds itself through init_queue
        assert self.flask_app is not None  # noqa: S101 - init_queue bound it
        return self.flask_app

    def read_periodic(self, timestamp: Any = None) -> list[Any]:
        """The periodic tasks due now that this consumer claimed (``webapp.periodic``): each
        runs once per tick, whatever the number of consumers with periodic tasks on. If the
        claim cannot be made (the database is away), the tick is skipped, never run twice.
        Huey's scheduler passes no time: the tick is now's."""
        timestamp = timestamp or self.now()
        due = super().read_periodic(timestamp)
        if not due:
            return due
        try:
            with self.app_context():
                won = claim_ticks([task.name for task in due], timestamp)
        except Exception:
            log.exception("periodic tasks of %s not claimed: skipped", timestamp)
            return []
        return [task for task in due if task.name in won]

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


def init_queue(app: Flask, huey: BeaconHuey) -> None:
    """Bind the Huey instance to this app: its storage and the app its tasks run in."""
    huey.configure(app.config)
    huey.flask_app = app


#: The signals Huey's ``Consumer.start()`` takes over (stop, graceful stop, restart).
_CONSUMER_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


def start_beside_host(consumer: Consumer) -> Consumer:
    """Start a consumer's worker and scheduler threads in a process that handles its own
    signals (the web server, a test): ``start()`` installs Huey's handlers, as for a process
    the consumer owns, and the host's are put back. Call it from the main thread, the only
    one that may set signal handlers. Stop it with ``stop(graceful=True)``."""
    kept = {signum: signal.getsignal(signum) for signum in _CONSUMER_SIGNALS}
    consumer.start()
    for signum, handler in kept.items():
        if handler is not None:  # None: not set from Python, nothing to put back
            signal.signal(signum, handler)
    return consumer


def start_embedded_consumer(huey: BeaconHuey, workers: int, periodic: bool) -> Consumer:
    """Start worker and scheduler threads in this process; stop with ``stop(graceful=True)``."""
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.05,
        backoff=1.15,
        max_delay=0.5,
        check_worker_health=True,
    )
    start_beside_host(consumer)
    log.info("embedded Huey consumer: %s workers, pid %s", workers, os.getpid())
    return consumer


def install_stop_handler(stop: Callable[[], Any]) -> None:
    """Call ``stop`` on SIGTERM/SIGINT (a background process ignores SIGINT by default)."""

    def handler(signum: int, frame: Any) -> None:
        stop()
        raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
