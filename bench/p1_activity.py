"""P1: record_activity rows/s against a raw SQLAlchemy Core insert of the same row."""

from __future__ import annotations

from sqlalchemy import insert

from bench.backends import app_for, database_kinds
from bench.harness import Results, Row, paired, rate, temp_dir

SINGLE = 2000
BULK = 1000
#: Transactions of BULK rows per measurement: one alone lasts a few milliseconds.
BATCHES = 10


def _row() -> dict:
    from webapp.database import utcnow

    return {
        "created_at": utcnow(),
        "subject_type": "service",
        "subject_id": "1",
        "user_id": None,
        "key": "sync.completed",
        "base_key": "sync.completed",
        "value": {"items": 12},
        "outcome": None,
        "truthy": True,
        "message": "12 items",
        "system": False,
        "private": False,
    }


def run(results: Results) -> None:
    from webapp.activity import Activity, record_activity, record_many
    from webapp.extensions import db

    for kind in database_kinds():
        with temp_dir() as tmp, app_for(kind, tmp) as app, app.app_context():

            def raw_single() -> None:
                for _ in range(SINGLE):
                    with db.engine.begin() as conn:
                        conn.execute(insert(Activity.__table__), _row())

            def beacon_single() -> None:
                for _ in range(SINGLE):
                    record_activity(
                        "sync.completed",
                        {"items": 12},
                        "12 items",
                        subject=_Subject(),
                        system=False,
                    )

            def raw_bulk() -> None:
                for _ in range(BATCHES):
                    with db.engine.begin() as conn:
                        conn.execute(insert(Activity.__table__), [_row() for _ in range(BULK)])

            def beacon_bulk() -> None:
                for _ in range(BATCHES):
                    record_many(
                        {
                            "key": "sync.completed",
                            "value": {"items": 12},
                            "message": "12 items",
                            "subject": _Subject(),
                        }
                        for _ in range(BULK)
                    )

            raw, ours = paired(
                lambda: rate(SINGLE, raw_single), lambda: rate(SINGLE, beacon_single)
            )
            results.add(
                Row(
                    "P1",
                    kind,
                    "record_activity, one row per transaction",
                    ours,
                    raw,
                    "rows/s",
                    ">= 0.8",
                    ours / raw >= 0.8,
                )
            )
            raw, ours = paired(
                lambda: rate(BULK * BATCHES, raw_bulk), lambda: rate(BULK * BATCHES, beacon_bulk)
            )
            results.add(
                Row(
                    "P1",
                    kind,
                    "record_many, 1,000 rows per transaction",
                    ours,
                    raw,
                    "rows/s",
                    ">= 0.8",
                    ours / raw >= 0.8,
                )
            )


class _Subject:
    activity_subject_type = "service"
    activity_subject_id = "1"
    activity_user_id = None
