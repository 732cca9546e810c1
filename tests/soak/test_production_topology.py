"""Beacon deployed as the repository ships it, on loopback: the shipped nginx site in front of
two gunicorn web processes (deploy/gunicorn.conf.py), two ``huey_consumer`` processes with
periodic tasks on, PostgreSQL and Redis. 100 python-socketio clients and one Chromium page are
connected through nginx while the consumers record activities, and then:

1. one web process is SIGKILLed: its clients are back through nginx within 5 s;
2. both web processes are restarted, one after the other, with SIGTERM (a rolling restart);

and every activity reaches every session of its owner exactly once and in id order, and each
periodic task runs once per tick although both consumers schedule them.
"""

from __future__ import annotations

import json
import signal
import statistics
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import make_user
from tests.reliability import workload as W
from tests.reliability.cluster import WebProcess, login, scalar, visible_ids, worker_env
from tests.support.browser import chromium, log_in
from tests.support.live import ResumingClient
from tests.support.nginx import Nginx
from tests.support.queue import wait_until
from tests.support.services import free_port
from webapp.activity import Activity
from webapp.extensions import db
from webapp.periodic import PeriodicClaim

pytestmark = [pytest.mark.soak, pytest.mark.backends("pg_redis")]

USERS = 5
SESSIONS_PER_USER = 20
#: Each user's stream: this many activities, this far apart (seconds), from the consumers.
STREAM = (500, 0.12)
#: Periodic tasks due every minute: each must run once per minute, not once per consumer.
EVERY_MINUTE = ("events_sweep", "operations.reaper", "demo.health_check")


def delivery_report(received: list[int], expected: list[int]) -> str:
    """What is wrong with a delivery: ids lost, ids twice, and the first one out of order."""
    lost = sorted(set(expected) - set(received))
    twice = sorted({i for i in received if received.count(i) > 1})
    pairs = zip(received, expected, strict=False)
    first = next((n for n, (a, b) in enumerate(pairs) if a != b), None)
    around = received[first - 3 : first + 4] if first is not None else []
    return (
        f"{len(received)} received, {len(expected)} expected; lost {lost[:10]}; twice"
        f" {twice[:10]}; first difference at {first}: received {around}"
    )


