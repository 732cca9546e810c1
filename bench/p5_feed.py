"""P5: the feed query on the shared dataset (1,000,000 user activities over 10,000 users): the
statement ``feed_page`` runs (``page_rows``: the newest 50 of one user, and a keyset page 10
deep, each row with its read flag), executed and fetched through the session, against the
hand-written SQL of the same query. ``feed_page`` as a whole (query plus the item dicts the
API returns) is reported in the notes."""

from __future__ import annotations

import random

from sqlalchemy import text

from bench import dataset
from bench.backends import database_kinds
from bench.harness import Results, Row, latencies_ms, paired, percentile

QUERIES = 300

RAW = """
SELECT a.id, a.key, a.value, a.message, a.created_at, a.subject_type, a.subject_id,
       a.system, a.action_required, a.action_url,
       (a.id <= COALESCE((SELECT c.last_read_id FROM read_cursor c WHERE c.user_id = :u), 0)
        OR EXISTS (SELECT 1 FROM activity_read r WHERE r.user_id = :u AND r.activity_id = a.id))
       AS read
FROM activity a
WHERE a.user_id = :u AND a.private IS false AND a.system IS false {before}
ORDER BY a.id DESC LIMIT :limit
"""


def _cursors(users: list[int]) -> dict[int, int]:
    """Each heavy user's keyset cursor 10 pages deep: the id of their 450th newest row."""
    from webapp.extensions import db

    found = {}
    for u in users:
        found[u] = db.session.execute(
            text(
                "SELECT id FROM activity WHERE user_id = :u AND private = :f AND system = :f "
                "ORDER BY id DESC LIMIT 1 OFFSET 449"
            ),
            {"u": u, "f": False},
        ).scalar()
    db.session.rollback()
    return {u: c for u, c in found.items() if c is not None}


def _measure(results: Results, kind: str, label: str, users: list[int], cursors) -> None:
    from webapp.extensions import db
    from webapp.notifications.feed import feed_page, page_rows

    first = text(RAW.format(before=""))
    deep = text(RAW.format(before="AND a.id < :before"))
    picks = iter(())

    def user() -> int:
        nonlocal picks
        try:
            return next(picks)
        except StopIteration:
            picks = iter(users)
            return next(picks)

    def raw_once() -> None:
        u = user()
        stmt = first if cursors is None else deep
        params = {"u": u, "limit": 51, "before": cursors[u] if cursors else None}
        db.session.execute(stmt, params).all()

    def beacon_once() -> None:
        u = user()
        rows = page_rows(u, before=cursors[u] if cursors else None, limit=51)
        if len(rows) != 51:
            raise RuntimeError(f"user {u}: a page of {len(rows)} rows, expected 51")

    def whole_once() -> None:
        u = user()
        feed_page(u, before=cursors[u] if cursors else None, limit=50)

    samples: dict[str, list[list[float]]] = {"raw": [], "beacon": [], "whole": []}

    def run(side: str, fn) -> float:
        values = latencies_ms(fn, QUERIES)
        db.session.rollback()
        samples[side].append(values)
        return percentile(values, 50)

    base, ours = paired(lambda: run("raw", raw_once), lambda: run("beacon", beacon_once))
    results.add(
        Row(
            "P5",
            kind,
            f"feed query, {label}, p50",
            ours,
            base,
            "ms",
            "<= 1.3",
            ours / base <= 1.3,
            higher_is_better=False,
        )
    )
    p99 = sorted(percentile(v, 99) for v in samples["beacon"][1:])
    raw99 = sorted(percentile(v, 99) for v in samples["raw"][1:])
    ours99, base99 = p99[len(p99) // 2], raw99[len(raw99) // 2]
    results.add(
        Row(
            "P5",
            kind,
            f"feed query, {label}, p99",
            ours99,
            base99,
            "ms",
            "p99 <= 5 ms",
            ours99 <= 5,
            higher_is_better=False,
        )
    )
    whole = [run("whole", whole_once) for _ in range(3)]
    results.notes.append(
        f"P5 {kind}, {label}: feed_page as a whole (the query plus the item dicts) "
        f"p50 {sorted(whole)[1]:.3f} ms against {base:.3f} ms for the hand-written SQL."
    )


def run(results: Results) -> None:
    for kind in database_kinds():
        with dataset.shared(kind):
            # Users with 500+ visible rows (page 10 ends at their 500th newest).
            rnd = random.Random(3)
            heavy = [rnd.randrange(1, dataset.HEAVY + 1) for _ in range(QUERIES)]
            cursors = _cursors(sorted(set(heavy)))
            heavy = [u for u in heavy if u in cursors]
            rows = f"{dataset.FEED_ROWS:,} rows / {dataset.USERS:,} users"
            _measure(results, kind, f"newest 50, {rows}", heavy, None)
            _measure(results, kind, "keyset page 10 deep", heavy, cursors)
