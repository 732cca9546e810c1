"""Fixtures of the browser tests."""

from tests.support.live import live_server  # noqa: F401  (fixture)