def cookie_of(session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


class Page:
    """The browser session: which activities its WebSockets carried, in arrival order."""

    def __init__(self, page) -> None:
        self.ids: list[int] = []
        self.sockets = 0
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        self.sockets += 1
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        text = payload if isinstance(payload, str) else payload.decode()
        namespace = "42/notifications,"
        if text.startswith(namespace + '["activity",'):
            self.ids.append(json.loads(text[len(namespace) :])[1]["id"])


def test_the_shipped_deployment_loses_nothing_when_web_processes_die_or_restart(
    app, backend, processes, tmp_path
):
    people = [make_user(app, f"user{i}@example.com") for i in range(USERS)]
    env = {**worker_env(backend.env()), "BEACON_TRUSTED_PROXIES": "1"}
    ports = [free_port(), free_port()]
    webs = [
        WebProcess(processes, env, tmp_path / f"web{i}.log", port=p) for i, p in enumerate(ports)
    ]
    consumers_started = time.time()
    for i in range(2):
        processes.consumer(env, workers=4, log=tmp_path / f"consumer{i}.log", periodic=True)
    for web in webs:
        web.wait_ready()
    nginx = Nginx(processes, tmp_path / "nginx", ports).wait_ready()
    start = scalar(app, select(func.coalesce(func.max(Activity.id), 0)))

    clients = {
        p.id: [
            ResumingClient(start).connect(nginx.url, cookie_of(login(nginx.url, p)))
            for _ in range(SESSIONS_PER_USER)
        ]
        for p in people
    }
    every = [c for cs in clients.values() for c in cs]
    wait_until(lambda: all(c.of("unread") for c in every), timeout=60, message="100 sessions")
    threads_before = [web.threads() for web in webs]

    with chromium() as context:
        page = context.new_page()
        browser = Page(page)
        log_in(page, nginx.url, people[0])
        page.goto(f"{nginx.url}/notifications")
        page.wait_for_function("document.body.dataset.userId !== undefined")
        page.wait_for_timeout(500)

        with app.app_context():
            for p in people:
                W.stream(p.id, *STREAM)
        wait_until(lambda: all(c.ids() for c in every), timeout=60, message="the first rows")

        # 1. One web process dies: its clients come back through nginx to the other.
        processes.kill(webs[0].proc, signal.SIGKILL)
        killed_at = time.time()
        orphans = []
        wait_until(
            lambda: sum(1 for c in every if c.downs and c.downs[-1] >= killed_at) > 0,
            timeout=10,
            message=f"the killed process's clients to notice (threads {threads_before})",
        )
        page.wait_for_timeout(6000)
        orphans = [c for c in every if c.downs and c.downs[-1] >= killed_at]
        back = [c.ups[-1] - c.downs[-1] for c in orphans if c.ups and c.ups[-1] >= c.downs[-1]]
        assert len(back) == len(orphans), f"{len(orphans) - len(back)} clients not back"
        assert max(back) < 5.0, f"slowest back after {max(back):.2f} s"
        webs[0] = WebProcess(processes, env, tmp_path / "web0-again.log", port=ports[0])
        webs[0].wait_ready()

        # 2. A rolling restart: each process in turn is told to stop, and started again.
        rss_all_clients = None
        for i in (1, 0):
            processes.kill(webs[i].proc, signal.SIGTERM)  # waits for it to exit
            other = webs[1 - i]
            wait_until(
                lambda: all(c.connected for c in every),
                timeout=20,
                message=f"every client back after web{i} stopped",
            )
            if rss_all_clients is None:
                rss_all_clients = other.rss_kib()
            webs[i] = WebProcess(processes, env, tmp_path / f"web{i}-restarted.log", port=ports[i])
            webs[i].wait_ready()
            page.wait_for_timeout(1000)

        # Every activity, to every session of its owner, once and in order.
        count, interval = STREAM
        wait_until(
            lambda: all(len(visible_ids(app, p.id, start)) == count for p in people),
            timeout=count * interval + 60,
            interval=1,
            message="every stream to finish",
        )
        for p in people:
            expected = visible_ids(app, p.id, start)
            for client in clients[p.id]:
                client.wait_for_ids(len(expected), timeout=60)
                received = client.ids()
                assert received == expected, f"user {p.id}: {delivery_report(received, expected)}"
        page_expected = visible_ids(app, people[0].id, start)
        deadline = time.monotonic() + 30  # Playwright hands events over inside its own calls
        while len(browser.ids) < len(page_expected) and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        page.wait_for_timeout(500)
        report = delivery_report(browser.ids, page_expected)
        assert browser.ids == page_expected, f"the page, over {browser.sockets} sockets: {report}"
        assert browser.sockets >= 2  # it reconnected at least once through nginx

    # Each periodic task once per tick, though both consumers schedule every one.
    wait_until(
        lambda: time.time() - consumers_started > 150,
        timeout=200,
        interval=1,
        message="three periodic ticks",
    )
    with app.app_context():
        for task in EVERY_MINUTE:
            claims = db.session.scalar(
                select(func.count()).select_from(PeriodicClaim).where(PeriodicClaim.task == task)
            )
            runs = db.session.scalar(select(func.count()).where(Activity.key == f"{task}.started"))
            minutes = (time.time() - consumers_started) / 60
            assert 2 <= runs == claims <= minutes + 1, f"{task}: {runs} runs, {claims} ticks"

    downs = [c.ups[-1] - c.downs[-1] for c in orphans]
    print(
        f"\n[production topology] nginx + 2 gunicorn + 2 consumers, {len(every)} clients + 1 page;"
        f" {sum(len(c.ids()) for c in every)} deliveries, 0 lost, 0 twice;"
        f" after SIGKILL {len(orphans)} clients back in median {statistics.median(downs):.2f} s,"
        f" worst {max(downs):.2f} s; one gunicorn with all {len(every)} clients:"
        f" RSS {rss_all_clients / 1024:.1f} MiB; threads before {threads_before}"
    )
