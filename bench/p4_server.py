"""P4's web server: Beacon's own app, served by ``flask beacon run``, plus the baseline.

``flask --app bench.p4_server:create_bench_app beacon run --no-consumer --port N`` serves
exactly what ``flask --app webapp beacon run`` serves, and one more route,
``GET /__bench/raw?rate=R&count=N``: a thread in this process then emits ``bench_raw`` events
straight to the connected sessions (the same server, the same sockets, the same
``emit(..., to=sid, ignore_queue=True)`` the fan-out uses), round robin over the users, paced
at R per second: the raw Socket.IO emit P4 compares delivery with where there is no message
queue (the embedded default). And ``GET /__bench/sessions``: the connected sessions by user
(``{user_id: [sid, ...]}``), for the producer's raw emit through the Socket.IO message queue
(the baseline with Redis, see ``bench.p4_producer``).
"""

from __future__ import annotations

import threading
import time

from flask import Flask, request


def raw_payload(seq: int) -> dict:
    """As large as an ``activity`` item, with the send time in ``value.t``."""
    return {
        "id": seq,
        "key": "bench.delivered",
        "value": {"t": time.time(), "seq": seq},
        "message": "delivered",
        "created_at": "2026-01-01T00:00:00Z",
        "subject_type": None,
        "subject_id": None,
        "system": False,
        "action_required": None,
        "action_url": None,
        "read": False,
        "label": "Bench delivered",
        "action_label": None,
    }


def emit_raw(app: Flask, rate: float, count: int) -> None:
    from webapp.notifications.fanout import NAMESPACE

    fan = app.extensions["beacon.fanout"]
    with fan.lock:
        users = sorted(fan.sessions.by_user)
    start = time.perf_counter()
    for seq in range(count):
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        with fan.lock:
            sids = list(fan.sessions.by_user.get(users[seq % len(users)], ()))
        for sid in sids:
            fan.server.emit(
                "bench_raw", raw_payload(seq), to=sid, namespace=NAMESPACE, ignore_queue=True
            )


def create_bench_app() -> Flask:
    """Beacon's app from the environment, with the baseline's trigger route."""
    from webapp import create_app

    app = create_app()

    @app.get("/__bench/raw")
    def bench_raw():
        rate = float(request.args["rate"])
        count = int(request.args["count"])
        threading.Thread(target=emit_raw, args=(app, rate, count), daemon=True).start()
        return {"ok": True}

    @app.get("/__bench/sessions")
    def bench_sessions():
        fan = app.extensions["beacon.fanout"]
        with fan.lock:
            return {str(user): sorted(sids) for user, sids in fan.sessions.by_user.items()}

    return app
