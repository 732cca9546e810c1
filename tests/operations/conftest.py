"""Fixtures for operation tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """The file test actions append their labels to (pass it as the ``log`` global)."""
    return tmp_path / "calls.log"
