"""Durations counted in buckets: percentiles read back within the stated precision of the exact ones."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, strategies as st

from app.analytics.histogram import BOUNDS, LARGEST, PRECISION, bucket_of, bucket_range, percentile, percentiles
from tests.percentile_cont import percentile_cont

durations = st.lists(st.one_of(st.integers(0, 600), st.integers(0, 40 * 86400)), min_size=1, max_size=300)
fractions = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])


def counted(values: list[int]) -> Counter:
    return Counter(bucket_of(v) for v in values)


@given(st.integers(0, LARGEST))
def test_every_duration_falls_in_the_bucket_whose_range_holds_it(seconds):
    low, high = bucket_range(bucket_of(seconds))

    assert low <= seconds < high


def test_two_durations_in_one_bucket_differ_by_at_most_the_precision_and_are_equal_below_100_seconds():
    for bucket in range(len(BOUNDS) - 1):
        low, high = bucket_range(bucket)
        assert high - 1 - low == 0 if low < 100 else high - 1 - low <= PRECISION * low


@given(durations, fractions)
def test_a_percentile_is_within_the_precision_of_percentile_cont_over_the_values(values, fraction):
    exact = percentile_cont(values, fraction)

    assert percentile(counted(values), fraction) == pytest.approx(exact, rel=PRECISION, abs=1e-9)


@given(st.lists(st.integers(0, 99), min_size=1, max_size=100), fractions)
def test_below_100_seconds_a_percentile_is_exact(values, fraction):
    assert percentile(counted(values), fraction) == pytest.approx(percentile_cont(values, fraction))


def test_the_median_of_four_interpolates_between_the_middle_two():
    assert percentile(counted([10, 20, 30, 90]), 0.5) == 25
    assert percentile(counted([10, 20, 30, 90]), 0.9) == pytest.approx(30 + 0.7 * 60)


def test_nothing_counted_has_no_percentile():
    assert percentiles(Counter(), (0.5, 0.9)) == [None, None]
    assert percentile(Counter({bucket_of(60): 0}), 0.5) is None


def test_a_negative_duration_or_fraction_is_refused():
    with pytest.raises(ValueError):
        bucket_of(-1)
    with pytest.raises(ValueError):
        percentile(counted([1]), 1.5)


def test_postgresql_counts_every_duration_in_the_same_bucket(ctx):
    from sqlalchemy import Integer, column, select, values

    from app.analytics.histogram import bucket_sql
    from app.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the live buckets are counted by SQL on PostgreSQL only; SQLite counts them in Python")
    # every bucket's first and last second, and the seconds on either side of them
    durations = sorted({max(0, min(LARGEST, b + d)) for b in BOUNDS for d in (-1, 0, 1)})
    table = values(column("seconds", Integer), name="durations").data([(s,) for s in durations])
    in_sql = db.session.execute(select(table.c.seconds, bucket_sql(table.c.seconds))).all()

    assert {s: b for s, b in in_sql} == {s: bucket_of(s) for s in durations}
