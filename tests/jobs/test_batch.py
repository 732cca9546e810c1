"""Batch: one status for several jobs, by the rules of DESIGN.md, and an aggregate progress."""

from __future__ import annotations

import pytest

from webapp.jobs import Batch, JobStatus


def _jobs(*states: str) -> list[str]:
    ids = []
    for index, state in enumerate(states):
        job_id = f"batch-{index}"
        JobStatus(job_id).update(status=state, force=True)
        ids.append(job_id)
    return ids


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (("queued", "queued"), "queued"),
        (("completed", "failed", "working"), "failed"),
        (("completed", "completed"), "completed"),
        (("completed", "queued"), "working"),
        (("working", "queued"), "working"),
    ],
)
def test_batch_status_follows_the_rules(ctx, job_store, states, expected):
    assert Batch(_jobs(*states)).status == expected


@pytest.mark.parametrize("ending", ["interrupted", "revoked", "expired"])
def test_batch_fails_when_a_job_ended_without_completing(ctx, job_store, ending):
    assert Batch(_jobs("completed", ending)).status == "failed"


def test_batch_counts_an_unknown_job_as_queued(ctx, job_store):
    assert Batch(_jobs("queued") + ["unknown"]).status == "queued"


def test_batch_progress_is_the_mean_ratio_with_completed_jobs_at_one(ctx, job_store):
    half = JobStatus("half")
    half.update(status="working", total=10, progress=5, force=True)
    done = _jobs("completed")
    assert Batch(["half", *done]).progress == pytest.approx(0.75)


def test_empty_batch_is_refused():
    with pytest.raises(ValueError, match="at least one job"):
        Batch([])
