"""Following the Activity log by id, when ids may commit out of order.

On PostgreSQL an id is taken at INSERT and becomes visible at COMMIT, so a reader may see id
11 before id 10. ``LogTail`` remembers every id it skipped over (a *gap*). It releases rows in
id order up to the first gap younger than ``gap_wait``; once a gap is older than that, rows
behind it are released anyway, and the gap stays watched until ``gap_ttl``, so a very late row
is still released (out of order, flagged ``late``). A rolled-back id is a gap that never fills:
it costs one ``gap_wait`` and then expires.

Invariant: every id at or below ``horizon`` has been released, or is a gap (watched or
expired). Pure bookkeeping, no I/O: the fan-out does the reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

#: Gaps watched at most at once (a huge rolled-back batch must not turn into a huge query).
MAX_GAPS = 1000
#: How often gaps older than ``gap_wait`` are re-read (young ones: every step).
OLD_GAP_INTERVAL = 1.0


class LogTail:
    """Which ids of the log were read, which are missing, and which rows may go out now."""

    def __init__(
        self,
        start: int,
        *,
        gap_wait: float,
        gap_ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.read_max = start
        self.horizon = start
        self.gap_wait = gap_wait
        self.gap_ttl = gap_ttl
        self.clock = clock
        self.gaps: dict[int, float] = {}
        self.buffer: dict[int, Any] = {}
        self._old_checked = 0.0

    def add(self, rows: Iterable[Any]) -> None:
        """Rows read with ``id > read_max``, in id order; the ids skipped become gaps."""
        now = self.clock()
        for row in rows:
            if row.id <= self.read_max:
                continue
            for missing in range(max(self.read_max + 1, row.id - MAX_GAPS), row.id):
                self.gaps[missing] = now
            self.read_max = row.id
            self.buffer[row.id] = row
        if len(self.gaps) > MAX_GAPS:
            for gap in sorted(self.gaps)[: len(self.gaps) - MAX_GAPS]:
                del self.gaps[gap]

    def due_gaps(self) -> list[int]:
        """Gap ids to look for now: young ones always, older ones every OLD_GAP_INTERVAL."""
        now = self.clock()
        for gap in [g for g, seen in self.gaps.items() if now - seen > self.gap_ttl]:
            del self.gaps[gap]
        check_old = now - self._old_checked >= OLD_GAP_INTERVAL
        if check_old:
            self._old_checked = now
        return sorted(g for g, seen in self.gaps.items() if check_old or now - seen < self.gap_wait)

    def fill(self, rows: Iterable[Any]) -> list[Any]:
        """Rows found for gap ids; returns those that are late (already behind the horizon)."""
        late = []
        for row in sorted(rows, key=lambda r: r.id):
            if self.gaps.pop(row.id, None) is None:
                continue
            if row.id > self.horizon:
                self.buffer[row.id] = row
            else:
                late.append(row)
        return late

    def take(self) -> list[Any]:
        """Buffered rows that may be released now, in id order; advances the horizon."""
        now = self.clock()
        blocking = [
            g for g, seen in self.gaps.items() if g > self.horizon and now - seen < self.gap_wait
        ]
        limit = min(blocking) if blocking else None
        out = []
        for row_id in sorted(self.buffer):
            if limit is not None and row_id > limit:
                break
            out.append(self.buffer.pop(row_id))
            self.horizon = row_id
        return out

    def unseen_at_or_below(self, upto: int) -> list[int]:
        """Gap ids at or below ``upto``: a backlog must leave them to the live path."""
        return sorted(g for g in self.gaps if g <= upto)

    @property
    def waiting(self) -> bool:
        """True while a gap is young enough to hold rows back (poll soon)."""
        now = self.clock()
        return any(now - seen < self.gap_wait for seen in self.gaps.values()) or bool(self.buffer)
