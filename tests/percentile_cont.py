"""Exact percentiles with PostgreSQL's `percentile_cont` definition: the yardstick the reports'
histogram percentiles (app.analytics.histogram) are tested against.

percentile_cont(f) over n sorted values v[0..n-1] takes the position f·(n−1) and interpolates
linearly between the two values on either side of it; so the median of 1, 2, 3, 10 is 2.5 and
the 90th percentile is 3 + 0.7·(10 − 3) = 7.9.
"""
from __future__ import annotations

import math
from typing import Iterable


def percentile_cont(values: Iterable[float], fraction: float) -> float | None:
    """The `fraction` (0–1) percentile of `values` by linear interpolation; None if there are none."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])
