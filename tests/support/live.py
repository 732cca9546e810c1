"""A real Beacon web server inside the test process, and real clients for it.

``LiveServer`` serves the test's app with Werkzeug (threads; Flask-SocketIO's threading mode
with simple-websocket gives real websockets on it) and runs the app's web starters (the
notification fan-out). ``login`` gives a logged-in ``requests.Session`` (with its CSRF token
in ``X-CSRFToken``); ``socket`` a connected python-socketio client that records every event.

Use the ``live_server`` fixture (import it into your test package's conftest.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import engineio
import pytest
import requests
import socketio
import websocket
from flask import Flask
from werkzeug.serving import make_server

from tests.support.queue import wait_until
from tests.support.services import free_port
from webapp.notifications import start_fanout

# Werkzeug's dev server has already ended a websocket when the client's closing frame
# arrives, so websocket-client waits its full 3 s for a reply that never comes, on every
# disconnect. Tests do not need that courtesy: wait briefly instead.
_close = websocket.WebSocket.close


def _quick_close(self, status=websocket.STATUS_NORMAL, reason=b"", timeout=0.2):
    return _close(self, status, reason, timeout)


websocket.WebSocket.close = _quick_close


def http_login(base_url: str, person: Any, timeout: float = 10) -> requests.Session:
    """A requests.Session logged in to the server at ``base_url`` as ``person`` (has .email
    and .password), sending the CSRF token with every write."""
    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=timeout).text
    token = CSRF_RE.search(page).group(1)
    resp = session.post(
        f"{base_url}/login",
        data={"email": person.email, "password": person.password, "csrf_token": token},
        allow_redirects=False,
        timeout=timeout,
    )
    assert resp.status_code == 302, resp.text[:500]
    home = session.get(f"{base_url}/", timeout=timeout).text
    session.headers["X-CSRFToken"] = CSRF_RE.search(home).group(1)
    return session


class _InOrderEngineIO(engineio.Client):
    """Engine.IO's client runs each message's handler on a thread of its own, so two events
    can be recorded in the opposite of the order they arrived in. Tests assert on that order:
    handle messages one by one, on the reading thread (the recorders only append)."""

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class _InOrderClient(socketio.Client):
    def _engineio_client_class(self):
        return _InOrderEngineIO


CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
EVENTS = (
    "activity",
    "alert",
    "alert_resolved",
    "unread",
    "job",
    "error",
    "backlog_truncated",
    # The admin room's events (webapp.admin.live), received after an ``admin_join``.
    "admin_operation",
    "admin_job",
)
NAMESPACE = "/notifications"


class SocketClient:
    """A python-socketio client on /notifications that records what it receives, in order."""

    def __init__(self) -> None:
        self.client = _InOrderClient(reconnection=False)
        self.events: list[tuple[str, Any, float]] = []
        self.lock = threading.Lock()
        for name in EVENTS:
            self.client.on(name, self._recorder(name), namespace=NAMESPACE)
        # The server ending the connection (a revoked login session, for one).
        self.client.on("disconnect", self._recorder("disconnect"), namespace=NAMESPACE)

    def _recorder(self, name: str):
        def record(data: Any = None) -> None:
            with self.lock:
                self.events.append((name, data, time.time()))

        return record

    def connect(self, url: str, cookie: str | None, auth: dict | None = None) -> SocketClient:
        headers = {"Cookie": cookie} if cookie else {}
        self.client.connect(
            url,
            headers=headers,
            namespaces=[NAMESPACE],
            auth=auth,
            transports=["websocket"],
            wait_timeout=10,
        )
        return self

    def of(self, name: str) -> list[Any]:
        with self.lock:
            return [data for event, data, _ in self.events if event == name]

    def ids(self) -> list[int]:
        """Ids of the ``activity`` events received, in arrival order."""
        return [item["id"] for item in self.of("activity")]

    def wait_for_ids(self, count: int, timeout: float = 20.0) -> list[int]:
        wait_until(lambda: len(self.ids()) >= count, timeout, message=f"{count} activities")
        return self.ids()

    def last_unread(self) -> int | None:
        counts = self.of("unread")
        return counts[-1]["count"] if counts else None

    def emit(self, event: str, data: Any) -> None:
        self.client.emit(event, data, namespace=NAMESPACE)

    def disconnect(self) -> None:
        if self.client.connected:
            self.client.disconnect()


class ResumingClient(SocketClient):
    """A client that behaves as the browser page does: when its connection ends without it
    asking (its web process stopping or dying), it connects again through the same URL (the
    load balancer) until it is back, each time resuming after the newest activity it
    received. Each connection is a client of its own, and what a connection that has ended
    still hands over is dropped, as the browser drops what a closed transport delivers late.
    ``downs`` and ``ups`` are the times it lost and regained its connection."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.start_after = after
        self.leaving = False
        self.downs: list[float] = []
        self.ups: list[float] = []
        self.url: str | None = None
        self.cookie: str | None = None

    def _bind(self, client: socketio.Client) -> None:
        """Record what ``client`` receives while it is the current connection."""
        for name in EVENTS:
            client.on(name, self._current_only(client, self._recorder(name)), namespace=NAMESPACE)
        client.on("disconnect", self._current_only(client, self._lost), namespace=NAMESPACE)

    def _current_only(self, client: socketio.Client, handler):
        def handle(data: Any = None) -> None:
            if client is self.client:
                handler(data)

        return handle

    def _resume_from(self) -> dict[str, int]:
        return {"after": max(self.ids(), default=self.start_after)}

    def connect(self, url: str, cookie: str | None, auth: dict | None = None) -> ResumingClient:
        self.url, self.cookie = url, cookie
        client = _InOrderClient(reconnection=False)
        self._bind(client)
        self.client = client
        client.connect(
            url,
            headers={"Cookie": cookie} if cookie else {},
            namespaces=[NAMESPACE],
            auth=self._resume_from,
            transports=["websocket"],
            wait_timeout=10,
        )
        return self

    def _lost(self, reason: Any = None) -> None:
        with self.lock:
            self.events.append(("disconnect", reason, time.time()))
        self.downs.append(time.time())
        self.client = None  # whatever the ended connection still delivers is not counted
        if not self.leaving:
            threading.Thread(target=self._come_back, daemon=True).start()

    def _come_back(self, give_up_after: float = 60.0) -> None:
        deadline = time.monotonic() + give_up_after
        while not self.leaving and time.monotonic() < deadline:
            try:
                self.connect(self.url, self.cookie)
            except socketio.exceptions.ConnectionError:
                time.sleep(0.1)
                continue
            self.ups.append(time.time())
            return

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.connected

    def disconnect(self) -> None:
        self.leaving = True
        if self.client is not None and self.client.connected:
            self.client.disconnect()


class LiveServer:
    """The app served on a spare loopback port, with its notification fan-out running."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sockets: list[SocketClient] = []
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        start_fanout(self.app)  # what start_web starts, without settling the test's heap
        return self

    def stop(self) -> None:
        for sock in self.sockets:
            sock.disconnect()
        fanout = self.app.extensions.get("beacon.fanout")
        if fanout is not None:
            fanout.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)

    def login(self, person: Any) -> requests.Session:
        """A requests.Session logged in as ``person`` (has .email and .password)."""
        return http_login(self.url, person)

    @staticmethod
    def cookie_header(session: requests.Session | None) -> str | None:
        if session is None:
            return None
        return "; ".join(f"{c.name}={c.value}" for c in session.cookies)

    def socket(self, who: Any = None, auth: dict | None = None) -> SocketClient:
        """A connected /notifications client: ``who`` is a person, a logged-in Session, or
        None (anonymous)."""
        session = who if isinstance(who, requests.Session) or who is None else self.login(who)
        sock = SocketClient()
        self.sockets.append(sock)
        return sock.connect(self.url, self.cookie_header(session), auth)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
