"""Medians and percentiles of durations, as the dashboard publishes them."""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantile(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0 to 1) by linear interpolation between the closest ranks (as
    PostgreSQL's `percentile_cont` and numpy's default do), so the median of an even number of
    values is the mean of the middle two. `ValueError` for no values."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 1:
        raise ValueError(f"not a quantile: {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])
