"""Delivery latency: how long an activity takes from its creation to its emit to a browser.

Each fan-out feeds a Prometheus histogram of its own (in no registry: ``/metrics`` reads it
from the fan-out of its app), one observation per ``activity`` event emitted live. A resume's
backlog is left out: it is a page catching up on what it missed, not the latency of delivery.
The clock is read once per batch, after its emits; a row's ``created_at`` comes from the
process that recorded it, so clocks apart between machines show here (a negative gap is 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from prometheus_client import Histogram

from webapp.notifications.subscribers import Send

NAME = "beacon_delivery_latency_seconds"
#: Upper bounds (seconds): a live delivery takes milliseconds; a slow one, seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def latency_histogram() -> Histogram:
    """A fresh histogram of delivery latencies, registered nowhere."""
    return Histogram(
        NAME,
        "Seconds from an activity's creation to its emit to a Socket.IO session (live "
        "deliveries of this web process).",
        buckets=BUCKETS,
        registry=None,
    )


def observe_deliveries(histogram: Histogram, sends: list[Send], rows: Iterable[Any]) -> None:
    """Observe the latency of every ``activity`` send of a batch of these rows, emitted just
    now."""
    created = {row.id: row.created_at for row in rows}
    now = dt.datetime.now(dt.UTC)
    for _sid, event, payload in sends:
        if event == "activity":
            at = created.get(payload["id"])
            if at is not None:
                histogram.observe(max((now - at).total_seconds(), 0.0))
