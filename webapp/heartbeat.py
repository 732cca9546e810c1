"""Heartbeat: a thread that does periodic duties for the work running in its process.

Running jobs and operation actions are tracked here while they run; each duty (renew their
leases, notice cancel requests, reap what others left behind) is called with the tracked
items every so many seconds, on one thread of its own that runs only while there is work to
watch. A thread, not the worker's own loop: work busy on the CPU still has its lease renewed
(threads share the process, and the GIL is released regularly).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

V = TypeVar("V")


@dataclass(frozen=True)
class Duty(Generic[V]):
    """``run(tracked)`` every ``every()`` seconds (read after each run, in the context)."""

    every: Callable[[], float]
    run: Callable[[Mapping[str, V]], object]


class Heartbeat(Generic[V]):
    """Calls its duties with what is tracked (key -> item) while anything is, or while
    ``keep()`` says to go on (a consumer that reaps even when idle); every call of a duty, and
    of its ``every``, is made inside ``context()`` (an app context)."""

    def __init__(
        self,
        name: str,
        duties: Sequence[Duty[V]],
        *,
        context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
        keep: Callable[[], bool] | None = None,
    ) -> None:
        self.name = name
        self.duties = tuple(duties)
        self.context = context
        self.keep = keep or (lambda: False)
        self._lock = threading.Lock()
        self._tracked: dict[str, V] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def track(self, key: str, item: V) -> None:
        """Watch ``item`` until ``untrack(key)``."""
        with self._lock:
            self._tracked[key] = item
            self._ensure_thread()

    def untrack(self, key: str) -> None:
        with self._lock:
            self._tracked.pop(key, None)

    def tracked(self) -> dict[str, V]:
        with self._lock:
            return dict(self._tracked)

    def start(self) -> None:
        """Run the duties now if they are not running (``keep()`` turned true)."""
        with self._lock:
            self._ensure_thread()

    def wake(self) -> None:
        """Check at once whether to go on (``keep()`` turned false)."""
        self._wake.set()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        due = [time.monotonic()] * len(self.duties)
        self._tick(due, {}, first=True)
        while True:
            self._wake.wait(max(0.0, min(due) - time.monotonic()))
            self._wake.clear()
            with self._lock:
                if not self._tracked and not self.keep():
                    self._thread = None
                    return
                tracked = dict(self._tracked)
            self._tick(due, tracked)

    def _tick(self, due: list[float], tracked: Mapping[str, V], first: bool = False) -> None:
        """Run the duties that are due (none the first time: only schedule them). A duty's
        next run is never further than its ``every()`` now says: an interval read from the
        app of this tick (a process that made a new app with shorter intervals, as tests do)
        takes effect at once, not after the old interval."""
        try:
            with self.context():
                for i, duty in enumerate(self.duties):
                    now = time.monotonic()
                    every = duty.every()
                    due[i] = min(due[i], now + every)
                    if due[i] > now:
                        continue
                    if not first:
                        try:
                            duty.run(tracked)
                        except Exception:
                            log.exception("%s: a duty failed", self.name)
                    due[i] = now + every
        except Exception:
            log.exception("%s: no context for its duties", self.name)
            due[:] = [time.monotonic() + 1.0] * len(due)
