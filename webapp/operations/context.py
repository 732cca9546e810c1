"""The object an action receives: the operation's globals, jumps, its idempotency key, and
whether it should stop (its operation was cancelled, or it ran past its timeout)."""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

from huey.exceptions import TaskTimeout

from webapp.operations.models import COMPLETED, short_name
from webapp.operations.spec import check_json, import_path


class OperationCancelled(Exception):  # noqa: N818 - the contract's name
    """Raised by ``action.check_cancelled()`` once the action's operation was cancelled."""


@dataclass(frozen=True)
class ActionRef:
    """What an action knows about its operation's other actions (to validate jumps)."""

    id: int
    branch: str
    position: int
    name: str
    state: str
    perform_at: dt.datetime | None = None

    @property
    def short_name(self) -> str:
        """The callable's own name, without its module."""
        return short_name(self.name)


@dataclass(kw_only=True, repr=False, eq=False)
class ActionContext:
    """Passed to every action as ``action``.

    ``get``/``set`` read and write the operation's globals. Writes are kept with this run and
    committed together with the action's completion, so an action that raises leaves the
    globals as they were (its retry starts from the same values). ``jump_to`` chooses the next
    action; it takes effect only if the action completes.

    An action may run more than once if its consumer dies mid-run (its lease expires and the
    reaper resumes it): make side effects idempotent, or key them with ``idempotency_key``,
    which is the same for every attempt of this action.

    A long action should call ``check_cancelled()`` now and then (or read
    ``cancel_requested``): it raises OperationCancelled once the operation was cancelled, and
    Huey's TaskTimeout once the attempt ran past its ``timeout``.
    """

    operation_id: int
    operation_name: str
    owner_id: int | None
    id: int
    branch: str
    position: int
    name: str
    attempt: int
    globals_: InitVar[Mapping[str, Any]]
    action_refs: list[ActionRef]
    start_at: dt.datetime | None = None
    #: Attempts left after this one, and the seconds before the next: what a failure of this
    #: run records (read when the run was claimed; the lease keeps them true).
    attempts_left: int = 0
    retry_delay: float = 0.0
    #: Seconds this attempt may run (None: no limit), from when it was claimed.
    timeout: float | None = None
    #: When this attempt was claimed (its action's ``started_at``): what its attempt row records.
    started_at: dt.datetime | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    jump_target: ActionRef | None = None
    #: Set by this process's heartbeat: the operation was cancelled; another run took the lease.
    cancel_requested: bool = field(default=False, init=False)
    lease_lost: bool = field(default=False, init=False)

    def __post_init__(self, globals_: Mapping[str, Any]) -> None:
        self._globals = copy.deepcopy(dict(globals_))
        self.deadline = time.monotonic() + self.timeout if self.timeout else None

    @property
    def timed_out(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def check_cancelled(self) -> None:
        """Raise OperationCancelled if the operation was cancelled (seen within
        ``BEACON_CANCEL_POLL`` seconds), TaskTimeout if this attempt ran past its timeout."""
        if self.cancel_requested:
            raise OperationCancelled(f"operation {self.operation_id} was cancelled")
        if self.timed_out:
            raise TaskTimeout(f"{self.short_name} ran past its timeout of {self.timeout:g} s")

    @property
    def short_name(self) -> str:
        return short_name(self.name)

    @property
    def action_id(self) -> int:
        return self.id

    @property
    def actions(self) -> list[ActionRef]:
        """The operation's actions as they were when this run was claimed, in order."""
        return list(self.action_refs)

    @property
    def idempotency_key(self) -> str:
        """Stable across attempts of this action: ``"<operation id>:<action id>"``."""
        return f"{self.operation_id}:{self.id}"

    @property
    def globals(self) -> dict[str, Any]:
        """A copy of the globals as this action sees them (its own writes included)."""
        return copy.deepcopy({**self._globals, **self.changes})

    def get(self, key: str, default: Any = None) -> Any:
        """A global value (a copy: change it through ``set``)."""
        if key in self.changes:
            return copy.deepcopy(self.changes[key])
        return copy.deepcopy(self._globals.get(key, default))

    def set(self, key: str, value: Any) -> None:
        """Write a global; it is saved when this action completes. Value must be JSON."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"global key must be a non-empty string, got {key!r}")
        self.changes[key] = check_json({key: value}, "globals")[key]

    def jump_to(self, pointer: str | Mapping[str, Any]) -> None:
        """Next run the first action of a branch (``"red"``), or a given action of a branch
        (``{"main": send_receipt}``, the action as a callable or an import path).

        An unknown branch or action, or one already completed, raises ValueError naming it.
        The last jump wins; it applies only if this action completes.
        """
        if isinstance(pointer, str):
            branch, wanted = pointer, None
        elif isinstance(pointer, Mapping) and len(pointer) == 1:
            ((branch, target),) = pointer.items()
            wanted = import_path(target)
        else:
            raise ValueError(
                f"jump_to takes a branch name or {{branch: action}}, got {pointer!r:.80}"
            )
        on_branch = sorted(
            (a for a in self.action_refs if a.branch == branch), key=lambda a: a.position
        )
        if not on_branch:
            raise ValueError(f"jump_to: unknown branch {branch!r}")
        if wanted is None:
            candidates = on_branch[:1]
        else:
            candidates = [a for a in on_branch if a.name == wanted]
            if not candidates:
                raise ValueError(f"jump_to: no action {wanted!r} on branch {branch!r}")
        if [a.id for a in candidates] == [self.id]:
            raise ValueError(f"jump_to: {self.name} cannot jump to itself")
        open_ = [a for a in candidates if a.state != COMPLETED and a.id != self.id]
        if not open_:
            label = wanted or f"the first action of {branch!r}"
            raise ValueError(f"jump_to: {label} on branch {branch!r} is already completed")
        self.jump_target = open_[0]

    def __repr__(self) -> str:
        return f"<ActionContext op={self.operation_id} action={self.id} {self.name}>"
