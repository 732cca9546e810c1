"""Measuring: warm-up, repeats, medians and percentiles, the machine, and the results table."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))


def median_of(fn: Callable[[], float], repeats: int = REPEATS, warmup: int = 1) -> float:
    """Run ``fn`` (which returns one measurement) warm-up times, then ``repeats`` times."""
    for _ in range(warmup):
        fn()
    return statistics.median(fn() for _ in range(repeats))


def paired(
    baseline: Callable[[], float],
    beacon: Callable[[], float],
    repeats: int = REPEATS,
    warmup: int = 1,
) -> tuple[float, float]:
    """Medians of (baseline, beacon) measured in alternation, so that load from other work on
    a shared machine falls on both sides alike instead of on whichever ran second."""
    for _ in range(warmup):
        baseline()
        beacon()
    ours, theirs = [], []
    for i in range(repeats):
        # Alternate which side goes first as well: a slow patch hits neither side twice.
        if i % 2:
            ours.append(beacon())
            theirs.append(baseline())
        else:
            theirs.append(baseline())
            ours.append(beacon())
    return statistics.median(theirs), statistics.median(ours)


def rate(count: int, fn: Callable[[], None]) -> float:
    """Operations per second of ``fn``, which performs ``count`` operations."""
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def latencies_ms(fn: Callable[[], None], count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


@dataclass
class Row:
    figure: str
    backend: str
    what: str
    beacon: float
    baseline: float
    unit: str
    goal: str
    passed: bool
    higher_is_better: bool = True
    notes: str = ""

    @property
    def ratio(self) -> float:
        return self.beacon / self.baseline if self.baseline else float("nan")


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        mark = "ok" if row.passed else "MISSED"
        print(
            f"{row.figure} {row.backend:<10} {row.what:<58} beacon {row.beacon:>10.3f} "
            f"baseline {row.baseline:>10.3f} {row.unit:<10} ratio {row.ratio:6.2f}  "
            f"goal {row.goal}: {mark}",
            flush=True,
        )
        return row


def machine() -> list[str]:
    lines = [
        f"- CPU: {os.cpu_count()} cores ({platform.machine()}), {platform.system()} "
        f"{platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
    ]
    try:
        with open("/proc/meminfo") as f:
            total_kb = int(f.readline().split()[1])
        lines.append(f"- Memory: {total_kb / 1024 / 1024:.0f} GiB")
    except OSError:
        pass
    return lines


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def write_results(
    results: Results,
    path: Path,
    services: list[str],
    seconds: float,
    *,
    load: tuple[str, str] = ("", ""),
    baselines: list[str] = (),
    fixes: list[str] = (),
    misses: dict[str, str] | None = None,
) -> None:
    met = sum(r.passed for r in results.rows)
    out = [
        "# Beacon benchmark results",
        "",
        "Written by `make bench` (`python -m bench.run`). Every figure is the median of "
        f"{REPEATS} repeats after a warm-up, Beacon and its baseline measured in alternation "
        "in the same run on the same machine; each ratio is Beacon ÷ the raw baseline.",
        "",
        "## Machine",
        "",
        *machine(),
        *services,
        f"- Whole run: {seconds:.0f} s",
        f"- Load average (1 / 5 / 15 min) at the start: {load[0]}; at the end: {load[1]}. "
        "The machine is shared: other engineers' test suites ran during the measurement, so "
        "absolute numbers are noisy (the alternation spreads that noise over both sides). "
        "Between runs on this machine ratios moved by up to about 20 %: a figure that close "
        "to its goal has met it in some runs and missed it in others.",
        "",
        "## Figures",
        "",
        f"{met} of {len(results.rows)} rows meet their goal.",
        "",
        "| # | backend | what | Beacon | baseline | unit | ratio | goal | met |",
        "|---|---|---|---:|---:|---|---:|---|---|",
    ]
    for r in results.rows:
        out.append(
            f"| {r.figure} | {r.backend} | {r.what} | {r.beacon:,.3f} | {r.baseline:,.3f} | "
            f"{r.unit} | {r.ratio:.2f} | {r.goal} | {'yes' if r.passed else '**no**'} |"
        )
    notes = [f"{r.figure} {r.backend}, {r.what}: {r.notes}" for r in results.rows if r.notes]
    notes += results.notes
    if notes:
        out += ["", "## Notes from this run", "", *[f"- {n}" for n in notes]]
    if baselines:
        out += ["", "## What each baseline is", "", *[f"- {b}" for b in baselines]]
    if fixes:
        out += ["", "## What the figures led to (before → after)", "", *fixes]
    missed = [
        f"- {text}"
        for figure, text in (misses or {}).items()
        if any(r.figure == figure and not r.passed for r in results.rows)
    ]
    if missed:
        out += ["", "## Goals missed in this run, and why", "", *missed]
    path.write_text("\n".join(out) + "\n")


@contextmanager
def temp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="beacon-bench-") as d:
        yield Path(d)
