"""numba kernels the fit's Levenberg-Marquardt evaluation and loop
(station.fit._kernels_lm_loop) are built from, besides the energy kernels
(station.fit._kernels_energy):

  implement_ends      the numba twin of station.fit.solver.implement_ends
  damped_step         the damped, clamped LM step (Cholesky; LAPACK's solve is the fallback)
  dot3                a 3-vector dot product as NumPy's `a @ b` computes it
  numpy_sum           NumPy's pairwise sum

The evaluation itself (the energy, then the rows only for an accepted trial) and the LM loop
are station.fit._kernels_lm_loop's.

Bit-identical to the NumPy glue they replaced: where that glue reduced with NumPy, the same
reduction: dot3 is `a @ b` of two 3-vectors as NumPy's OpenBLAS computes it (fused
multiply-adds in order; checked against NumPy on this machine's build), numpy_sum is NumPy's
pairwise float64 sum. House style as station.fit._kernels (pure functions on arrays, outputs
preallocated); NumPy twins in station.fit.reference and station.fit.solver, compared by
tests/fit/test_kernels.py.
"""
from __future__ import annotations

import math

import numba as nb

from station.fit._kernels_geometry import _fma

# implement codes of implement_ends (station.fit.solver.implement_layout's implements)
NO_IMPLEMENT, BAR, KETTLEBELL, DUMBBELLS = 0, 1, 2, 3


@nb.njit(cache=True, nogil=True)
def dot3(a0, a1, a2, b0, b1, b2):
    """The dot product of two 3-vectors as NumPy's `a @ b` computes it here (OpenBLAS's
    ddot: fused multiply-adds in order), so the kernels reproduce the solver's NumPy glue
    to the bit (tests/fit/test_kernels.py checks the two agree)."""
    return _fma(a2, b2, _fma(a1, b1, a0 * b0))


@nb.njit(cache=True, nogil=True)
def implement_ends(ca, cb, seg_R, n_cap, kind, hand_l, hand_r, upper_arm_l, upper_arm_r,
                   bar_half_length_m, bell_drop_m, dumbbell_half_length_m):
    """The implement's capsule ends into ca[n_cap:], cb[n_cap:] from the posed body
    capsules (floor frame), as station.fit.solver.implement_ends computes them (its NumPy
    twin): kind BAR a bar through the grips, KETTLEBELL a bell below them in line with
    the arms, DUMBBELLS one across each hand along the pelvis's left axis."""
    if kind == NO_IMPLEMENT:
        return
    gl0 = 0.5 * (ca[hand_l, 0] + cb[hand_l, 0])
    gl1 = 0.5 * (ca[hand_l, 1] + cb[hand_l, 1])
    gl2 = 0.5 * (ca[hand_l, 2] + cb[hand_l, 2])
    gr0 = 0.5 * (ca[hand_r, 0] + cb[hand_r, 0])
    gr1 = 0.5 * (ca[hand_r, 1] + cb[hand_r, 1])
    gr2 = 0.5 * (ca[hand_r, 2] + cb[hand_r, 2])
    if kind == BAR:
        d0, d1, d2 = gl0 - gr0, gl1 - gr1, gl2 - gr2
        n = math.sqrt(dot3(d0, d1, d2, d0, d1, d2))
        if n > 1e-6:
            d0, d1, d2 = d0 / n, d1 / n, d2 / n
        else:
            d0, d1, d2 = 1.0, 0.0, 0.0
        m0, m1, m2 = 0.5 * (gl0 + gr0), 0.5 * (gl1 + gr1), 0.5 * (gl2 + gr2)
        L = bar_half_length_m
        ca[n_cap, 0], ca[n_cap, 1], ca[n_cap, 2] = m0 + L * d0, m1 + L * d1, m2 + L * d2
        cb[n_cap, 0], cb[n_cap, 1], cb[n_cap, 2] = m0 - L * d0, m1 - L * d1, m2 - L * d2
        return
    if kind == KETTLEBELL:
        s0 = 0.5 * (ca[upper_arm_l, 0] + ca[upper_arm_r, 0])
        s1 = 0.5 * (ca[upper_arm_l, 1] + ca[upper_arm_r, 1])
        s2 = 0.5 * (ca[upper_arm_l, 2] + ca[upper_arm_r, 2])
        m0, m1, m2 = 0.5 * (gl0 + gr0), 0.5 * (gl1 + gr1), 0.5 * (gl2 + gr2)
        d0, d1, d2 = m0 - s0, m1 - s1, m2 - s2
        n = math.sqrt(dot3(d0, d1, d2, d0, d1, d2))
        if n > 1e-6:
            d0, d1, d2 = d0 / n, d1 / n, d2 / n
        else:
            d0, d1, d2 = 0.0, 0.0, -1.0
        c0, c1, c2 = m0 + bell_drop_m * d0, m1 + bell_drop_m * d1, m2 + bell_drop_m * d2
        ca[n_cap, 0], ca[n_cap, 1], ca[n_cap, 2] = c0, c1, c2
        cb[n_cap, 0], cb[n_cap, 1], cb[n_cap, 2] = c0, c1, c2
        return
    # DUMBBELLS
    l0, l1, l2 = seg_R[0, 0, 1], seg_R[0, 1, 1], seg_R[0, 2, 1]
    for k in range(2):
        cap = hand_l if k == 0 else hand_r
        g0, g1, g2 = (gl0, gl1, gl2) if k == 0 else (gr0, gr1, gr2)
        a0 = cb[cap, 0] - ca[cap, 0]
        a1 = cb[cap, 1] - ca[cap, 1]
        a2 = cb[cap, 2] - ca[cap, 2]
        na = max(math.sqrt(dot3(a0, a1, a2, a0, a1, a2)), 1e-9)
        a0, a1, a2 = a0 / na, a1 / na, a2 / na
        la = dot3(l0, l1, l2, a0, a1, a2)
        L0, L1, L2 = l0 - la * a0, l1 - la * a1, l2 - la * a2
        nL = math.sqrt(dot3(L0, L1, L2, L0, L1, L2))
        if nL > 1e-6:
            L0, L1, L2 = L0 / nL, L1 / nL, L2 / nL
        else:
            L0, L1, L2 = l0, l1, l2
        h = dumbbell_half_length_m
        ca[n_cap + k, 0], ca[n_cap + k, 1], ca[n_cap + k, 2] = g0 + h * L0, g1 + h * L1, g2 + h * L2
        cb[n_cap + k, 0], cb[n_cap + k, 1], cb[n_cap + k, 2] = g0 - h * L0, g1 - h * L1, g2 - h * L2


