"""Event classes the events tests queue. A standalone consumer imports this module too
(BEACON_EXTRA_TASK_MODULES), so they communicate through files and the database."""

from __future__ import annotations

import os
import threading
import time

from webapp.events import Event

#: Labels in the order in-process consumers processed them.
processed: list[str] = []
_lock = threading.Lock()


class RecordLabelEvent(Event):
    """Appends params["label"] to ``processed``."""

    def process(self) -> None:
        with _lock:
            processed.append(self.params["label"])


class AppendLineEvent(Event):
    """Holds params["hold"] seconds, then appends "label pid" to the file params["path"]."""

    def process(self) -> None:
        time.sleep(self.params.get("hold", 0))
        with open(self.params["path"], "a") as out:
            out.write(f"{self.params['label']} {os.getpid()}\n")


class WaitForReleaseEvent(Event):
    """Runs until the file params["release"] exists (at most 30 s)."""

    def process(self) -> None:
        deadline = time.monotonic() + 30
        while not os.path.exists(self.params["release"]):
            if time.monotonic() > deadline:
                raise TimeoutError("never released")
            time.sleep(0.02)


class FlakyEvent(Event):
    """Fails its first params["failures"] attempts, then records its label."""

    def process(self) -> None:
        if self.attempt <= self.params["failures"]:
            raise RuntimeError(f"flaky failure on attempt {self.attempt}")
        with _lock:
            processed.append(self.params["label"])


class BrokenEvent(Event):
    """Fails every attempt."""

    def process(self) -> None:
        raise ValueError("broken on purpose")


class GuardedEvent(Event):
    """Halts unless params["allowed"] is true."""

    before_filters = ["check_allowed"]

    def check_allowed(self) -> bool:
        return bool(self.params.get("allowed"))

    def process(self) -> None:
        with _lock:
            processed.append(self.params["label"])
