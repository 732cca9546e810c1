"""Beacon as it is deployed: web processes (gunicorn with ``deploy/gunicorn.conf.py``, the
Procfile's ``web:``) and standalone consumers as child processes, and real clients for them
(HTTP sessions, Socket.IO).

Every process is started through the test's ``Processes``, so it is killed by pid at teardown
whatever the test did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from tests.support.live import SocketClient, http_login
from tests.support.processes import Processes
from tests.support.services import free_port, wait_for_port
from webapp.activity import Activity
from webapp.extensions import db

WORKLOAD = "tests.reliability.workload"


def worker_env(env: dict[str, str], **extra: Any) -> dict[str, str]:
    """A backend's env for a child process that also knows the workload's tasks and events."""
    return {**env, "BEACON_EXTRA_TASK_MODULES": WORKLOAD, **{k: str(v) for k, v in extra.items()}}


GUNICORN = ["-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]


class WebProcess:
    """A production web process (gunicorn, as the Procfile runs it) on a spare loopback port.
    ``port`` reuses one (a restart of the same process behind a load balancer)."""

    def __init__(
        self, processes: Processes, env: dict[str, str], log: Path, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        server_env = {**env, "PORT": str(self.port), "BEACON_BIND": "127.0.0.1"}
        self.proc = processes.python(GUNICORN, server_env, log)
        self.sockets: list[SocketClient] = []

    def wait_ready(self, timeout: float = 60.0) -> WebProcess:
        try:
            wait_for_port(self.port, timeout)
        except TimeoutError:
            raise AssertionError(f"web process did not start:\n{self.log_text()}") from None
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log.read_text()[-4000:] if self.log.exists() else ""

    def login(self, person: Any) -> requests.Session:
        """A requests.Session logged in as ``person``, with its CSRF token in X-CSRFToken."""
        return login(self.url, person)

    def socket(self, person: Any, auth: dict | None = None) -> SocketClient:
        """A connected /notifications client logged in as ``person`` (``auth``: a resume)."""
        session = self.login(person)
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        sock = SocketClient()
        self.sockets.append(sock)
        return sock.connect(self.url, cookie, auth)

    @property
    def worker_pid(self) -> int:
        """The process that serves: gunicorn's one worker (``pid`` is its master)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        assert len(children) == 1, f"gunicorn {self.pid} has workers {children}"
        return int(children[0])

    def rss_kib(self) -> int:
        """Resident memory of the serving process, from /proc (KiB)."""
        return rss_kib(self.worker_pid)

    def threads(self) -> int:
        """Threads of the serving process (one per open websocket, and its own)."""
        return proc_status(self.worker_pid, "Threads")

    def close_sockets(self) -> None:
        for sock in self.sockets:
            sock.disconnect()


def scalar(app: Any, stmt: Any) -> Any:
    """One value from the test's own database."""
    with app.app_context():
        return db.session.scalar(stmt)


def visible_ids(app: Any, user_id: int, after: int) -> list[int]:
    """What a subscriber's sessions must receive: their own, non-private, non-system rows."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Activity.id)
                .where(
                    Activity.id > after,
                    Activity.user_id == user_id,
                    Activity.private.is_(False),
                    Activity.system.is_(False),
                )
                .order_by(Activity.id)
            )
        )


def login(base_url: str, person: Any) -> requests.Session:
    return http_login(base_url, person, timeout=30)


def proc_status(pid: int, field: str) -> int:
    """A number from /proc/<pid>/status (``VmRSS`` in KiB, ``Threads``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for pid {pid}")


def rss_kib(pid: int) -> int:
    """Resident memory of a process (KiB)."""
    return proc_status(pid, "VmRSS")
