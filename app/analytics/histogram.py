"""Durations counted in buckets, and percentiles read back from the counts, to a stated precision.

Why: the median and 90th percentile of a season's step times are order statistics of ~400,000
values per step; sorting them per request costs more than a page may. Counted in buckets whose
width is PRECISION of their lower bound (one second below 100 s), a season is a few tens of
thousands of (bucket, count) rows, which add up in any order: per company month they are
kept with the tickets (app.analytics.step_times), and the days of a period outside whole months
are counted live, in the same buckets.

Reading a percentile back follows PostgreSQL's percentile_cont (position f·(n−1), linear
interpolation between the two values on either side), with each value taken as spread evenly
over its bucket. The result is within one bucket of the exact one: within PRECISION (2 %) of it,
and exact below 100 s, where the buckets are one second wide.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from typing import Mapping, Sequence

from sqlalchemy import ColumnElement, Float, Integer, case, cast, func, literal

PRECISION = 0.02  # the widest bucket, relative to its lower bound (changing it needs the month rows refilled)
EXACT_BELOW = 100  # seconds: one bucket per second below this, where PRECISION would be under a second
LARGEST = 2**31 - 1  # the largest stored seconds value (a 32-bit integer column)
_STEP = math.log(1 + PRECISION)


def bucket_of(seconds: int) -> int:
    """The bucket a whole number of seconds (0 or more) falls in: the seconds themselves below
    EXACT_BELOW, then one bucket per factor 1 + PRECISION.

    PostgreSQL counts the same buckets with the same double-precision arithmetic
    (`bucket_sql`), so a duration lands in the same bucket whichever side counts it."""
    if seconds < 0:
        raise ValueError("a duration is not negative")
    if seconds < EXACT_BELOW:
        return seconds
    return EXACT_BELOW + math.floor(math.log(seconds / EXACT_BELOW) / _STEP)


def bucket_sql(seconds: ColumnElement[int]) -> ColumnElement[int]:
    """`bucket_of` as a SQL expression on an integer column (PostgreSQL: ln() of double precision)."""
    scaled = cast(seconds, Float) / literal(float(EXACT_BELOW), Float)
    return case((seconds < EXACT_BELOW, seconds),
                else_=EXACT_BELOW + cast(func.floor(func.ln(scaled) / literal(_STEP, Float)), Integer))


def bucket_sql_text(column: str) -> str:
    """The same as plain PostgreSQL text, for a migration's INSERT … SELECT (repr() of a float
    reads back as the very same double)."""
    return (f"CASE WHEN {column} < {EXACT_BELOW} THEN {column} ELSE {EXACT_BELOW} + "
            f"floor(ln({column}::float8 / {float(EXACT_BELOW)!r}::float8) / {_STEP!r}::float8)::integer END")


def _bounds() -> tuple[int, ...]:
    """Each bucket's lowest whole second, found from `bucket_of` itself so the two always agree."""
    bounds = list(range(EXACT_BELOW))
    bucket, low = EXACT_BELOW, EXACT_BELOW
    while low <= LARGEST:
        bounds.append(low)
        bucket += 1
        low = max(low + 1, math.floor(EXACT_BELOW * (1 + PRECISION) ** (bucket - EXACT_BELOW)) - 2)
        while bucket_of(low) < bucket:
            low += 1
    return tuple(bounds)


BOUNDS = _bounds()  # bucket i holds the whole seconds in [BOUNDS[i], BOUNDS[i + 1])


def bucket_range(bucket: int) -> tuple[int, int]:
    """The whole seconds a bucket holds: [low, high)."""
    return BOUNDS[bucket], BOUNDS[bucket + 1] if bucket + 1 < len(BOUNDS) else LARGEST + 1


def percentile(counts: Mapping[int, int], fraction: float) -> float | None:
    """The `fraction` (0–1) percentile of the counted values, as percentile_cont would give it over
    the values themselves (to within a bucket); None when nothing was counted."""
    return percentiles(counts, (fraction,))[0]


def percentiles(counts: Mapping[int, int], fractions: Sequence[float]) -> list[float | None]:
    """Several percentiles of the same counts, in one pass over the buckets."""
    if any(not 0 <= f <= 1 for f in fractions):
        raise ValueError("fraction must be between 0 and 1")
    buckets = sorted((b, n) for b, n in counts.items() if n > 0)
    total = sum(n for _, n in buckets)
    if not total:
        return [None for _ in fractions]
    starts, seen = [], 0  # the rank of each bucket's first value
    for _, n in buckets:
        starts.append(seen)
        seen += n

    def value(rank: int) -> float:
        i = bisect_right(starts, rank) - 1
        bucket, n = buckets[i]
        low, high = bucket_range(bucket)
        # the bucket's n whole-second values spread evenly over [low, high): exact when it is one second wide
        return min(max(low + (rank - starts[i] + 0.5) * (high - low) / n - 0.5, low), high - 1)

    results: list[float | None] = []
    for fraction in fractions:
        position = fraction * (total - 1)
        below = math.floor(position)
        above = min(below + 1, total - 1)
        low_value = value(below)
        results.append(low_value + (position - below) * (value(above) - low_value))
    return results