@nb.njit(cache=True, nogil=True)
def _pairwise_block(a, lo, n):
    """a[lo:lo + n].sum() for n <= 128 as NumPy sums a contiguous float64 block: in order
    below 8 elements, else eight partial sums combined pairwise, then the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    m = n - n % 8
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


# NumPy halves a longer array (the first half a multiple of 8) and adds the halves' sums.
# Written out per level, not recursively: numba's cache loads a self-recursive function
# into a crash. Four levels cover 1024 elements (the fit's arrays are below 128).
@nb.njit(cache=True, nogil=True)
def _pairwise_256(a, lo, n):
    if n <= 128:
        return _pairwise_block(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_block(a, lo, n2) + _pairwise_block(a, lo + n2, n - n2)


@nb.njit(cache=True, nogil=True)
def _pairwise_512(a, lo, n):
    if n <= 128:
        return _pairwise_block(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_256(a, lo, n2) + _pairwise_256(a, lo + n2, n - n2)


@nb.njit(cache=True, nogil=True)
def _pairwise_1024(a, lo, n):
    if n <= 128:
        return _pairwise_block(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_512(a, lo, n2) + _pairwise_512(a, lo + n2, n - n2)


@nb.njit(cache=True, nogil=True)
def _pairwise_2048(a, lo, n):
    if n <= 128:
        return _pairwise_block(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_1024(a, lo, n2) + _pairwise_1024(a, lo + n2, n - n2)


@nb.njit(cache=True, nogil=True)
def numpy_sum(a):
    """a.sum() of a contiguous 1-D float64 array of at most 1024 elements, NumPy's way
    (pairwise, _pairwise_block), so the energy matches the solver's NumPy to the bit."""
    if a.shape[0] > 1024:
        raise ValueError("numpy_sum: more than 1024 elements")
    return 0.0 + _pairwise_2048(a, 0, a.shape[0])


@nb.njit(cache=True, nogil=True)
def damped_step(A, b, lam, step_lo, step_hi, L, out_delta):
    """The LM step: out_delta = -(A + lam diag(diag(A) + 1e-6))^-1 b, by Cholesky into the
    scratch L (n, n), then clamped per DOF to [step_lo, step_hi]. Returns False (out_delta
    unspecified) when the damped matrix is not numerically positive definite: the solver
    then takes its LAPACK path. For the 32-DOF system this is ~5 us where NumPy's solve
    call costs ~30 us of wrapping."""
    n = A.shape[0]
    for i in range(n):
        for j in range(i + 1):
            s = A[i, j]
            if i == j:
                s += lam * (A[i, i] + 1e-6)
            for k in range(j):
                s -= L[i, k] * L[j, k]
            if i == j:
                if not s > 0.0:
                    return False
                L[i, i] = math.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    # L y = -b, then L^T x = y
    for i in range(n):
        s = -b[i]
        for k in range(i):
            s -= L[i, k] * out_delta[k]
        out_delta[i] = s / L[i, i]
    for i in range(n - 1, -1, -1):
        s = out_delta[i]
        for k in range(i + 1, n):
            s -= L[k, i] * out_delta[k]
        out_delta[i] = s / L[i, i]
    for i in range(n):
        if not math.isfinite(out_delta[i]):
            return False
        out_delta[i] = min(max(out_delta[i], step_lo[i]), step_hi[i])
    return True
