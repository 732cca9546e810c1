"""``GET /metrics``: Prometheus text exposition of the queue, the consumers, jobs, operations
and events by state, job and action durations and the delivery latency.

A blueprint of its own, beside the admin area rather than in it: the admin area sends
strangers to the login page, while a scraper has no session and must get a JSON 401, and may
come with a bearer token (``BEACON_METRICS_TOKEN``) instead of a login. It reads every domain,
so it sits in the web layer, with the admin area and the API.

Each app has a ``CollectorRegistry`` of its own (never the library's global one, which would
mix apps in one process and publish whatever else registers there), holding one collector
that reads everything at scrape time (``collector.py``).
"""

from __future__ import annotations

from flask import Blueprint, Flask
from prometheus_client import CollectorRegistry

bp = Blueprint("metrics", __name__)

#: The shortest bearer token accepted: anything shorter is guessable.
MIN_TOKEN_LENGTH = 16


def init_app(app: Flask) -> None:
    """Register ``/metrics`` and this app's registry. A token that is too short is a
    ValueError (the app does not start)."""
    from webapp.extensions import csrf
    from webapp.metrics.collector import BeaconCollector

    token = app.config.get("BEACON_METRICS_TOKEN")
    if token is not None and (not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH):
        raise ValueError(f"BEACON_METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters")
    registry = CollectorRegistry()
    registry.register(BeaconCollector(app))
    app.extensions["beacon.metrics"] = registry
    # GET only (tests/metrics check it): CSRF guards writes, and a scraper has no session.
    csrf.exempt(bp)
    app.register_blueprint(bp)


from webapp.metrics import routes  # noqa: E402,F401
