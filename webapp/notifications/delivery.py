"""Delivering rows to sessions: live batches, resume backlogs, alerts, unread counts.

Every function runs on the fan-out's thread or a Socket.IO handler thread, under
``fan.lock``, inside an app context whose session is read-only (see ``readonly_session``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from webapp.activity import Activity
from webapp.activity.queries import alerts_resolved_by
from webapp.extensions import db
from webapp.notifications import feed

if TYPE_CHECKING:
    from webapp.notifications.fanout import Fanout, Subscriber

#: Rows read per query while catching up.
BATCH = 500

#: Light columns read for every row: enough to route it and to spot alert resolutions.
ROUTE_COLUMNS = (
    Activity.id,
    Activity.user_id,
    Activity.private,
    Activity.system,
    Activity.truthy,
    Activity.subject_type,
    Activity.subject_id,
    Activity.base_key,
    Activity.action_required,
)


def read_after(read_max: int) -> list[Any]:
    """The next rows of the log after ``read_max`` (route columns only), in id order."""
    stmt = select(*ROUTE_COLUMNS).where(Activity.id > read_max).order_by(Activity.id)
    return list(db.session.execute(stmt.limit(BATCH)).all())


def read_ids(ids: list[int]) -> list[Any]:
    """Route columns of these rows (the ones that exist now)."""
    return list(db.session.execute(select(*ROUTE_COLUMNS).where(Activity.id.in_(ids))).all())


def candidates(fan: Fanout, row: Any) -> list[Subscriber]:
    """Ready sessions that may want this row: its owner's, or the system room's."""
    sids = fan.by_user.get(row.user_id, ()) if row.user_id is not None else fan.system_room
    return [fan.subscribers[sid] for sid in sids if fan.subscribers[sid].ready]


def deliver(fan: Fanout, released: list[Any], late: list[Any]) -> None:
    """Send released rows (in order) and late rows to every ready session that should get
    them and has not yet; then the alerts these rows resolved."""
    late_ids = {row.id for row in late}
    plan = []
    for row in [*released, *late]:
        subs = [
            s
            for s in candidates(fan, row)
            if feed.is_visible(row, s.user_id, include_system=s.system, is_admin=s.is_admin)
            and row.id not in s.sent
            and (row.id in late_ids or row.id > s.after)
        ]
        if subs:
            plan.append((row.id, subs))
    owners = {uid for uid in fan.by_user if fan.ready_subscribers(uid)}
    resolutions = alert_resolutions([*released, *late], owners)
    if not plan and not resolutions:
        return
    full = load([row_id for row_id, _ in plan])
    send(fan, [(full[i], subs) for i, subs in plan if i in full], resolutions)


def load(ids: list[int]) -> dict[int, Activity]:
    """Full rows by id (only those about to be sent: values may be large)."""
    found: dict[int, Activity] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = db.session.scalars(select(Activity).where(Activity.id.in_(chunk)))
        found.update((a.id, a) for a in rows)
    return found


def alert_resolutions(rows: list[Any], owners: set[int]) -> list[tuple[Activity, int]]:
    """(alert, resolver id) for open alerts of these owners that these rows resolved."""
    truthy = [r for r in rows if r.truthy]
    if not truthy or not owners:
        return []
    alerted = set(
        db.session.execute(
            select(Activity.subject_type, Activity.subject_id, Activity.base_key)
            .distinct()
            .where(
                Activity.action_required.is_not(None),
                Activity.user_id.in_(owners),
                Activity.private.is_(False),
                Activity.base_key.in_({r.base_key for r in truthy}),
                Activity.id < max(r.id for r in truthy),
            )
        ).all()
    )
    out = []
    for row in truthy:
        if (row.subject_type, row.subject_id, row.base_key) not in alerted:
            continue
        for alert in alerts_resolved_by(row.id):
            if alert.user_id in owners and not alert.private:
                out.append((alert, row.id))
    return out


def send(
    fan: Fanout,
    plan: list[tuple[Activity, list[Subscriber]]],
    resolutions: list[tuple[Activity, int]],
) -> None:
    """Emit ``activity`` (+ ``alert``), then ``alert_resolved``, then ``unread``."""
    by_user: dict[int, list[int]] = {}
    for activity, subs in plan:
        for s in subs:
            by_user.setdefault(s.user_id, []).append(activity.id)
    cursors = feed.read_cursors(by_user)
    read = feed.read_flags(by_user, cursors)
    open_alerts = feed.open_alert_ids(a.id for a, _ in plan if a.action_required)
    touched: set[int] = set()
    for activity, subs in plan:
        items: dict[int, dict] = {}
        for s in subs:
            if s.user_id not in items:
                items[s.user_id] = feed.item_dict(activity, activity.id in read[s.user_id])
            fan.emit(s.sid, "activity", items[s.user_id])
            if activity.id in open_alerts:
                fan.emit(s.sid, "alert", items[s.user_id])
            s.sent.add(activity.id)
            if activity.user_id == s.user_id and not activity.system:
                touched.add(s.user_id)
    for alert, resolver_id in resolutions:
        for s in fan.ready_subscribers(alert.user_id):
            fan.emit(s.sid, "alert_resolved", {"id": alert.id, "resolved_by": resolver_id})
    send_unread_many(fan, touched, cursors)


def send_unread(fan: Fanout, user_id: int) -> None:
    send_unread_many(fan, [user_id])


def send_unread_many(
    fan: Fanout, user_ids: Iterable[int], cursors: dict[int, int] | None = None
) -> None:
    """Each of these users' ready sessions gets their unread count (one count query)."""
    subs = {uid: s for uid in user_ids if (s := fan.ready_subscribers(uid))}
    if not subs:
        return
    counts = feed.unread_counts(subs, cursors)
    for uid, sessions in subs.items():
        for s in sessions:
            fan.emit(s.sid, "unread", {"count": counts[uid]})


def make_ready(fan: Fanout, sub: Subscriber, after: int) -> None:
    """Send the backlog ``(after, horizon]`` (minus gaps and rows already sent), in id
    order, then mark the session ready and send the unread count."""
    horizon = fan.tail.horizon
    if after < horizon:
        stmt = select(Activity).where(
            feed.visible_condition(sub.user_id, include_system=sub.system, is_admin=sub.is_admin),
            Activity.id > after,
            Activity.id <= horizon,
        )
        gaps = fan.tail.unseen_at_or_below(horizon)
        if gaps:
            stmt = stmt.where(Activity.id.not_in(gaps))
        newest = list(
            db.session.scalars(stmt.order_by(Activity.id.desc()).limit(fan.backlog_limit + 1))
        )
        if len(newest) > fan.backlog_limit:
            skipped = newest.pop()
            fan.emit(sub.sid, "backlog_truncated", {"skipped_through": skipped.id})
        rows = [a for a in reversed(newest) if a.id not in sub.sent]
        resolutions = [
            (alert, rid)
            for alert, rid in alert_resolutions(rows, {sub.user_id})
            if alert.id <= horizon
        ]
        sub.ready = True
        send(fan, [(a, [sub]) for a in rows], [])
        for alert, resolver_id in resolutions:
            fan.emit(sub.sid, "alert_resolved", {"id": alert.id, "resolved_by": resolver_id})
    sub.ready = True
    sub.after = max(sub.after, after, horizon)
    send_unread(fan, sub.user_id)
    fan.jobs.send_current(sub)
