"""numba kernels of the skeleton fitter on the frame's images and point lists: the mask's
distance transform (nearest mask pixel) and the points' deterministic subsampling.

House style as station.fit._kernels (pure functions on arrays, outputs preallocated, NumPy
twins of the same name in station.fit.reference compared by tests/fit/test_kernels.py).
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _edt_1d_runs(pos, f, m, n, v, zn, zd, out_run_arg, out_run_end):
    """Felzenszwalb-Huttenlocher lower envelope of the parabolas f[i] + (x - pos[i])^2,
    i < m (pos increasing, f integer >= 0), at every x in 0..n-1, in exact integer
    arithmetic: the breakpoints are fractions zn / zd (zd > 0), so no float division and no
    rounding. The nearest pos along 0..n-1 as runs: x up to out_run_end[r] (inclusive,
    after the previous run's end) has out_run_arg[r] (of equally near ones, as the
    envelope's order decides); returns the number of runs (0 when m = 0). Only the samples
    are walked, not the empty positions, and a run is one value for many x."""
    if m == 0:
        return 0
    k = 0
    v[0] = 0
    for i in range(1, m):
        q = pos[i]
        fq = f[i] + q * q
        while True:
            j = v[k]
            p = pos[j]
            num = fq - (f[j] + p * p)
            den = 2 * (q - p)
            # breakpoint num / den <= z[k] (z[0] = -inf): parabola p is hidden
            if k > 0 and num * zd[k] <= zn[k] * den:
                k -= 1
            else:
                break
        k += 1
        v[k] = i
        zn[k] = num
        zd[k] = den
    # parabola kk is the nearest at the integers q with z[kk] < q <= z[kk + 1]: its run
    # ends at floor(z[kk + 1]) (the last parabola's at n - 1); runs are written in order
    q0 = 0
    r = 0
    for kk in range(k + 1):
        end = n - 1 if kk == k else min(zn[kk + 1] // zd[kk + 1], n - 1)
        if end >= q0:
            out_run_arg[r] = pos[v[kk]]
            out_run_end[r] = end
            r += 1
            q0 = end + 1
    return r


@nb.njit(cache=True, nogil=True)
def mask_extent(mask):
    """(v_first, v_end, u_first, u_end): the rows v_first..v_end - 1 and columns
    u_first..u_end - 1 that hold the mask's True pixels ((0, 0, 0, 0) when it has none).
    One pass of ORs, row by row, that vectorises: the kernels below then walk the person's
    box, not the whole image (the person covers ~4% of it)."""
    h, w = mask.shape
    col_any = np.zeros(w, np.bool_)
    v_first, v_end = h, 0
    for v in range(h):
        row_any = False
        for u in range(w):
            m = mask[v, u]
            col_any[u] |= m
            row_any |= m
        if row_any:
            v_first = min(v_first, v)
            v_end = v + 1
    if v_end == 0:
        return 0, 0, 0, 0
    u_first, u_end = w, 0
    for u in range(w):
        if col_any[u]:
            u_first = min(u_first, u)
            u_end = u + 1
    return v_first, v_end, u_first, u_end


@nb.njit(cache=True, nogil=True)
def distance_transform_nearest(mask, out_dist2, out_near_u, out_near_v):
    """Exact squared Euclidean distance (pixels) to the nearest True pixel, and that pixel.

    mask (h, w) bool. out_dist2 (h, w) float64, out_near_u/out_near_v (h, w) int32;
    inf / -1 everywhere when the mask is empty. Ties may pick any of the nearest pixels.
    out_dist2 may be empty ((0, 0)): then only the nearest pixels are written (the fit
    reads no distance, and not writing 8 bytes a pixel saves a tenth of the time).
    """
    h, w = mask.shape
    with_dist = out_dist2.size > 0
    # pass 1: along columns (v), nearest masked row in the same column
    # (row by row, every column at once: the image is row-major), in the columns that
    # have a mask pixel only (mask_extent): pass 2 reads no other
    _, _, u0, u1 = mask_extent(mask)
    colv = np.empty((h, w), dtype=np.int32)
    last = np.full(w, -1, dtype=np.int32)
    for v in range(h):
        for u in range(u0, u1):
            if mask[v, u]:
                last[u] = v
            colv[v, u] = last[u]
    nxt = last   # reused: the nearest masked row below, going up
    nxt[:] = -1
    for v in range(h - 1, -1, -1):
        for u in range(u0, u1):
            if mask[v, u]:
                nxt[u] = v
            best = colv[v, u]
            if nxt[u] >= 0 and (best < 0 or (nxt[u] - v) < (v - best)):
                best = nxt[u]
            colv[v, u] = best
    # pass 2: along rows, lower envelope over u' (integer squared distances), of the
    # columns with a mask pixel only (the same in every row: the others have no sample)
    n = w
    cols = np.empty(n, dtype=np.int64)
    m = 0
    for u in range(u0, u1):
        if colv[0, u] >= 0:
            cols[m] = u
            m += 1
    f = np.empty(n, dtype=np.int64)
    vv = np.empty(n, dtype=np.int64)
    zn = np.empty(n + 1, dtype=np.int64)
    zd = np.empty(n + 1, dtype=np.int64)
    run_arg = np.empty(n, dtype=np.int64)
    run_end = np.empty(n, dtype=np.int64)
    for v in range(h):
        for i in range(m):
            c = colv[v, cols[i]]
            f[i] = (v - c) * (v - c)
        n_runs = _edt_1d_runs(cols, f, m, n, vv, zn, zd, run_arg, run_end)
        if n_runs == 0:   # an empty mask
            for u in range(w):
                if with_dist:
                    out_dist2[v, u] = np.inf
                out_near_u[v, u] = -1
                out_near_v[v, u] = -1
            continue
        u0 = 0
        for r in range(n_runs):
            a = run_arg[r]
            c = colv[v, a]
            for u in range(u0, run_end[r] + 1):
                out_near_u[v, u] = a
                out_near_v[v, u] = c
            if with_dist:
                for u in range(u0, run_end[r] + 1):
                    du = u - a
                    out_dist2[v, u] = float(du * du + (v - c) * (v - c))
            u0 = run_end[r] + 1


@nb.njit(cache=True, nogil=True)
def subsample_indices(n_points, max_points, out_idx):
    """Deterministic even stride over n_points; returns how many of out_idx were written."""
    if n_points <= max_points:
        for i in range(n_points):
            out_idx[i] = i
        return n_points
    step = n_points / max_points
    for i in range(max_points):
        out_idx[i] = int(i * step)
    return max_points


@nb.njit(cache=True, nogil=True)
def second_differences(depth_m, mask, out):
    """|d[i-1] - 2 d[i] + d[i+1]| along rows, then along columns, over every run of three
    pixels inside the mask with finite positive depth (float64); returns how many of out
    ((2 h w,) float64) were written."""
    # only inside the mask's box: the values, and their order, of a pass over every pixel
    v0, v1, u0, u1 = mask_extent(mask)
    n = 0
    for v in range(v0, v1):
        for u in range(u0, u1 - 2):
            a = np.float64(depth_m[v, u])
            b = np.float64(depth_m[v, u + 1])
            c = np.float64(depth_m[v, u + 2])
            if (mask[v, u] and mask[v, u + 1] and mask[v, u + 2] and np.isfinite(a) and a > 0
                    and np.isfinite(b) and b > 0 and np.isfinite(c) and c > 0):
                out[n] = abs(a - 2.0 * b + c)
                n += 1
    for v in range(v0, v1 - 2):
        for u in range(u0, u1):
            a = np.float64(depth_m[v, u])
            b = np.float64(depth_m[v + 1, u])
            c = np.float64(depth_m[v + 2, u])
            if (mask[v, u] and mask[v + 1, u] and mask[v + 2, u] and np.isfinite(a) and a > 0
                    and np.isfinite(b) and b > 0 and np.isfinite(c) and c > 0):
                out[n] = abs(a - 2.0 * b + c)
                n += 1
    return n


@nb.njit(cache=True, nogil=True)
def window_residual_ss(depth_m, mask, hat_resid, step, spacing, out):
    """Each window of 5 x 5 samples `spacing` pixels apart whose samples are all inside the
    mask with finite positive depth (float64), its origin every `step` pixels from the mask
    box's corner, row by row: the sum of squares of hat_resid (25, 25) times its samples
    (row-major), the residual of a least-squares surface (station.fit.noise). Returns how many
    of out ((h w,) float64) were written."""
    v0, v1, u0, u1 = mask_extent(mask)
    ext = 4 * spacing + 1
    d = np.empty(25)
    n = 0
    for v in range(v0, v1 - ext + 1, step):
        for u in range(u0, u1 - ext + 1, step):
            ok = True
            k = 0
            for i in range(5):
                for j in range(5):
                    x = np.float64(depth_m[v + i * spacing, u + j * spacing])
                    if not (mask[v + i * spacing, u + j * spacing] and np.isfinite(x) and x > 0):
                        ok = False
                        break
                    d[k] = x
                    k += 1
                if not ok:
                    break
            if not ok:
                continue
            ss = 0.0
            for i in range(25):
                r = 0.0
                for j in range(25):
                    r += hat_resid[i, j] * d[j]
                ss += r * r
            out[n] = ss
            n += 1
    return n


@nb.njit(cache=True, nogil=True)
def median_head(values, n):
    """np.median(values[:n]) (n >= 1): the middle order statistic, or the mean of the two
    middle ones ((a + b) / 2, as NumPy's mean of two), the same value to the bit; values
    is not changed. For the depth noise (station.fit.noise): NumPy's median call costs
    more than its selection on a few thousand values."""
    return np.median(values[:n])
