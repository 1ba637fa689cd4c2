"""station.app.rounded_list (the analysis document's rounding, vectorised) gives exactly
Python's round(float(x), nd): on ordinary values, on exact decimal ties and the doubles
next to them (where x * 10^nd's own rounding can cross the half), and on signed zeros and
non-finite values."""
from __future__ import annotations

import math

import numpy as np

from station.app import rounded_list


def _same(a: list, b: list) -> bool:
    return all((math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))
               for x, y in zip(a, b)) and len(a) == len(b)


def test_rounded_list_is_pythons_round():
    rng = np.random.default_rng(0)
    for nd in (3, 5, 6):
        scale = 10 ** nd
        ties = (rng.integers(-10 ** 6, 10 ** 6, 4000) + 0.5) / scale     # k.5 / 10^nd, as doubles
        near = np.concatenate([np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf),
                               np.nextafter(np.nextafter(ties, np.inf), np.inf)])
        values = np.concatenate([
            rng.normal(0, 2, 20000), rng.uniform(-1e-5, 1e-5, 2000), rng.uniform(0, 1, 2000),
            ties, near, [0.0, -0.0, -1e-9, 1e-9, 2.675, 0.125, -0.125, 1e300, -1e300, 1e305, -1e307,
                         np.inf, -np.inf, np.nan]])
        got = rounded_list(values, nd)
        want = [round(float(v), nd) for v in values]
        assert _same(got, want), nd
        # the shapes the analysis document rounds: (17, 3) joints and (17,) confidences
        pts = rng.normal(0, 1.5, (17, 3))
        assert _same(rounded_list(pts, nd), [round(v, nd) for v in pts.ravel().tolist()])
