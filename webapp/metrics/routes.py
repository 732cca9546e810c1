"""``GET /metrics`` and who may read it.

* A request with an ``Authorization`` header is judged by it alone: ``Bearer <token>`` equal
  to ``BEACON_METRICS_TOKEN`` (compared in constant time) is let in; anything else, or any
  token while none is configured, is a 401.
* Without one, the login decides: admins and viewers read it (viewers read every admin page,
  and this shows no more than the admin overview and queues pages do: counts and timings, no
  arguments, no values); a subscriber gets 403, anonymous 401.

Every refusal is JSON ``{"error"}``; the answer is never cached (``Cache-Control:
no-store``, set on every response by ``webapp.security``).
"""

from __future__ import annotations

import hmac

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from prometheus_client.exposition import choose_encoder

from webapp.errors import error_response
from webapp.metrics import bp

CHALLENGE = 'Bearer realm="beacon-metrics"'


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus text exposition of this deployment's queues, work and latencies."""
    refusal = refused()
    if refusal is not None:
        return refusal
    # The format the scraper asks for: OpenMetrics for Prometheus, else the classic text.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(current_app.extensions["beacon.metrics"])
    return body, 200, {"Content-Type": content_type}


def refused() -> ResponseReturnValue | None:
    """The refusal for this request, or None when it may read the metrics."""
    if "Authorization" in request.headers:
        if token_matches():
            return None
        return _unauthorized("invalid metrics token")
    if not current_user.is_authenticated:
        return _unauthorized("log in as an admin or send the metrics bearer token")
    if not current_user.sees_admin:
        return error_response(403, "admins only")
    return None


def token_matches() -> bool:
    """The request's bearer token is the configured one (constant time)."""
    expected = current_app.config.get("BEACON_METRICS_TOKEN")
    # Split here rather than by ``request.authorization``, which reads a token with an "="
    # inside it as parameters and drops it.
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if not expected or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


def _unauthorized(message: str) -> ResponseReturnValue:
    response = error_response(401, message)
    response.headers["WWW-Authenticate"] = CHALLENGE
    return response
