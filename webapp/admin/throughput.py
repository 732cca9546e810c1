"""The overview's throughput charts: per subject (jobs, operations, events, periodic tasks)
a bar per minute or hour, stacked completed / failed / retried, as SVG geometry the template
draws (no JavaScript, no chart library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from webapp.activity.throughput import KINDS, SUBJECTS, throughput
from webapp.admin.charts import Bar, DayLabel

BARS_HEIGHT = 48
LABEL_HEIGHT = 16
WIDTH = 360  # every chart as wide, whatever its range


@dataclass
class ThroughputChart:
    """One subject's bars, oldest first, with its totals per kind."""

    title: str
    totals: dict[str, int]
    width: int = WIDTH
    height: int = BARS_HEIGHT + LABEL_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    labels: list[DayLabel] = field(default_factory=list)

    @property
    def summary(self) -> str:
        counts = ", ".join(f"{n} {kind}" for kind, n in self.totals.items())
        return f"{self.title}: {counts}"


def build_throughput_chart(
    title: str, starts: list[dt.datetime], per_kind: dict[str, list[int]], unit: str
) -> ThroughputChart:
    """Stacked bars (completed at the bottom) scaled to the busiest bucket."""
    chart = ThroughputChart(title, {kind: sum(per_kind[kind]) for kind in KINDS})
    slot = WIDTH // len(starts)
    top = max([sum(per_kind[k][i] for k in KINDS) for i in range(len(starts))] + [1])
    for i, start in enumerate(starts):
        y = BARS_HEIGHT
        when = start.strftime("%Y-%m-%d %H:%M UTC")
        for kind in KINDS:
            count = per_kind[kind][i]
            if not count:
                continue
            height = max(round(BARS_HEIGHT * count / top), 1)
            y -= height
            chart.bars.append(
                Bar(i * slot, y, max(slot - 1, 1), height, kind, f"{when}: {count} {kind}")
            )
        every = 10 if unit == "minute" else 4  # a label every 10 minutes / 4 hours
        if i % every == 0:
            chart.labels.append(DayLabel(i * slot + 15, chart.height - 3, start.strftime("%H:%M")))
    return chart


def throughput_charts(range_: str, now: dt.datetime | None = None) -> list[ThroughputChart]:
    """The chart of every subject over ``range_`` ("hour" or "day"), from one query."""
    starts, counts = throughput(range_, now)
    unit = "minute" if range_ == "hour" else "hour"
    return [
        build_throughput_chart(title, starts, counts[subject], unit)
        for subject, title in SUBJECTS.items()
    ]
