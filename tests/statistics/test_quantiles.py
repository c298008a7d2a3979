"""Quantiles by linear interpolation, worked out by hand."""

from __future__ import annotations

import pytest

from safeguard.statistics.quantiles import quantile


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5


def test_the_90th_percentile_interpolates_between_ranks() -> None:
    # Ten values 1..10: rank (10 - 1) * 0.9 = 8.1, between 9 and 10.
    assert quantile([float(v) for v in range(1, 11)], 0.9) == pytest.approx(9.1)
    assert quantile([5.0], 0.9) == 5.0


def test_no_values_or_a_bad_quantile_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)
    with pytest.raises(ValueError, match="not a quantile"):
        quantile([1.0], 1.5)
