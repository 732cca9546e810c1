"""The embedded default (SQLite) under contention, for 10 seconds: web requests and 4 consumer
threads writing at once; ``make soak`` runs the same for a minute."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.reliability.contention import WRITERS, run_contention

pytestmark = [pytest.mark.slow, pytest.mark.backends("sqlite")]


def test_web_requests_and_four_writer_threads_never_lock_and_lose_nothing(
    app, backend, processes, tmp_path
):
    person = make_user(app, "writer@example.com")
    figures = run_contention(app, backend, processes, person, tmp_path, seconds=10)
    print(
        f"\n[sqlite contention 10 s] {figures.written} activities by {WRITERS} threads, "
        f"{sum(figures.requests.values())} requests {dict(figures.requests)}"
    )
    figures.assert_nothing_locked_or_lost()
