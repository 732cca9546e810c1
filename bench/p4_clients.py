"""P4's clients: one process holding many logged-in python-socketio clients (threads).

``python -m bench.p4_clients URL USERS PASSWORD`` logs in ``bench{i}@bench.io`` for i in
1..USERS, connects one /notifications client per user over websocket, prints ``ready`` once
every session is ready (its first ``unread`` count arrived), then answers commands on stdin,
one per line: ``reset`` (forget what was received), ``count`` (events received so far, as
JSON), ``report`` (the latencies in ms of ``activity`` and ``bench_raw`` events, as JSON),
``quit``. A latency is the receipt time minus the send time the event carries in ``value.t``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import socketio
import websocket

NAMESPACE = "/notifications"
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

# Werkzeug has already ended a websocket when the client's closing frame arrives: do not
# wait the default 3 s for a reply at every disconnect.
_close = websocket.WebSocket.close
websocket.WebSocket.close = lambda self, status=1000, reason=b"", timeout=0.2: _close(
    self, status, reason, timeout
)

received: dict[str, list[float]] = {"activity": [], "bench_raw": []}
ready = threading.Semaphore(0)


def login(url: str, email: str, password: str) -> str:
    session = requests.Session()
    token = CSRF_RE.search(session.get(f"{url}/login", timeout=30).text).group(1)
    resp = session.post(
        f"{url}/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if resp.status_code != 302:
        raise RuntimeError(f"login of {email} failed: {resp.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def connect(url: str, cookie: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    first_unread = threading.Event()

    def on_activity(data):
        received["activity"].append((time.time() - data["value"]["t"]) * 1000)

    def on_raw(data):
        received["bench_raw"].append((time.time() - data["value"]["t"]) * 1000)

    def on_unread(data):
        if not first_unread.is_set():
            first_unread.set()
            ready.release()

    client.on("activity", on_activity, namespace=NAMESPACE)
    client.on("bench_raw", on_raw, namespace=NAMESPACE)
    client.on("unread", on_unread, namespace=NAMESPACE)
    client.connect(
        url,
        headers={"Cookie": cookie},
        namespaces=[NAMESPACE],
        transports=["websocket"],
        wait_timeout=30,
    )
    return client


def main(url: str, users: int, password: str) -> None:
    with ThreadPoolExecutor(8) as pool:
        cookies = list(
            pool.map(lambda i: login(url, f"bench{i}@bench.io", password), range(1, users + 1))
        )
        clients = list(pool.map(lambda c: connect(url, c), cookies))
    for _ in range(users):
        if not ready.acquire(timeout=60):
            raise RuntimeError("sessions did not all become ready")
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "reset":
            for values in received.values():
                values.clear()
            print("ok", flush=True)
        elif command == "count":
            print(json.dumps({k: len(v) for k, v in received.items()}), flush=True)
        elif command == "report":
            print(json.dumps({k: list(v) for k, v in received.items()}), flush=True)
        elif command == "quit":
            break
    for client in clients:
        client.disconnect()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
