"""BEACON_DEMO=0 (the production default): no demo routes, demo periodic tasks or seeders."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.processes import ROOT
from webapp import create_app

pytestmark = pytest.mark.backends("sqlite")


def test_without_the_demo_there_are_no_demo_routes_or_seeders(backend):
    app = create_app({**backend.settings, "BEACON_DEMO": False})
    assert not [r for r in app.url_map.iter_rules() if r.rule.startswith("/demo")]
    result = app.test_cli_runner().invoke(args=["beacon", "seed"])
    assert "The demo is off" in result.output


def test_production_has_no_demo_unless_asked(backend):
    production = {**backend.settings, "BEACON_ENV": "production", "SECRET_KEY": "x"}
    assert create_app(production).config["BEACON_DEMO"] is False


def periodic_tasks_of_a_consumer(demo: str) -> set[str]:
    """The periodic tasks ``huey_consumer tasks.huey`` would schedule, with BEACON_DEMO."""
    code = (
        "import json, tasks; "
        "print(json.dumps([t.name for t in tasks.huey._registry.periodic_tasks]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "BEACON_DEMO": demo, "SECRET_KEY": "x"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(json.loads(out))


def test_a_consumer_without_the_demo_schedules_no_demo_task():
    with_demo, without = periodic_tasks_of_a_consumer("1"), periodic_tasks_of_a_consumer("0")
    assert {"demo.sync_accounts", "demo.health_check"} <= with_demo
    assert without == {name for name in with_demo if not name.startswith("demo.")}
    assert "events_sweep" in without
