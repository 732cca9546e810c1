"""Schemathesis against the JSON API, as a logged-in subscriber: every operation of
``/api/openapi.json``, with requests that follow the document and requests that break it.

No request gets a 5xx; every 4xx is JSON ``{"error": "..."}``; every response the document
describes conforms to it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth

from webapp.api.openapi import document

#: Requests per operation and mode: enough to reach the odd corners, quick enough for make test.
EXAMPLES = 100


def cases() -> list[tuple[str, str, GenerationMode]]:
    """(path, method, mode) of every operation; invalid requests only where there is input."""
    out = []
    for path, item in document()["paths"].items():
        for method, spec in item.items():
            out.append((path, method.upper(), GenerationMode.POSITIVE))
            if spec.get("parameters") or spec.get("requestBody"):
                out.append((path, method.upper(), GenerationMode.NEGATIVE))
    return sorted(out, key=lambda c: (c[0], c[1], c[2].value))


fuzzed: dict[str, int] = {}


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("path", "method", "mode"), cases())
def test_fuzzed_requests_get_no_5xx_and_json_errors(app, subscriber_client, path, method, mode):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]
    # The subscriber's session; the test client's own cookie jar would drop a Cookie header.
    cookies = {"session": subscriber_client.get_cookie("session").value}
    headers = {"X-CSRFToken": subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]}
    key = f"{method} {path} {mode.value}"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: CI is repeatable
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case) -> None:
        response = case.call(headers=headers, cookies=cookies)
        fuzzed[key] = fuzzed.get(key, 0) + 1
        where = f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.200}"
        assert response.status_code < 500, f"{where} -> {response.status_code}"
        if 400 <= response.status_code < 500:
            body = response.json()
            assert isinstance(body, dict) and set(body) == {"error"}, f"{where} -> {body}"
            assert isinstance(body["error"], str) and body["error"], where
        if mode is GenerationMode.POSITIVE:
            # ignored_auth would resend without the generated auth, but ours is the test
            # client's own session, sent with every request (anonymous access: test_access).
            case.validate_response(response, excluded_checks=[ignored_auth])

    fuzz()
    print(f"\n[fuzz] {key}: {fuzzed[key]} requests")
