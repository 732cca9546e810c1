"""Logs a deployment can follow: a line per request with its request id (a load balancer's,
when it sends a sensible one), the id on the response, the task a request enqueued, and JSON
lines that carry the same fields."""

from __future__ import annotations

import json
import logging

from tests.conftest import login
from webapp.logs import JsonFormatter


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "beacon.request"]


def test_every_request_gets_an_id_and_one_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="beacon.request")
    resp = client.get("/healthz")
    (line,) = request_lines(caplog)
    assert resp.headers["X-Request-ID"] == line.request_id and len(line.request_id) == 32
    assert (line.method, line.path, line.status) == ("GET", "/healthz", 200)
    assert line.ms >= 0 and line.user_id is None


def test_a_balancers_request_id_is_kept_and_a_strange_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="beacon.request")
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"}).headers["X-Request-ID"]
        == "lb-7f3a"
    )
    odd = client.get("/healthz", headers={"X-Request-ID": "<script> x"}).headers["X-Request-ID"]
    assert odd != "<script> x" and len(odd) == 32


def test_the_task_a_request_enqueues_is_logged_with_its_request_id(app, subscriber, caplog):
    caplog.set_level(logging.INFO, logger="beacon.request")
    client = login(app.test_client(), subscriber)
    resp = client.post("/demo/exports")
    enqueued = [r for r in request_lines(caplog) if getattr(r, "task", None)]
    assert len(enqueued) == 1 and enqueued[0].task == "export_activity"
    assert enqueued[0].request_id == resp.headers["X-Request-ID"] and enqueued[0].task_id


def test_json_lines_carry_the_message_and_the_fields():
    record = logging.LogRecord(
        "beacon.request", logging.INFO, __file__, 1, "GET / %s", (200,), None
    )
    record.request_id, record.status = "abc", 200
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET / 200" and entry["request_id"] == "abc"
    assert entry["level"] == "INFO" and entry["status"] == 200 and "time" in entry
