"""Signals of the Job status domain, for the notification center and anything else listening.

``job_status_changed`` is sent after every stored change of a job's status (lifecycle steps,
progress and fields, once a throttled write is actually stored; not heartbeats), in the
process that made the change (web or consumer), with one exception: writes of progress alone
that follow each other faster than ``status.PROGRESS_ANNOUNCE_EVERY`` are announced once per
interval (the latest state, by a timer if nothing else announces it first, and at once when
the job's end flushes its status). Sender: the Flask app. Keyword arguments:

* ``job``: the job's ``JobStatus.to_dict()`` as stored after the change;
* ``owner_id``: the owner's user id, or None for a job nobody owns.

Connect with ``job_status_changed.connect(receiver, sender=app)`` (or without ``sender`` for
every app). Receivers run inline: keep them quick (emit, enqueue) and never raise; an error
in a receiver is logged, not propagated. The read that builds ``job`` is made only when some
receiver is connected.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

job_status_changed = _signals.signal("job-status-changed")
