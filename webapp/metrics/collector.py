"""What ``/metrics`` shows, read at scrape time from where each thing lives.

* The queue: Huey's own API (``webapp.consumers.queue_depth``), pending by priority and
  scheduled; the consumers by state, from their heartbeats.
* Jobs, operations and events by state: one grouped query each (the job store in use: the
  ``job_status`` table or Redis).
* Job and action durations: from their stored start and end times, over the last
  ``BEACON_METRICS_WINDOW`` seconds, counted into buckets by the database. Every web process
  reads the same rows, so each reports the same truth; the library's multiprocess mode would
  only add files to share what the database already holds (and each gunicorn here runs one
  worker). These histograms are of a window, not counters since the process started:
  ``histogram_quantile`` on them directly, never on their ``rate()``.
* Delivery latency: the histogram this process's fan-out feeds (its own sessions only:
  sum it over the web processes).

A source that cannot be read (Redis restarting, the database away) is left out of one scrape
and shows as ``beacon_metrics_source_up{source="..."} 0``; the others still answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator

from flask import Flask
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from webapp.consumers import ALIVE, GONE, STOPPED, consumer_list, queue_depth
from webapp.database import utcnow
from webapp.durations import Distribution
from webapp.events import event_counts
from webapp.extensions import db
from webapp.jobs import get_store
from webapp.notifications import fanout_for
from webapp.operations.durations import action_durations
from webapp.operations.queries import state_counts

log = logging.getLogger(__name__)

Families = Iterable[Metric]


class BeaconCollector(Collector):
    """Reads every source of one app at each scrape (inside the scrape's request)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        sources: dict[str, Callable[[], Families]] = {
            "queue": queue,
            "consumers": consumers,
            "database": self.database,
            "jobs": self.jobs,
        }
        up = GaugeMetricFamily(
            "beacon_metrics_source_up",
            "1 when this scrape could read the source, 0 when it could not.",
            labels=["source"],
        )
        for name, read in sources.items():
            try:
                families = list(read())
            except Exception:
                log.exception("metrics: could not read %s", name)
                db.session.rollback()  # a failed statement leaves the transaction unusable
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up
        fanout = fanout_for(self.app)
        if fanout is not None:
            yield from fanout.latency.collect()

    def since(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=float(self.app.config["BEACON_METRICS_WINDOW"]))

    def window_help(self, what: str) -> str:
        window = float(self.app.config["BEACON_METRICS_WINDOW"])
        return f"Seconds {what}, of those completed in the last {window:g} s."

    def database(self) -> Families:
        operations = gauge("beacon_operations", "Operations by state.", ["state"])
        for state, count in state_counts().items():
            operations.add_metric([state], count)
        events = gauge("beacon_events", "Events by state and priority.", ["state", "priority"])
        for state, by_priority in event_counts()["by_status_priority"].items():
            for priority, count in by_priority.items():
                events.add_metric([state, priority], count)
        durations = action_durations(self.since())
        doc = self.window_help("an action ran (its last attempt's start to its completion)")
        actions = histogram("beacon_action_duration_seconds", doc, "action", durations)
        return [operations, events, actions]

    def jobs(self) -> Families:
        summary = get_store(self.app).summary(self.since())
        jobs = gauge("beacon_jobs", "Tracked jobs by state (unexpired statuses).", ["state"])
        for state, count in summary.counts.items():
            jobs.add_metric([state], count)
        doc = self.window_help("a job took (its first start to its end)")
        return [jobs, histogram("beacon_job_duration_seconds", doc, "task", summary.durations)]


def queue() -> Families:
    depth = queue_depth()
    pending = GaugeMetricFamily(
        "beacon_queue_pending", "Tasks waiting in the Huey queue.", value=depth.pending
    )
    doc = (
        "Tasks waiting in the Huey queue by priority (of the first ones only when the queue is "
        "deeper than the sample: then they sum to less than beacon_queue_pending)."
    )
    by_priority = gauge("beacon_queue_depth", doc, ["priority"])
    for priority, count in depth.by_priority.items():
        by_priority.add_metric([priority], count)
    scheduled = GaugeMetricFamily(
        "beacon_queue_scheduled",
        "Tasks scheduled for later (retries after a delay, ETAs).",
        value=depth.scheduled,
    )
    return [pending, by_priority, scheduled]


def consumers() -> Families:
    counts = dict.fromkeys((ALIVE, GONE, STOPPED), 0)
    for view in consumer_list():
        counts[view.state] = counts.get(view.state, 0) + 1
    family = gauge(
        "beacon_consumers", "Consumer processes heard from in the last day, by state.", ["state"]
    )
    for state, count in counts.items():
        family.add_metric([state], count)
    return [family]


def gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def histogram(
    name: str, documentation: str, label: str, distributions: dict[str, Distribution]
) -> HistogramMetricFamily:
    """A histogram family with one series per key of ``distributions``."""
    family = HistogramMetricFamily(name, documentation, labels=[label])
    for key, dist in sorted(distributions.items()):
        buckets = [
            (str(float(b)), float(n)) for b, n in zip(dist.bounds, dist.buckets, strict=True)
        ]
        family.add_metric([key], [*buckets, ("+Inf", float(dist.count))], dist.total)
    return family
