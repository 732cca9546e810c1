"""Actions the operation tests run, importable by a consumer in another process.

Each call appends its label to the file named by the ``log`` global, so calls are counted
across threads and processes alike (appends of one short line are atomic).
"""

from __future__ import annotations

import time
from pathlib import Path


def record(action, label: str) -> None:
    with open(action.get("log"), "a") as f:
        f.write(f"{label}\n")


def calls(log: Path) -> list[str]:
    """Labels appended to the log so far, in order."""
    return log.read_text().splitlines() if log.exists() else []


def step_a(action) -> None:
    record(action, "a")


def step_b(action) -> None:
    record(action, "b")


def step_c(action) -> None:
    record(action, "c")


def side_x(action) -> None:
    record(action, "x")


def side_y(action) -> None:
    record(action, "y")


def jump_by_global(action) -> None:
    """Jumps to the ``jump`` global: a branch name, or [branch, action import path]."""
    record(action, "j")
    target = action.get("jump")
    if isinstance(target, list):
        action.jump_to({target[0]: target[1]})
    elif target:
        action.jump_to(target)


def jump_then_fail_once(action) -> None:
    """Jumps to the side branch, then fails on its first attempt only."""
    record(action, "jf")
    action.jump_to("side")
    if calls(Path(action.get("log"))).count("jf") == 1:
        raise RuntimeError("first attempt fails after jumping")


def fail_until(action) -> None:
    """Fails while it has been called no more than ``fail_times`` times."""
    record(action, "f")
    if calls(Path(action.get("log"))).count("f") <= action.get("fail_times", 0):
        raise RuntimeError(f"planned failure {action.attempt}")


def set_values(action) -> None:
    record(action, "set")
    action.set("counter", action.get("counter", 0) + 1)
    action.set("note", {"by": "set_values"})


def set_then_fail(action) -> None:
    """Sets a global, then fails: the value must not be saved."""
    record(action, "setfail")
    action.set("lost", True)
    raise RuntimeError("fails after set")


def read_values(action) -> None:
    record(action, f"read:{action.get('counter')}:{action.get('note')}")


def record_key_fail_once(action) -> None:
    """Records its idempotency key, and fails on its first attempt."""
    record(action, f"key:{action.idempotency_key}")
    if len(calls(Path(action.get("log")))) == 1:
        raise RuntimeError("first attempt fails")


def jump_to_self(action) -> None:
    action.jump_to({"main": "tests.operations.actions:jump_to_self"})


def block_until_flag(action) -> None:
    """Records its start, waits for the ``flag`` file, then records its effect once per key."""
    record(action, "slow-start")
    deadline = time.monotonic() + 60
    while not Path(action.get("flag")).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("flag never appeared")
        time.sleep(0.02)
    record(action, "slow-effect")


class ClassAction:
    """An action given as a class with a ``call`` classmethod."""

    @classmethod
    def call(cls, action) -> None:
        record(action, "class")


NOT_CALLABLE = "just a string"


def sleep_seconds(action) -> None:
    """Runs for the ``seconds`` global without any check of its own, recording start and end."""
    record(action, "long-start")
    time.sleep(action.get("seconds"))
    record(action, "long-end")


def stuck_on_first_attempt(action) -> None:
    """Its first attempt sleeps ``seconds`` without any check; the next returns at once."""
    if action.attempt == 1:
        record(action, "stuck-start")
        time.sleep(action.get("seconds"))
        record(action, "stuck-end")
    else:
        record(action, "second attempt")


def work_until_cancelled(action) -> None:
    """Checks for its cancel every 20 ms, for up to 20 s."""
    record(action, "work-start")
    for _ in range(1000):
        action.check_cancelled()
        time.sleep(0.02)
    record(action, "work-end")
