"""Job tests: store-level tests run on each store a backend offers (SQL on both, Redis on
pg_redis) through the ``job_store`` parameter; short heartbeats so leases are tested quickly."""

from __future__ import annotations

import pytest

HEARTBEAT = {"BEACON_JOB_HEARTBEAT": 0.1, "BEACON_JOB_HEARTBEAT_TIMEOUT": 1.0}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "job_stores(*names): run only on these stores (sql, redis)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "job_store" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("job_stores")
        metafunc.parametrize("job_store", marker.args if marker else ("sql", "redis"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Redis is not a store of the sqlite backend: drop those combinations quietly."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("job_store") == "redis" and params.get("backend_name") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def app_settings(request: pytest.FixtureRequest) -> dict:
    settings = dict(HEARTBEAT)
    if "job_store" in request.fixturenames:
        settings["BEACON_JOB_STORE"] = request.getfixturevalue("job_store")
    return settings
