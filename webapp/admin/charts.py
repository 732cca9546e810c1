"""The health page's 7-day chart: successes and failures per periodic task per day, as SVG
geometry the template draws (no JavaScript, no chart library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from webapp.activity import Activity
from webapp.activity.health import PERIODIC_SUBJECT
from webapp.database import utcnow
from webapp.extensions import db

DAYS = 7
DAY_WIDTH = 36
BAR_WIDTH = 12
BARS_HEIGHT = 48
LABEL_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    kind: str  # "ok" | "failed"
    title: str


@dataclass(frozen=True)
class DayLabel:
    x: int
    y: int
    text: str


@dataclass
class Chart:
    """One task's chart: a pair of bars (successes, failures) per day, oldest day first."""

    days: list[dt.date]
    ok: list[int]
    failed: list[int]
    width: int = DAYS * DAY_WIDTH
    height: int = BARS_HEIGHT + LABEL_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    labels: list[DayLabel] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"last {len(self.days)} days: {sum(self.ok)} succeeded, {sum(self.failed)} failed"


def last_days(now: dt.datetime, days: int = DAYS) -> list[dt.date]:
    """The ``days`` UTC dates ending today, oldest first."""
    today = now.astimezone(dt.UTC).date()
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]


def daily_outcomes(
    days: list[dt.date],
) -> dict[str, dict[dt.date, dict[bool, int]]]:
    """Successes and failures of every periodic task per UTC day, from one grouped query:
    ``{task: {day: {True: n, False: m}}}``."""
    start = dt.datetime.combine(days[0], dt.time(), tzinfo=dt.UTC)
    day = func.date(Activity.created_at)
    stmt = (
        select(Activity.subject_id, day, Activity.outcome, func.count())
        .where(
            Activity.subject_type == PERIODIC_SUBJECT,
            Activity.outcome.is_not(None),
            Activity.created_at >= start,
        )
        .group_by(Activity.subject_id, day, Activity.outcome)
    )
    counts: dict[str, dict[dt.date, dict[bool, int]]] = {}
    for task, when, outcome, count in db.session.execute(stmt):
        # SQLite's date() gives text, PostgreSQL's a date.
        when = when if isinstance(when, dt.date) else dt.date.fromisoformat(str(when))
        per_day = counts.setdefault(task, {}).setdefault(when, {True: 0, False: 0})
        per_day[bool(outcome)] += count
    return counts


def build_chart(days: list[dt.date], per_day: dict[dt.date, dict[bool, int]]) -> Chart:
    """Bar geometry for one task, scaled to its busiest day."""
    ok = [per_day.get(d, {}).get(True, 0) for d in days]
    failed = [per_day.get(d, {}).get(False, 0) for d in days]
    chart = Chart(days=days, ok=ok, failed=failed, width=len(days) * DAY_WIDTH)
    top = max([*ok, *failed, 1])
    for i, day in enumerate(days):
        left = i * DAY_WIDTH + (DAY_WIDTH - 2 * BAR_WIDTH - 2) // 2
        when = day.isoformat()
        for j, (kind, count, verb) in enumerate(
            (("ok", ok[i], "succeeded"), ("failed", failed[i], "failed"))
        ):
            # A zero still gets a 1px stub so an empty day is visibly empty, not missing.
            height = max(round(BARS_HEIGHT * count / top), 1)
            chart.bars.append(
                Bar(
                    x=left + j * (BAR_WIDTH + 2),
                    y=BARS_HEIGHT - height,
                    width=BAR_WIDTH,
                    height=height,
                    kind=kind if count else f"{kind} empty",
                    title=f"{when}: {count} {verb}",
                )
            )
        chart.labels.append(
            DayLabel(x=i * DAY_WIDTH + DAY_WIDTH // 2, y=chart.height - 3, text=day.strftime("%a"))
        )
    return chart


def health_charts(task_names: list[str], now: dt.datetime | None = None) -> dict[str, Chart]:
    """A 7-day chart for each of these periodic tasks."""
    days = last_days(now or utcnow())
    counts = daily_outcomes(days)
    return {name: build_chart(days, counts.get(name, {})) for name in task_names}
