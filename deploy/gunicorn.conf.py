"""gunicorn settings of one Beacon web process (the Procfile's ``web:`` line).

Flask-SocketIO in threading mode with simple-websocket: one worker process per gunicorn (a
Socket.IO server is one process; scale out with more gunicorns behind the load balancer,
deploy/nginx.conf), gthread workers, and a thread per open connection: every WebSocket holds
one for as long as it is open, so ``BEACON_WEB_THREADS`` bounds the clients one process holds.

On SIGTERM the process stops accepting, closes every Socket.IO connection so that its
clients reconnect through the load balancer to another process (and resume from the last
activity they saw), lets requests in flight finish, and exits.
"""

import contextlib
import os
import signal
import socket
import threading

wsgi_app = "webapp.wsgi:app"
# Loopback unless told otherwise: the load balancer on this machine is the way in (set
# BEACON_BIND=0.0.0.0 where the balancer is elsewhere, or on a platform that routes to $PORT).
bind = [f"{os.environ.get('BEACON_BIND', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("BEACON_WEB_THREADS", "512"))
worker_connections = threads + 64
# gthread's worker notifies the arbiter from its own loop, so a long-lived WebSocket is not
# mistaken for a stuck worker; this bounds a worker that really hangs.
timeout = 30
graceful_timeout = int(os.environ.get("BEACON_GRACEFUL_TIMEOUT", "15"))
keepalive = 5
# One log line per request comes from Beacon itself (with its request id): no access log.
accesslog = None
errorlog = "-"
# Stopped and restarted by signals (SIGTERM, SIGHUP); one control socket per user would be
# shared by every gunicorn on the machine.
control_socket_disable = True
loglevel = os.environ.get("BEACON_LOG_LEVEL", "info").lower()


def post_worker_init(worker):
    """Start the web side (the notification fan-out) and hand sockets off on SIGTERM."""
    from webapp.serving import hand_off_sockets, start_web

    app = worker.wsgi
    start_web(app)
    stop_after_this_loop = worker.handle_exit

    def on_sigterm(signum, frame):
        if not worker.alive:  # told already: a signal to the process group reaches it twice
            return
        stop_after_this_loop(signum, frame)
        # Refuse new connections at once (the listener stays open until the worker exits, so
        # the kernel would queue them here, unserved): the balancer sends them elsewhere.
        worker.set_accept_enabled(False)
        for listener in worker.sockets:
            with contextlib.suppress(OSError):  # not connected: already shut
                listener.shutdown(socket.SHUT_RD)
        threading.Thread(target=hand_off_sockets, args=(app,), name="beacon-hand-off").start()

    signal.signal(signal.SIGTERM, on_sigterm)
