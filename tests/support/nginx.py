"""The shipped nginx site (deploy/nginx.conf) in front of test web processes, on loopback.

Only what names this machine is rewritten: the listen address, the two web processes' ports
and the static folder; the rest is the file as shipped. nginx runs in the foreground under
the test's ``Processes`` (stopped by pid, whatever happens), with its own prefix folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.processes import ROOT, Processes
from tests.support.services import _missing, free_port, wait_for_port

SITE = ROOT / "deploy" / "nginx.conf"
SHIPPED_WEB = ("127.0.0.1:8001", "127.0.0.1:8002")


def nginx_binary() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if path is None:
        _missing("nginx is not installed (Debian's nginx: .ci/run installs it)", "REQUIRE_SERVICES")
    return path


def site_config(port: int, web_ports: list[int]) -> str:
    """deploy/nginx.conf, listening on ``port`` in front of these two web processes."""
    text = SITE.read_text()
    assert "listen 80;" in text and all(address in text for address in SHIPPED_WEB)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    for shipped, web_port in zip(SHIPPED_WEB, web_ports, strict=True):
        text = text.replace(shipped, f"127.0.0.1:{web_port}")
    return text.replace("/srv/beacon/static/", f"{ROOT / 'static'}/")


class Nginx:
    """nginx with the shipped site in front of two web ports, on a spare loopback port."""

    def __init__(self, processes: Processes, folder: Path, web_ports: list[int]) -> None:
        self.binary = nginx_binary()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "beacon.conf").write_text(site_config(self.port, web_ports))
        user = "user root;" if os.geteuid() == 0 else ""
        temp = " ".join(
            f"{kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"""{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder / "access.log"};
    {temp}
    include {folder / "beacon.conf"};
}}
"""
        )
        args = [
            self.binary,
            "-p",
            str(folder),
            "-c",
            str(folder / "nginx.conf"),
            "-g",
            "daemon off;",
        ]
        self.proc = processes.start(args, {}, folder / "nginx.out")

    def wait_ready(self, timeout: float = 15.0) -> Nginx:
        try:
            wait_for_port(self.port, timeout)
        except TimeoutError:
            log = (
                (self.folder / "error.log").read_text()
                if (self.folder / "error.log").exists()
                else ""
            )
            raise AssertionError(f"nginx did not start:\n{log[-3000:]}") from None
        return self
