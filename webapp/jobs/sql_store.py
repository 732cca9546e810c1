"""Job statuses in the database: table ``job_status`` and one ``job_status_field`` row per field.

Writes go through ``db.session`` and commit at once, like ``record_activity``: on SQLite every
transaction begins IMMEDIATE, so the thread's own session may already hold the database, and a
write on a second connection would wait for it forever (until the busy timeout). A status
write therefore also commits whatever the calling code has pending in its session.

Reads use a connection of their own, read-only: on SQLite a deferred transaction that takes no
lock, so a web request or a test polling a status never blocks the consumers writing it.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from webapp.activity.retention import delete_in_batches
from webapp.database import rows_changed, upsert, utcnow
from webapp.durations import BOUNDS, distributions
from webapp.extensions import db
from webapp.jobs.models import JobStatusField, JobStatusRow
from webapp.jobs.search import ArgumentSearch
from webapp.jobs.store import (
    FINISHED,
    GUARDS,
    STATUSES,
    JobStore,
    JobSummary,
    Record,
    Write,
    empty_record,
)

JOBS = JobStatusRow.__table__
FIELDS = JobStatusField.__table__


def _records(conn: Connection, rows: list) -> list[Record]:
    ids = [row["id"] for row in rows]
    fields: dict[str, dict[str, Any]] = {job_id: {} for job_id in ids}
    if ids:
        for job_id, name, value in conn.execute(
            select(FIELDS.c.job_id, FIELDS.c.name, FIELDS.c.value).where(FIELDS.c.job_id.in_(ids))
        ):
            fields[job_id][name] = value
    records = []
    for row in rows:
        record = empty_record(row["id"])
        for key in record:
            if key in row:
                record[key] = row[key]
        record["fields"] = fields[row["id"]]
        records.append(record)
    return records


class SqlStore(JobStore):
    """Statuses in the application database (the embedded default's store)."""

    name = "sql"
    searchable = True

    def write(self, job_id: str, change: Write, *, returning: bool = False) -> bool | Record | None:
        session = db.session
        try:
            applied = self._apply(job_id, change)
            record = None
            if applied and returning:
                rows = session.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings()
                record = _records(session.connection(), list(rows))[0]
            session.commit()
        except Exception:
            session.rollback()
            raise
        return record if returning else applied

    def _apply(self, job_id: str, change: Write) -> bool:
        session, now = db.session, change.now
        # A row past its expiry is gone, whether or not the purge has run yet.
        session.execute(delete(JOBS).where(JOBS.c.id == job_id, JOBS.c.expires_at <= now))
        row, updates = self._row_values(job_id, change)
        stmt = upsert(JOBS).values(**row)
        if change.guard is not None and change.guard not in GUARDS:
            raise ValueError(f"unknown write guard {change.guard!r}: expected one of {GUARDS}")
        if change.create_only:
            done = session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
        elif change.guard in ("queued", "working"):  # the job must be there, in that status
            done = session.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.status == change.guard)
                .values(**updates)
            )
        else:
            unfinished = or_(JOBS.c.status.is_(None), JOBS.c.status.not_in(FINISHED))
            done = session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_=updates,
                    where=unfinished if change.guard == "open" else None,
                )
            )
        if rows_changed(done) == 0:
            return False
        if change.fields:
            stmt = upsert(FIELDS).values(
                [{"job_id": job_id, "name": k, "value": v} for k, v in change.fields.items()]
            )
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["job_id", "name"], set_={"value": stmt.excluded.value}
                )
            )
        return True

    @staticmethod
    def _row_values(job_id: str, change: Write) -> tuple[dict[str, Any], dict[str, Any]]:
        """The row to insert if the job is new, and the SET clause if it exists: every
        expression refers to the row's current values, so the UPDATE is one atomic step."""
        now = change.now
        expires_at = now + dt.timedelta(seconds=change.expires_in)
        row: dict[str, Any] = {
            "id": job_id,
            "task": change.task,
            "owner_id": change.owner_id,
            "enqueued_at": now,
            "updated_at": now,
            "expires_in": change.expires_in,
            "expires_at": expires_at,
            "attempts": 1 if change.attempt else 0,
            **change.keep,
            **change.values,
        }
        updates: dict[str, Any] = {
            "task": case((JOBS.c.task == "", change.task), else_=JOBS.c.task),
            "owner_id": func.coalesce(JOBS.c.owner_id, change.owner_id),
            "updated_at": now,
            "expires_in": change.expires_in,
            "expires_at": expires_at,
            **{k: func.coalesce(JOBS.c[k], v) for k, v in change.keep.items()},
            **change.values,
        }
        if "progress" in change.values:
            progress = change.values["progress"] + change.increment
            updates["progress"] = current = progress
        else:
            progress = change.increment
            current = JOBS.c.progress + change.increment
            if change.increment:
                updates["progress"] = current
        row["progress"] = progress
        if change.attempt:
            updates["attempts"] = JOBS.c.attempts + 1
        if change.rebase:
            row["rate_since"] = updates["rate_since"] = now
            row["rate_base"], updates["rate_base"] = progress, current
        if change.lease:
            row["heartbeat_at"] = updates["heartbeat_at"] = now if change.lease == "take" else None
        if change.task_data is not None:
            row["task_data"] = updates["task_data"] = change.task_data
        return row, updates

    def read_many(
        self, job_ids: Iterable[str], now: dt.datetime | None = None
    ) -> dict[str, Record]:
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return {}
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(JOBS).where(JOBS.c.id.in_(ids), JOBS.c.expires_at > (now or utcnow()))
            ).mappings()
            return {record["id"]: record for record in _records(conn, list(rows))}

    def list(
        self,
        *,
        owner_id: int | None = None,
        task: str | None = None,
        status: str | None = None,
        limit: int = 50,
        search: ArgumentSearch | None = None,
    ) -> list[Record]:
        query = select(JOBS).where(JOBS.c.expires_at > utcnow())
        if search:
            query = query.where(search.condition())
        if owner_id is not None:
            query = query.where(JOBS.c.owner_id == owner_id)
        if task is not None:
            query = query.where(JOBS.c.task == task)
        if status is not None:
            query = query.where(JOBS.c.status == status)
        query = query.order_by(JOBS.c.enqueued_at.desc(), JOBS.c.id.desc()).limit(limit)
        with db.engine.connect() as conn:
            return _records(conn, list(conn.execute(query).mappings()))

    def heartbeat(self, leases: Mapping[str, float], now: dt.datetime) -> None:
        if not leases:
            return
        stmt = (
            update(JOBS)
            .where(JOBS.c.id == bindparam("job_id"), JOBS.c.heartbeat_at.is_not(None))
            .values(heartbeat_at=now, expires_at=bindparam("until"))
        )
        params = [
            {"job_id": job_id, "until": now + dt.timedelta(seconds=ttl)}
            for job_id, ttl in leases.items()
        ]
        try:
            db.session.execute(stmt, params)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise

    def cancel_requests(self, job_ids: Iterable[str]) -> set[str]:
        ids = list(job_ids)
        if not ids:
            return set()
        query = select(JOBS.c.id).where(JOBS.c.id.in_(ids), JOBS.c.cancel_requested_at.is_not(None))
        with db.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def stale(self, before: dt.datetime, limit: int = 100) -> builtins.list[str]:
        query = (
            select(JOBS.c.id)
            .where(JOBS.c.status == "working", JOBS.c.heartbeat_at < before)
            .order_by(JOBS.c.heartbeat_at)
            .limit(limit)
        )
        with db.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def interrupt(
        self, job_id: str, stale_before: dt.datetime | None, now: dt.datetime
    ) -> tuple[Record, bytes | None] | None:
        session = db.session
        held = [JOBS.c.id == job_id, JOBS.c.status == "working", JOBS.c.heartbeat_at.is_not(None)]
        if stale_before is not None:
            held.append(JOBS.c.heartbeat_at < stale_before)
        try:
            # The conditional UPDATE is the claim: of many reapers, one matches the row.
            done = session.execute(
                update(JOBS)
                .where(*held)
                .values(status="interrupted", finished_at=now, updated_at=now, heartbeat_at=None)
            )
            if rows_changed(done) != 1:
                session.rollback()
                return None
            row = session.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().one()
            session.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id)
                .values(expires_at=now + dt.timedelta(seconds=row["expires_in"]))
            )
            record = _records(session.connection(), [row])[0]
            session.commit()
        except Exception:
            session.rollback()
            raise
        return record, row["task_data"]

    def purge(self, now: dt.datetime | None = None) -> int:
        try:
            gone = db.session.execute(delete(JOBS).where(JOBS.c.expires_at <= (now or utcnow())))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return rows_changed(gone)

    def purge_finished(self, before: dt.datetime, batch_size: int = 1000) -> int:
        # enqueued_at < before holds for every finished status (a job ends after it was
        # enqueued): the scan starts from ix_job_status_enqueued_at and stays among old rows.
        # The later failure is found through the partial index ix_job_status_failed_task,
        # which both databases use only if the status is a literal. Fields go by cascade.
        newer = JOBS.alias("newer")
        newer_failure = exists().where(
            newer.c.status == literal_column("'failed'"),
            newer.c.task == JOBS.c.task,
            newer.c.finished_at >= JOBS.c.finished_at,
            or_(newer.c.finished_at > JOBS.c.finished_at, newer.c.id > JOBS.c.id),
        )
        doomed = and_(
            JOBS.c.enqueued_at < before,
            JOBS.c.status.in_(sorted(FINISHED)),
            JOBS.c.finished_at < before,
            or_(JOBS.c.status != "failed", newer_failure),
        )
        candidates = select(JOBS.c.id).where(doomed).order_by(JOBS.c.enqueued_at).limit(batch_size)

        def delete_batch(ids: builtins.list[str]) -> int:
            return rows_changed(db.session.execute(delete(JOBS).where(JOBS.c.id.in_(ids), doomed)))

        return delete_in_batches(candidates, delete_batch)

    def summary(
        self, since: dt.datetime, bounds: Sequence[float] = BOUNDS, now: dt.datetime | None = None
    ) -> JobSummary:
        """Two grouped queries: statuses per state, durations per task (bucketed by the
        database). Unexpired rows only; the table holds little else (``purge``)."""
        alive = JOBS.c.expires_at > (now or utcnow())
        by_state = select(JOBS.c.status, func.count()).where(alive).group_by(JOBS.c.status)
        completed = [alive, JOBS.c.status == "completed", JOBS.c.finished_at >= since]
        with db.engine.connect() as conn:
            counts: dict[str | None, int] = {s: n for s, n in conn.execute(by_state)}
            durations = distributions(
                conn, JOBS.c.task, JOBS.c.started_at, JOBS.c.finished_at, completed, bounds
            )
        return JobSummary({state: counts.get(state, 0) for state in STATUSES}, durations)
