"""The Socket.IO sessions of one fan-out: who is connected, as whom, and what each was sent.

A send is planned as ``(sid, event, payload)``; the fan-out emits the plan. Everything here
runs under the fan-out's lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: One planned emit: to this session, this event, this payload.
Send = tuple[str, str, Any]

#: Ids remembered per session to keep a repeated resume (or a late row) from duplicating.
SENT_MEMORY = 10_000


class RecentIds:
    """A set that forgets its oldest members past ``size``."""

    def __init__(self, size: int = SENT_MEMORY) -> None:
        self.order: deque[int] = deque()
        self.members: set[int] = set()
        self.size = size

    def add(self, value: int) -> None:
        if value in self.members:
            return
        self.order.append(value)
        self.members.add(value)
        if len(self.order) > self.size:
            self.members.discard(self.order.popleft())

    def __contains__(self, value: object) -> bool:
        return value in self.members


@dataclass(eq=False)
class Subscriber:
    """One Socket.IO session of a logged-in user."""

    sid: str
    user_id: int
    is_admin: bool
    #: The login session the socket connected with: its ending disconnects the socket.
    session_id: int
    system: bool = False
    ready: bool = False
    #: Rows up to here came from the backlog (or the client had them); live rows start above.
    after: int = 0
    #: Set on connect, until the tailer sees the connection established: (after, error).
    pending: tuple[int, str | None] | None = None
    sent: RecentIds = field(default_factory=RecentIds)


class Subscribers:
    """The registry: sessions by sid, by user, and those subscribed to system activities."""

    def __init__(self) -> None:
        self.by_sid: dict[str, Subscriber] = {}
        self.by_user: dict[int, set[str]] = {}
        self.system_room: set[str] = set()

    def add(self, sub: Subscriber) -> None:
        self.by_sid[sub.sid] = sub
        self.by_user.setdefault(sub.user_id, set()).add(sub.sid)

    def remove(self, sid: str) -> Subscriber | None:
        sub = self.by_sid.pop(sid, None)
        if sub is None:
            return None
        sids = self.by_user.get(sub.user_id, set())
        sids.discard(sid)
        if not sids:
            self.by_user.pop(sub.user_id, None)
        self.system_room.discard(sid)
        return sub

    def get(self, sid: str) -> Subscriber | None:
        return self.by_sid.get(sid)

    def set_system(self, sub: Subscriber, system: bool) -> None:
        """Subscribe (an admin) to system activities, or not."""
        sub.system = system
        if system and sub.is_admin:
            self.system_room.add(sub.sid)
        else:
            self.system_room.discard(sub.sid)

    def __iter__(self) -> Iterator[Subscriber]:
        return iter(list(self.by_sid.values()))

    def of_user(self, user_id: int) -> list[Subscriber]:
        """Every session of this user, ready or not."""
        return [self.by_sid[sid] for sid in self.by_user.get(user_id, ())]

    def ready(self, user_id: int) -> list[Subscriber]:
        """The ready sessions of this user."""
        return [s for s in self.of_user(user_id) if s.ready]

    def connected(self, user_id: int) -> bool:
        return user_id in self.by_user

    def users_ready(self) -> set[int]:
        """Users with at least one ready session."""
        return {uid for uid in self.by_user if self.ready(uid)}

    def candidates(self, row: Any) -> list[Subscriber]:
        """Ready sessions that may want this row: its owner's, or the system room's."""
        sids: Iterable[str] = (
            self.by_user.get(row.user_id, ()) if row.user_id is not None else self.system_room
        )
        return [self.by_sid[sid] for sid in sids if self.by_sid[sid].ready]
