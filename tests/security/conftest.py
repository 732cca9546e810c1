"""Fixtures of the security tests: a live server for the Socket.IO ones."""

from __future__ import annotations

from tests.support.live import live_server  # noqa: F401  (fixture)
