"""Concurrent writers of one job lose nothing: increments add up, fields never overwrite each
other (the stores write per field, never read-modify-write)."""

from __future__ import annotations

import threading

from flask import Flask

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
