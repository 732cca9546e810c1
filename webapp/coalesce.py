"""Coalescer: per key, the latest value let out at most once every ``every`` seconds, and the
last one never lost. The job handle's announcements, the sessions' ``job`` events and the
admin pages' live updates all go through one.

``offer`` lets a value out at once when its key's interval has passed (the caller sends it),
else holds it in place of any value held before. Held values are let out when their interval
is up: by the coalescer's own thread, which calls ``send``, or, without ``send``, by the owner
calling ``due()`` (the fan-out, from its own loop).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """Per key, the latest value at most once every ``every`` seconds. ``repeats=False``
    drops a value equal to the one last let out for its key; the last ``remember`` keys let
    out are remembered (to throttle them, and for ``last``)."""

    def __init__(
        self,
        every: float,
        send: Callable[[K, V], None] | None = None,
        *,
        repeats: bool = True,
        remember: int = 2000,
        name: str = "beacon-coalescer",
    ) -> None:
        self.every = every
        self.send = send
        self.repeats = repeats
        self.remember = remember
        self.name = name
        self._lock = threading.Condition()
        self._out: OrderedDict[K, tuple[float, V]] = OrderedDict()  # when, what was let out
        self._held: dict[K, tuple[float, V]] = {}  # when due, the latest value
        self._thread: threading.Thread | None = None

    def offer(self, key: K, value: V, *, urgent: bool = False) -> bool:
        """True: let ``value`` out now (the caller sends it); False: held, or a repeat."""
        with self._lock:
            now = time.monotonic()
            last = self._out.get(key)
            due = now if urgent or last is None else last[0] + self.every
            if due <= now:
                self._held.pop(key, None)
                return self._let_out(key, value, now)
            newly_held = key not in self._held
            self._held[key] = (due, value)
            if self.send is not None and newly_held:
                # A key held already keeps its due time: its thread needs no wake-up (waking
                # it for every offer costs the offering thread a GIL hand-over each time).
                self._start(self.send)
                self._lock.notify()
            return False

    def due(self) -> list[tuple[K, V]]:
        """The held values whose interval is up, now let out."""
        with self._lock:
            now = time.monotonic()
            keys = [key for key, (at, _) in self._held.items() if at <= now]
            taken = [(key, self._held.pop(key)[1]) for key in keys]
            return [(key, value) for key, value in taken if self._let_out(key, value, now)]

    def pop(self, key: K) -> V | None:
        """The value held for ``key``, let out now (None if none is held)."""
        with self._lock:
            held = self._held.pop(key, None)
            if held is None or not self._let_out(key, held[1], time.monotonic()):
                return None
            return held[1]

    def last(self, key: K) -> V | None:
        """The value last let out for ``key`` (None if none is remembered)."""
        with self._lock:
            out = self._out.get(key)
            return None if out is None else out[1]

    def items(self) -> list[tuple[K, V]]:
        """Every remembered key with the value last let out for it."""
        with self._lock:
            return [(key, value) for key, (_, value) in self._out.items()]

    def __bool__(self) -> bool:
        """Something is held."""
        return bool(self._held)

    def _let_out(self, key: K, value: V, now: float) -> bool:
        last = self._out.get(key)
        if not self.repeats and last is not None and last[1] == value:
            return False
        self._out[key] = (now, value)
        self._out.move_to_end(key)
        if len(self._out) > self.remember:
            self._out.popitem(last=False)
        return True

    def _start(self, send: Callable[[K, V], None]) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, args=(send,), name=self.name, daemon=True
            )
            self._thread.start()

    def _run(self, send: Callable[[K, V], None]) -> None:
        while True:
            with self._lock:
                while not self._held:
                    self._lock.wait()
                wait = min(at for at, _ in self._held.values()) - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
            for key, value in self.due():
                try:
                    send(key, value)
                except Exception:  # what is let out is a courtesy: keep the thread alive
                    log.exception("%s: a held-back value was not sent", self.name)
