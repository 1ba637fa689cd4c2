"""np.linalg.solve without its per-call overhead (the LM loop's rare LAPACK hand-back,
station.fit.solver.fit_frame)."""
from __future__ import annotations

import numpy as np

try:   # np.linalg.solve's own LAPACK call, without its per-call checks and wrapping (~30 us)
    from numpy.linalg import _umath_linalg
    _SOLVE1 = _umath_linalg.solve1
except (ImportError, AttributeError):   # pragma: no cover (another NumPy)
    _SOLVE1 = None


def solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.linalg.solve(A, b) for float64 A (n, n), b (n,): the same result, or its
    LinAlgError for a singular A (the fast call gives NaN then, and the checked one runs)."""
    if _SOLVE1 is not None:
        with np.errstate(all="ignore"):
            x = _SOLVE1(A, b, signature="dd->d")
        if np.isfinite(x).all():
            return x
    return np.linalg.solve(A, b)
