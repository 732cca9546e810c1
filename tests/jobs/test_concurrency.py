"""Concurrent writers of one job lose nothing: increments add up, fields never overwrite each
other (the stores write per field, never read-modify-write)."""

from __future__ import annotations

import threading

from flask import Flask

from tests.jobs import sample_jobs as jobs
from tests.support.queue import running_consumer, wait_until
from webapp.jobs import JobStatus


def _in_threads(app: Flask, *work) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(fn):
        try:
            with app.app_context():
                start.wait()
                fn()
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors


def test_two_threads_incrementing_1000_times_each_end_at_2000(app, job_store):
    def increment_1000():
        progress = JobStatus("counted").progress
        for _ in range(1000):
            progress.increment()

    _in_threads(app, increment_1000, increment_1000)
    with app.app_context():
        assert JobStatus.get("counted")["progress"] == 2000


def test_two_writers_of_different_fields_both_survive(app, job_store):
    def writer(name):
        def write():
            st = JobStatus("fields")
            for i in range(300):
                st[name] = i

        return write

    def incrementer():
        progress = JobStatus("fields").progress
        for _ in range(300):
            progress.increment()

    _in_threads(app, writer("a"), writer("b"), incrementer)
    with app.app_context():
        got = JobStatus.get("fields")
        assert (got["a"], got["b"], got["progress"]) == (299, 299, 300)


def test_a_jobs_own_threads_increment_through_its_status_with_no_app_context(app, job_store):
    with app.app_context():
        result = jobs.count_in_worker_threads(1000)
    with running_consumer(workers=1):
        with app.app_context():
            wait_until(
                lambda: (st := JobStatus.get(result)) is not None and st.is_finished,
                timeout=60,
                message="the job to finish",
            )
    with app.app_context():
        got = JobStatus.get(result)
        assert (got.status, got["progress"], got.total) == ("completed", 2000, 2000)
