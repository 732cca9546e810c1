"""The operation timeline: every attempt of every action as a bar on one time axis, a lane
per action, beside the branch diagram (where the time went). Pure geometry: the template
draws it as SVG (no JavaScript, no chart library), and a table of the same attempts below.

The finished attempts come from ``operation_attempt``; an attempt still running is its action
row (``started_at``, ``lease_holder``), drawn up to now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from webapp.database import utcnow
from webapp.operations.models import RUNNING
from webapp.operations.queries import OperationDetail

LABEL_WIDTH = 150
PLOT_WIDTH = 340
LANE_HEIGHT = 26
BAR_HEIGHT = 14
MARGIN = 10
AXIS_HEIGHT = 22
MIN_BAR = 3
TICKS = 4
LABEL_CHARS = 20


def duration_text(seconds: float) -> str:
    """A duration as people read it: ``12 ms``, ``1.25 s``, ``3 min 4 s``, ``2 h 5 min``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def consumer_of(holder: str | None) -> str:
    """The consumer of a lease token ``host:pid:thread:nonce``: ``host:pid``."""
    if not holder:
        return "—"
    parts = holder.rsplit(":", 2)
    return parts[0] if len(parts) == 3 else holder


@dataclass(frozen=True)
class AttemptBar:
    """One attempt: its times, outcome (``running`` while it runs) and where it is drawn."""

    action_id: int
    action: str  # branch / short name
    attempt: int
    outcome: str
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None while it runs
    seconds: float
    holder: str | None
    error: str | None
    x: float
    y: int
    width: float

    @property
    def consumer(self) -> str:
        return consumer_of(self.holder)

    @property
    def duration(self) -> str:
        return duration_text(self.seconds)

    @property
    def classes(self) -> str:
        return f"attempt attempt-{self.outcome}"

    @property
    def title(self) -> str:
        text = f"{self.action}, attempt {self.attempt}: {self.outcome}, {self.duration}"
        text += f", on {self.consumer}"
        return f"{text}: {self.error}" if self.error else text


@dataclass(frozen=True)
class Lane:
    action_id: int
    label: str
    title: str
    y: int


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass
class Timeline:
    width: int
    height: int
    started_at: dt.datetime | None = None
    seconds: float = 0.0
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    lanes: list[Lane] = field(default_factory=list)
    bars: list[AttemptBar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{len(self.bars)} attempts over {duration_text(self.seconds)}"


@dataclass(frozen=True)
class _Span:
    action_id: int
    attempt: int
    outcome: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    holder: str | None
    error: str | None


def _spans(detail: OperationDetail) -> list[_Span]:
    spans = [
        _Span(a.action_id, a.attempt, a.outcome, a.started_at, a.ended_at, a.holder, a.error)
        for a in detail.attempts
    ]
    spans += [
        _Span(a.id, a.attempts_count, RUNNING, a.started_at, None, a.lease_holder, None)
        for branch in detail.branches
        for a in branch.actions
        if a.state == RUNNING and a.started_at is not None
    ]
    return sorted(spans, key=lambda s: s.started_at)


def build_timeline(detail: OperationDetail, now: dt.datetime | None = None) -> Timeline:
    """Lay out every attempt of one operation on one time axis, a lane per action."""
    spans = _spans(detail)
    actions = {a.id: a for branch in detail.branches for a in branch.actions}
    lanes = list(dict.fromkeys(s.action_id for s in spans))  # by first attempt
    timeline = Timeline(
        width=LABEL_WIDTH + PLOT_WIDTH + 2 * MARGIN,
        height=AXIS_HEIGHT + len(lanes) * LANE_HEIGHT + MARGIN,
    )
    if not spans:
        return timeline
    now = now or utcnow()
    start = spans[0].started_at
    end = max(s.ended_at or now for s in spans)
    total = max((end - start).total_seconds(), 0.001)
    timeline.started_at, timeline.seconds = start, (end - start).total_seconds()
    scale = PLOT_WIDTH / total
    left = LABEL_WIDTH + MARGIN
    for i, action_id in enumerate(lanes):
        action = actions[action_id]
        name = f"{action.branch} / {action.short_name}"
        label = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
        timeline.lanes.append(Lane(action_id, label, name, AXIS_HEIGHT + i * LANE_HEIGHT))
    rows = {action_id: i for i, action_id in enumerate(lanes)}
    for s in spans:
        seconds = max(((s.ended_at or now) - s.started_at).total_seconds(), 0.0)
        x = left + (s.started_at - start).total_seconds() * scale
        action = actions[s.action_id]
        timeline.bars.append(
            AttemptBar(
                action_id=s.action_id,
                action=f"{action.branch} / {action.short_name}",
                attempt=s.attempt,
                outcome=s.outcome,
                started_at=s.started_at,
                ended_at=s.ended_at,
                seconds=seconds,
                holder=s.holder,
                error=s.error,
                x=round(x, 1),
                y=AXIS_HEIGHT + rows[s.action_id] * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) // 2,
                width=round(max(seconds * scale, MIN_BAR), 1),
            )
        )
    timeline.ticks = [
        Tick(round(left + PLOT_WIDTH * i / TICKS, 1), "+" + duration_text(total * i / TICKS))
        for i in range(TICKS + 1)
    ]
    return timeline
