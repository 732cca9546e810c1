"""What to send to which session: live batches, resume backlogs, alerts, unread counts.

Each function reads what it needs and returns its plan, a list of ``(sid, event, payload)``
sends, for the fan-out to emit; it marks the rows it plans as sent to their sessions. Every
function runs under the fan-out's lock, inside an app context whose session is read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, literal_column, select, text

from webapp.activity import Activity
from webapp.activity.queries import alerts_resolved_by
from webapp.extensions import db
from webapp.notifications import feed
from webapp.notifications.subscribers import Send, Subscriber, Subscribers
from webapp.notifications.tail import LogTail

#: Rows read per query while catching up (a value is at most 64 KiB as JSON, so a batch
#: stays within a few megabytes).
BATCH = 200

#: Every column of the log: the rows read are routed and sent as they are, without a second
#: query for the ones about to be sent (a Core select: no ORM objects to build either).
LOG = Activity.__table__


def read_after(read_max: int) -> list[Any]:
    """The next rows of the log after ``read_max``, in id order."""
    stmt = select(LOG).where(LOG.c.id > read_max).order_by(LOG.c.id)
    return list(db.session.execute(stmt.limit(BATCH)).all())


def read_ids(ids: list[int]) -> list[Any]:
    """These rows of the log (the ones that exist now)."""
    found: list[Any] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        found += db.session.execute(select(LOG).where(LOG.c.id.in_(chunk))).all()
    return found


def deliver(sessions: Subscribers, released: list[Any], late: list[Any]) -> list[Send]:
    """Released rows (in order) and late rows for every ready session that should get them
    and has not yet; then the alerts these rows resolved."""
    late_ids = {row.id for row in late}
    plan = []
    for row in [*released, *late]:
        subs = [
            s
            for s in sessions.candidates(row)
            if feed.is_visible(row, s.user_id, include_system=s.system, is_admin=s.is_admin)
            and row.id not in s.sent
            and (row.id in late_ids or row.id > s.after)
        ]
        if subs:
            plan.append((row, subs))
    rows = [*released, *late]
    if plan or any(row.truthy for row in rows):
        return sends_of(sessions, plan, [], alerts=(rows, sessions.users_ready()))
    return []


def alert_keys(rows: list[Any], owners: set[int]) -> Select | None:
    """The (subject type, subject id, base key) of these owners' alerts (never private)
    that a truthy row here may have resolved: only rows with one of these keys can have.
    Rows of (3, 0, 0, subject type, subject id, base key), to be read on their own or
    with the read state (``feed.read_state``). None if no row here can resolve an alert."""
    truthy = [r for r in rows if r.truthy]
    if not truthy or not owners:
        return None
    col = literal_column
    if db.session.get_bind().dialect.name == "sqlite":
        # The alerts are read from their partial index, ``ix_activity_alerts``. SQLite costs
        # it and ``ix_activity_user_id_id`` (the same columns over every row) alike and takes
        # the one created last, which after the migrations is the one over every row.
        source: Any = text("activity INDEXED BY ix_activity_alerts")
    else:
        source = LOG
    return (
        select(col("3"), col("0"), col("0"), *map(col, ("subject_type", "subject_id", "base_key")))
        .select_from(source)
        .where(
            col("action_required").is_not(None),
            col("user_id").in_(owners),
            col("private").is_(False),
            col("base_key").in_({r.base_key for r in truthy}),
            col("id") < max(r.id for r in truthy),
        )
        .distinct()
    )


def alert_resolutions(
    rows: list[Any], owners: set[int], keys: set[tuple] | None = None
) -> list[tuple[Activity, int]]:
    """(alert, resolver id) for open alerts of these owners that these rows resolved.
    ``keys``: what ``alert_keys`` found, if it was read with another statement."""
    if keys is None:
        stmt = alert_keys(rows, owners)
        keys = set() if stmt is None else {tuple(k[3:]) for k in db.session.execute(stmt)}
    out = []
    for row in rows:
        if not row.truthy or (row.subject_type, row.subject_id, row.base_key) not in keys:
            continue
        for alert in alerts_resolved_by(row.id):
            if alert.user_id in owners and not alert.private:
                out.append((alert, row.id))
    return out


def sends_of(
    sessions: Subscribers,
    plan: list[tuple[Any, list[Subscriber]]],
    resolutions: list[tuple[Activity, int]],
    alerts: tuple[list[Any], set[int]] | None = None,
) -> list[Send]:
    """``activity`` (+ ``alert``), then ``alert_resolved``, then ``unread``. The rows
    (``Activity`` objects or rows of the log) go to the sessions planned for each.
    ``alerts``: rows and owners whose ``alert_resolutions`` are sent too (which rows may have
    resolved one is read with the read state: one statement for both)."""
    by_user: dict[int, list[int]] = {}
    #: Users sent rows of their own feed: their unread count changed.
    touched: set[int] = set()
    for activity, subs in plan:
        for s in subs:
            by_user.setdefault(s.user_id, []).append(activity.id)
            if activity.user_id == s.user_id and not activity.system:
                touched.add(s.user_id)
    counted = {uid for uid in touched if sessions.ready(uid)}
    check = alert_keys(*alerts) if alerts else None
    read, counts, keys = feed.read_state(by_user, counted, check)
    if alerts is not None and check is not None:
        rows, owners = alerts
        resolutions = [*resolutions, *alert_resolutions(rows, owners, keys)]
    if not plan and not resolutions:
        return []
    out: list[Send] = []
    open_alerts = feed.open_alert_ids(a.id for a, _ in plan if a.action_required)
    for activity, subs in plan:
        items: dict[int, dict] = {}
        for s in subs:
            if s.user_id not in items:
                items[s.user_id] = feed.item_dict(activity, activity.id in read[s.user_id])
            out.append((s.sid, "activity", items[s.user_id]))
            if activity.id in open_alerts:
                out.append((s.sid, "alert", items[s.user_id]))
            s.sent.add(activity.id)
    for alert, resolver_id in resolutions:
        for s in sessions.ready(alert.user_id) if alert.user_id is not None else ():
            out.append((s.sid, "alert_resolved", {"id": alert.id, "resolved_by": resolver_id}))
    return out + unread_sends(sessions, counted, counts=counts)


def unread_sends(
    sessions: Subscribers, user_ids: Iterable[int], counts: dict[int, int] | None = None
) -> list[Send]:
    """Each of these users' ready sessions gets their unread count (one statement, unless
    ``counts`` has them already)."""
    subs = {uid: s for uid in user_ids if (s := sessions.ready(uid))}
    if not subs:
        return []
    if counts is None or not set(subs) <= set(counts):
        counts = feed.read_state({}, subs).counts
    return [(s.sid, "unread", {"count": counts[uid]}) for uid, ss in subs.items() for s in ss]


def backlog(
    sessions: Subscribers, sub: Subscriber, after: int, tail: LogTail, limit: int
) -> list[Send]:
    """The backlog ``(after, horizon]`` (minus gaps and rows already sent), in id order;
    then the session is ready, and gets its unread count."""
    out: list[Send] = []
    horizon = tail.horizon
    if after < horizon:
        stmt = select(Activity).where(
            feed.visible_condition(sub.user_id, include_system=sub.system, is_admin=sub.is_admin),
            Activity.id > after,
            Activity.id <= horizon,
        )
        gaps = tail.unseen_at_or_below(horizon)
        if gaps:
            stmt = stmt.where(Activity.id.not_in(gaps))
        newest = list(db.session.scalars(stmt.order_by(Activity.id.desc()).limit(limit + 1)))
        if len(newest) > limit:
            skipped = newest.pop()
            out.append((sub.sid, "backlog_truncated", {"skipped_through": skipped.id}))
        rows = [a for a in reversed(newest) if a.id not in sub.sent]
        resolutions = [
            (alert, rid)
            for alert, rid in alert_resolutions(rows, {sub.user_id})
            if alert.id <= horizon
        ]
        sub.ready = True
        out += sends_of(sessions, [(a, [sub]) for a in rows], [])
        for alert, resolver_id in resolutions:
            out.append((sub.sid, "alert_resolved", {"id": alert.id, "resolved_by": resolver_id}))
    sub.ready = True
    sub.after = max(sub.after, after, horizon)
    return out + unread_sends(sessions, [sub.user_id])
