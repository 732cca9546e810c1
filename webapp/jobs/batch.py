"""Batch: the combined status and progress of several jobs, read in one store call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from webapp.jobs.status import JobStatus, job_id_of, records_of
from webapp.jobs.store import FINISHED, Record

#: A member that ended without completing makes the batch fail, as ``failed`` does.
UNSUCCESSFUL = FINISHED - {"completed"}


class Batch:
    """Several jobs seen as one. ``status`` is:

    * ``queued`` if every job is queued (a job whose status is unknown or expired counts as
      queued);
    * ``failed`` if any job failed, or ended without completing (interrupted with no retry
      left, revoked, expired);
    * ``completed`` if every job completed;
    * ``working`` otherwise.

    ``progress`` is the mean of the jobs' progress ratios, a completed job counting as 1.
    Each read of ``status``/``progress`` reads the jobs again (one store round trip).
    """

    def __init__(self, jobs: Iterable[Any]) -> None:
        self.job_ids = [job_id_of(job) for job in jobs]
        if not self.job_ids:
            raise ValueError("a Batch needs at least one job")

    def _records(self) -> list[Record | None]:
        return records_of(self.job_ids)

    @property
    def statuses(self) -> list[JobStatus | None]:
        """Each job's status, in order (None where unknown)."""
        return [
            None if record is None else JobStatus(job_id, record)
            for job_id, record in zip(self.job_ids, self._records(), strict=True)
        ]

    @property
    def status(self) -> str:
        states = [record["status"] if record else "queued" for record in self._records()]
        if all(state == "queued" for state in states):
            return "queued"
        if any(state in UNSUCCESSFUL for state in states):
            return "failed"
        if all(state == "completed" for state in states):
            return "completed"
        return "working"

    @property
    def progress(self) -> float:
        ratios = [  # an unknown job counts as 0: it adds nothing to the sum
            1.0 if record["status"] == "completed" else float(JobStatus(job_id, record).progress)
            for job_id, record in zip(self.job_ids, self._records(), strict=True)
            if record is not None
        ]
        return sum(ratios) / len(self.job_ids)

    def __len__(self) -> int:
        return len(self.job_ids)
