"""Who may read /metrics: admins and viewers by their login, anyone with the bearer token;
everyone else a JSON 401 or 403. The answer is never cached."""

from __future__ import annotations

import pytest
from flask import Flask
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)

from tests.conftest import login, make_user
from tests.metrics.scrape import scrape
from webapp import create_app

pytestmark = pytest.mark.backends("sqlite")

TOKEN = "s3cret-scraper-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_METRICS_TOKEN": TOKEN}


def refusal(resp, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()["error"]


def test_anonymous_gets_a_json_401_with_a_bearer_challenge(client):
    resp = client.get("/metrics")
    assert "log in" in refusal(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_subscriber_gets_a_json_403(subscriber_client):
    assert refusal(subscriber_client.get("/metrics"), 403) == "admins only"


def test_a_wrong_token_gets_a_json_401(client):
    resp = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert refusal(resp, 401) == "invalid metrics token"


def test_the_token_in_another_scheme_is_refused(client):
    assert refusal(client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}), 401)


def test_a_wrong_token_is_refused_even_with_an_admin_login(admin_client):
    resp = admin_client.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong"})
    assert refusal(resp, 401) == "invalid metrics token"


@pytest.mark.parametrize("app_settings", [{}])
def test_any_token_is_refused_when_none_is_configured(client):
    assert refusal(client.get("/metrics", headers=BEARER), 401) == "invalid metrics token"


@pytest.mark.parametrize("app_settings", [{}])
def test_an_admin_reads_them_when_no_token_is_configured(admin_client):
    assert "beacon_jobs" in scrape(admin_client)


def test_the_right_token_reads_them_without_a_login(client):
    assert "beacon_queue_pending" in scrape(client, headers=BEARER)


def test_the_token_beside_a_subscriber_login_reads_them(subscriber_client):
    assert "beacon_operations" in scrape(subscriber_client, headers=BEARER)


def test_an_admin_reads_them(admin_client):
    assert "beacon_events" in scrape(admin_client)


def test_a_viewer_reads_them_as_every_admin_page(app: Flask):
    viewer = login(app.test_client(), make_user(app, "viewer@example.com", role="viewer"))
    assert "beacon_jobs" in scrape(viewer)


def test_the_answer_is_prometheus_text_never_cached(client):
    resp = client.get("/metrics", headers=BEARER)
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert resp.headers["Cache-Control"] == "no-store"


def test_a_refusal_is_never_cached_either(client):
    assert client.get("/metrics").headers["Cache-Control"] == "no-store"


def test_a_token_under_16_characters_stops_the_app(backend):
    with pytest.raises(ValueError, match="BEACON_METRICS_TOKEN"):
        create_app({**backend.settings, "BEACON_METRICS_TOKEN": "short"})


def test_every_metrics_route_is_get_only_so_its_csrf_exemption_is_safe(app: Flask):
    methods = {
        method
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("metrics.")
        for method in rule.methods
    }
    assert methods == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("app_settings", [{"BEACON_METRICS_TOKEN": "abc=def/ghi+jkl==0123"}])
def test_a_token_with_equals_signs_inside_is_read_whole(client):
    assert "beacon_jobs" in scrape(
        client, headers={"Authorization": "Bearer abc=def/ghi+jkl==0123"}
    )


def test_a_scraper_asking_for_openmetrics_gets_openmetrics(client):
    accept = {"Accept": "application/openmetrics-text; version=1.0.0; charset=utf-8"}
    resp = client.get("/metrics", headers={**BEARER, **accept})
    assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
    names = {family.name for family in openmetrics_families(resp.get_data(as_text=True))}
    assert {
        "beacon_jobs",
        "beacon_job_duration_seconds",
        "beacon_delivery_latency_seconds",
    } <= names
