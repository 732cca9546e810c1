"""Reaching the real services: PostgreSQL and Redis from TEST_* URLs, Chromium for browsers.

Without a URL a test skips with the reason; with REQUIRE_SERVICES=1 (or REQUIRE_BROWSER=1 for
the browser) the skip becomes a failure, so CI cannot go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def _missing(reason: str, required_by: str) -> None:
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{reason} (and {required_by}=1)")
    pytest.skip(reason)


def database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        _missing("TEST_DATABASE_URL is not set: PostgreSQL tests skipped", "REQUIRE_SERVICES")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        _missing("TEST_REDIS_URL is not set: Redis tests skipped", "REQUIRE_SERVICES")
    return url


def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing: browser tests skipped", "REQUIRE_BROWSER")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("playwright is not installed: browser tests skipped", "REQUIRE_BROWSER")
    return CHROMIUM


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class RedisServer:
    """A private redis-server on a spare loopback port, for tests that stop or flood Redis."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            _missing("redis-server is not installed", "REQUIRE_SERVICES")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None
