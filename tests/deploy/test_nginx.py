"""The shipped nginx site in front of two web processes: static files from nginx itself,
WebSockets spread over both processes, and long-polling kept on one process per client
(without that, a polling session's requests would land on a process that does not know it)."""

from __future__ import annotations

import time

import pytest
import requests
import socketio

from tests.notifications.conftest import record
from tests.reliability.cluster import WebProcess, login
from tests.support.live import NAMESPACE, SocketClient
from tests.support.nginx import Nginx
from tests.support.queue import wait_until
from tests.support.services import free_port

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def site(app, backend, processes, tmp_path):
    """nginx with the shipped site in front of two gunicorn web processes."""
    env = {**backend.env(), "BEACON_TRUSTED_PROXIES": "1"}
    ports = [free_port(), free_port()]
    webs = [
        WebProcess(processes, env, tmp_path / f"web{i}.log", port=p) for i, p in enumerate(ports)
    ]
    for web in webs:
        web.wait_ready()
    return Nginx(processes, tmp_path / "nginx", ports).wait_ready(), webs


def cookie(session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def test_static_files_come_from_nginx_and_pages_from_beacon(site):
    nginx, _ = site
    css = requests.get(f"{nginx.url}/static/css/beacon.css", timeout=10)
    assert css.status_code == 200 and css.headers["Server"].startswith("nginx")
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    page = requests.get(f"{nginx.url}/login", timeout=10)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert len(page.headers["X-Request-ID"]) == 32  # nginx's $request_id, kept by Beacon


def test_websockets_are_spread_over_both_processes(site, subscriber):
    nginx, webs = site
    idle = [web.threads() for web in webs]
    sockets = [
        SocketClient().connect(nginx.url, cookie(login(nginx.url, subscriber))) for _ in range(6)
    ]
    try:
        wait_until(lambda: all(s.of("unread") for s in sockets), message="six sessions")
        held = [web.threads() - before for web, before in zip(webs, idle, strict=True)]
        assert all(n >= 2 for n in held), f"threads holding sockets per process: {held}"
    finally:
        for s in sockets:
            s.disconnect()


def test_a_long_polling_client_keeps_its_session_and_gets_its_activities(app, site, subscriber):
    nginx, _ = site
    received = []
    client = socketio.Client(reconnection=False)
    client.on("activity", lambda item: received.append(item["id"]), namespace=NAMESPACE)
    client.connect(
        nginx.url,
        headers={"Cookie": cookie(login(nginx.url, subscriber))},
        namespaces=[NAMESPACE],
        transports=["polling"],
        wait_timeout=10,
    )
    try:
        ids = []
        for _ in range(5):  # several polling rounds, each a request through nginx
            ids.append(record(app, user_id=subscriber.id))
            time.sleep(0.3)
        wait_until(lambda: received == ids, timeout=20, message=f"{ids} by polling")
        assert client.connected and client.transport() == "polling"
    finally:
        client.disconnect()
