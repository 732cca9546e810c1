"""Signals of the Operations domain."""

from __future__ import annotations

import logging

from blinker import Namespace

log = logging.getLogger(__name__)

_signals = Namespace()

#: Sent after every committed change of an operation's state, in the process that made it:
#: ``operation_changed.send(op_id, state=..., name=...)``; receivers take ``(op_id, **kw)``.
operation_changed = _signals.signal("operation-changed")


def announce(op_id: int, state: str, name: str) -> None:
    """Tell receivers (live admin pages) that an operation changed; call after commit.

    A failing receiver is logged, never raised: the change is committed and the operation
    must go on (an exception here would stop the runner before it runs the action).
    """
    for receiver in operation_changed.receivers_for(op_id):
        try:
            receiver(op_id, state=state, name=name)
        except Exception:
            log.exception("operation_changed receiver %r failed for operation %s", receiver, op_id)
