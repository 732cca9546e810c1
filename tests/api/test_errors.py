"""Every error under /api/ is JSON ``{"error": "..."}``, whatever raised it."""

from __future__ import annotations

import pytest


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/no-such-thing", 404),
        ("delete", "/api/alerts", 405),
        ("get", "/api/jobs/unknown-job", 401),
    ],
)
def test_api_errors_are_json(client, method, path, status):
    resp = client.open(path, method=method.upper())
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    assert set(resp.get_json()) == {"error"} and resp.get_json()["error"]
