"""Operation actions and event classes the admin tests run (importable by any consumer)."""

from __future__ import annotations

import time
from pathlib import Path

from webapp.events import Event
from webapp.jobs import tracked_task


def ok(action) -> None:
    """Does nothing, successfully."""


def finish(action) -> None:
    """The last step on main."""


def fails_until_allowed(action) -> None:
    """Fails while the file named by the ``allow`` global is missing; once it exists, waits
    for the file named by the ``release`` global (if given) and completes."""
    if not Path(action.get("allow")).exists():
        raise RuntimeError("card declined: allow file missing")
    release = action.get("release")
    if release:
        deadline = time.monotonic() + 60
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.02)


def jump_to_red(action) -> None:
    """Jumps to the first action of the ``red`` branch."""
    action.jump_to("red")


def red_step(action) -> None:
    """The only action of the ``red`` branch."""


class AdminBrokenEvent(Event):
    """Fails every attempt, with no retries."""

    retries = 0

    def process(self) -> None:
        raise ValueError("admin broken event on purpose")


class AdminQuietEvent(Event):
    """Completes."""

    retries = 0

    def process(self) -> None:
        pass


@tracked_task(retries=0)
def admin_counting_job(count: int, *, status) -> None:
    """Counts to ``count`` in its progress."""
    status.progress.total = count
    for _ in range(count):
        status.progress.increment()


@tracked_task(retries=0, throttle_interval=0)
def admin_gated_job(total: int, release: str, *, status) -> None:
    """Counts half of ``total``, waits for the ``release`` file, then counts the rest."""
    status.progress.total = total
    for _ in range(total // 2):
        status.progress.increment()
    deadline = time.monotonic() + 60
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    for _ in range(total - total // 2):
        status.progress.increment()
