"""``Distribution.of``: durations counted into cumulative buckets as Prometheus shows them
(the database's own counting is tested through the stores and /metrics)."""

from __future__ import annotations

from webapp.durations import Distribution


def test_a_value_on_a_bound_counts_in_that_bucket_and_every_later_one():
    dist = Distribution.of([0.5, 1.0, 3.0], bounds=(0.5, 1.0, 2.0))
    assert dist.buckets == (1, 2, 2)
    assert dist.count == 3
    assert dist.total == 4.5


def test_a_value_past_every_bound_is_only_in_the_count():
    dist = Distribution.of([100.0], bounds=(1.0, 10.0))
    assert (dist.buckets, dist.count) == ((0, 0), 1)


def test_a_negative_duration_from_a_clock_step_counts_in_the_first_bucket():
    dist = Distribution.of([-0.2], bounds=(0.1,))
    assert (dist.buckets, dist.total) == ((1,), 0.0)


def test_no_values_is_an_empty_distribution():
    assert Distribution.of([], bounds=(1.0,)) == Distribution((1.0,), (0,), 0, 0.0)
