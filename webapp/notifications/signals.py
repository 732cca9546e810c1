"""Signals of the notification domain (blinker, in-process)."""

from blinker import Namespace

_signals = Namespace()

#: Sent after a user's read marks or cursor changed and committed, with ``user_id``.
read_state_changed = _signals.signal("read-state-changed")
