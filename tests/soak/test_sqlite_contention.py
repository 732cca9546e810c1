"""The embedded default (SQLite) under contention for a minute: web requests and 4 consumer
threads writing activities at once (``make test`` runs a 10-second version)."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.reliability.contention import WRITERS, run_contention

pytestmark = [pytest.mark.soak, pytest.mark.slow, pytest.mark.backends("sqlite")]


def test_a_minute_of_requests_and_four_writer_threads_never_locks_and_loses_nothing(
    app, backend, processes, tmp_path
):
    person = make_user(app, "writer@example.com")
    figures = run_contention(app, backend, processes, person, tmp_path, seconds=60)
    print(
        f"\n[sqlite contention 60 s] {figures.written} activities by {WRITERS} threads, "
        f"{sum(figures.requests.values())} requests {dict(figures.requests)}, "
        f"{figures.locked} 'database is locked', {figures.written - figures.stored} lost, "
        f"{figures.delivered} delivered ({figures.duplicates} twice, "
        f"{figures.out_of_order} out of order)"
    )
    figures.assert_nothing_locked_or_lost()
