"""The production web process: the Procfile's ``web:`` line serves Beacon through gunicorn
with production settings; SIGTERM hands every socket off and exits; the development server
refuses production settings."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support.live import SocketClient, http_login
from tests.support.processes import ROOT
from tests.support.services import free_port, wait_for_port

pytestmark = pytest.mark.backends("sqlite")


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def production_env(backend, port: int) -> dict[str, str]:
    return {
        **backend.env(),
        "BEACON_ENV": "production",
        "SECRET_KEY": "production-test-secret",
        "PORT": str(port),
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"],
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def test_the_procfile_runs_a_web_process_and_a_consumer():
    entries = procfile()
    assert set(entries) == {"web", "worker"}
    assert entries["web"].startswith("gunicorn --config deploy/gunicorn.conf.py")
    assert entries["worker"].startswith("huey_consumer tasks.huey")


def test_the_procfile_web_line_serves_beacon_through_gunicorn(backend, processes, tmp_path):
    port = free_port()
    env = production_env(backend, port)
    migrate(env)
    bin_dir = os.path.dirname(sys.executable)
    args = shlex.split(procfile()["web"])
    processes.start([os.path.join(bin_dir, args[0]), *args[1:]], env, tmp_path / "web.log")
    wait_for_port(port, 60)
    base = f"http://127.0.0.1:{port}"
    answers = {
        path: requests.get(base + path, timeout=10) for path in ("/healthz", "/readyz", "/login")
    }
    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 200)
    assert answers["/healthz"].headers["Server"].startswith("gunicorn")
    assert answers["/readyz"].json()["checks"] == {"database": "ok", "migrations": "ok"}
    handshake = requests.get(f"{base}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert handshake.status_code == 200 and '"sid"' in handshake.text
    assert requests.get(f"{base}/demo/accounts", timeout=10).status_code == 404  # no demo
    log = (tmp_path / "web.log").read_text()
    assert '"logger": "beacon.request"' in log and '"request_id"' in log  # JSON lines


def test_sigterm_hands_sockets_off_refuses_new_connections_and_exits(
    app, backend, processes, subscriber, tmp_path
):
    from tests.reliability.cluster import WebProcess

    web = WebProcess(processes, backend.env(), tmp_path / "web.log").wait_ready()
    session = http_login(web.url, subscriber)
    sock = SocketClient().connect(
        web.url, "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    )
    time.sleep(0.5)
    told = time.time()
    os.kill(web.pid, signal.SIGTERM)  # the master passes it on to its worker
    while not sock.of("disconnect") and time.time() - told < 10:
        time.sleep(0.01)
    handed_off = next(at for name, _, at in sock.events if name == "disconnect") - told
    assert handed_off < 1.0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{web.url}/healthz", timeout=5)
    web.proc.wait(10)
    assert "Shutting down: Master" in (tmp_path / "web.log").read_text()


def test_the_development_server_refuses_production_settings(backend, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "beacon", "run", "--no-consumer"],
        env={**os.environ, **production_env(backend, free_port())},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "serves through gunicorn" in result.stderr
