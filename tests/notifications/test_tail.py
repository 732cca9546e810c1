"""LogTail: rows go out in id order, wait briefly for late ids, and late rows still go out."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.notifications.tail import LogTail


@dataclass
class Row:
    id: int


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_tail(start: int = 0) -> tuple[LogTail, Clock]:
    clock = Clock()
    return LogTail(start, gap_wait=2.0, gap_ttl=600.0, clock=clock), clock


def ids(rows) -> list[int]:
    return [row.id for row in rows]


def test_contiguous_rows_are_released_in_order():
    tail, _ = make_tail()
    tail.add([Row(1), Row(2), Row(3)])
    assert ids(tail.take()) == [1, 2, 3]
    assert tail.horizon == 3


def test_rows_behind_a_young_gap_wait():
    tail, _ = make_tail()
    tail.add([Row(1), Row(3)])
    assert ids(tail.take()) == [1]
    assert tail.horizon == 1
    assert tail.due_gaps() == [2]


def test_gap_filled_in_time_releases_in_order():
    tail, clock = make_tail()
    tail.add([Row(1), Row(3)])
    tail.take()
    clock.now += 1.0
    assert tail.fill([Row(2)]) == []
    assert ids(tail.take()) == [2, 3]


def test_rows_behind_an_old_gap_are_released_and_the_gap_stays_watched():
    tail, clock = make_tail()
    tail.add([Row(1), Row(3)])
    tail.take()
    clock.now += 2.5
    assert ids(tail.take()) == [3]
    assert 2 in tail.due_gaps()
    assert tail.unseen_at_or_below(tail.horizon) == [2]


def test_a_very_late_row_is_released_as_late():
    tail, clock = make_tail()
    tail.add([Row(1), Row(3)])
    clock.now += 3.0
    tail.take()
    clock.now += 60.0
    assert ids(tail.fill([Row(2)])) == [2]
    assert tail.unseen_at_or_below(tail.horizon) == []


def test_gaps_expire_after_their_ttl():
    tail, clock = make_tail()
    tail.add([Row(1), Row(3)])
    clock.now += 601.0
    assert tail.due_gaps() == []
    assert ids(tail.take()) == [1, 3]


def test_rows_already_read_are_ignored():
    tail, _ = make_tail(start=5)
    tail.add([Row(4), Row(5), Row(6)])
    assert ids(tail.take()) == [6]


def test_a_huge_jump_watches_a_bounded_number_of_gaps():
    tail, _ = make_tail()
    tail.add([Row(1), Row(50_000)])
    assert len(tail.gaps) <= 1000
