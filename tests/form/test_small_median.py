"""live_rep.small_median (the live spine hold's median, every frame) against np.median."""
import math

import numpy as np
import pytest

from station.form.live_rep import small_median


@pytest.mark.parametrize("n", range(1, 16))
def test_small_median_is_numpys_value(n):
    rng = np.random.default_rng(n)
    for _ in range(300):
        x = list(rng.normal(size=n) * 10.0 ** rng.uniform(-3, 3))
        for z in (-0.0, 0.0):   # NumPy's mean sums from 0.0: a -0.0 median comes out 0.0
            if rng.random() < 0.3:
                x[int(rng.integers(n))] = z
        got, want = small_median(x), float(np.median(x))
        assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want), x


def test_small_median_of_signed_zeros_and_nan():
    assert math.copysign(1.0, small_median([-0.0])) == 1.0
    assert math.copysign(1.0, small_median([-0.0, -0.0])) == 1.0
    assert math.isnan(small_median([1.0, math.nan, 2.0]))
    assert math.isnan(float(np.median([1.0, math.nan, 2.0])))
    assert small_median([3.0, 1.0, 2.0, 10.0]) == 2.5
