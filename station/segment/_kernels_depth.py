"""Numba kernels of the segmenter's first step: the raw depth image decimated (min or median of
the valid samples of each block) and back-projected to points in the camera frame.

House style as :mod:`station.segment._kernels` (re-exported there; NumPy twins in
:mod:`station.segment.reference`, compared by tests/segment).
"""
from __future__ import annotations

import numba as nb
import numpy as np

_JIT = dict(cache=True, nogil=True)

# --------------------------------------------------------------------------- decimation

@nb.njit(**_JIT)
def decimate_min_valid(depth_raw_u16, depth_units_m, factor, min_valid, out_depth_m):
    """Nearest valid depth of each factor x factor block (0 if fewer than min_valid valid).

    depth_raw_u16: (H, W) uint16; out_depth_m: (H // factor, W // factor) float32.
    Rows are read in order and the inner loops are branch-free (0 maps to 65535 by the
    uint16 wrap of val - 1), so they vectorise.
    """
    h, w = out_depth_m.shape
    best = np.empty(w, dtype=np.uint16)
    count = np.empty(w, dtype=np.int32)
    one = np.uint16(1)
    for v in range(h):
        best[:] = np.uint16(65535)
        count[:] = 0
        for dv in range(factor):
            row = depth_raw_u16[v * factor + dv]
            for du in range(factor):
                for u in range(w):
                    val = row[u * factor + du]
                    best[u] = min(best[u], np.uint16(val - one))  # 0 -> 65535: last
                    count[u] += np.int32(val > 0)
        for u in range(w):
            if count[u] >= min_valid and count[u] > 0:
                out_depth_m[v, u] = np.float32((np.int32(best[u]) + 1) * depth_units_m)
            else:
                out_depth_m[v, u] = np.float32(0.0)


@nb.njit(**_JIT)
def decimate_median_valid(depth_raw_u16, depth_units_m, factor, min_valid, same_surface_m,
                          network, out_depth_m, pad_to=32):
    """Median of the valid depths of each factor x factor block.

    With an even count of valid samples the median is the mean of the two middle ones when
    they lie within same_surface_m of each other (one surface). Else it is the lower one,
    one of the block's own samples, so a block straddling an edge takes the near or the far
    surface, never a "flying" depth between them. The lower middle alone, on a surface,
    reads nearer than the surface by ~0.08 of the sensor's depth noise (the 8th of 16
    samples): the mesh library's lifters 2.8 mm at its noise, 5 mm at twice it, a whole
    body placed that much nearer the camera. Blocks with fewer than min_valid valid
    samples are 0. network: (m, 2) int32 compare-exchange pairs of a sorting
    network for a power of two >= factor² (segmenter.sorting_network); the block's samples
    are sorted by it across a whole output row at once, invalid samples last (0 -> 65535).
    """
    h, w = out_depth_m.shape
    raw = np.ascontiguousarray(depth_raw_u16)   # (a view when it is already)
    nn = 1
    while nn < factor * factor:
        nn *= 2
    # the network runs across a row of blocks padded to a multiple of pad_to columns (65535,
    # never read): the vectorised loop then has no scalar remainder (212 blocks at 848 px
    # left 20 columns to scalar code, ~15 % of the kernel)
    wp = (w + pad_to - 1) // pad_to * pad_to
    buf = np.full((nn, wp), np.uint16(65535))
    count = np.empty(w, dtype=np.int32)
    one = np.uint16(1)
    for v in range(h):
        for k in range(factor * factor, nn):   # the network's padding: sorted last
            for u in range(w):
                buf[k, u] = np.uint16(65535)
        count[:] = 0
        for dv in range(factor):
            row = raw[v * factor + dv]
            if factor == 4:
                # the station's decimation: a block row's four samples read together (a
                # fixed stride the compiler vectorises), the same values as the loop below
                r4 = row[:4 * w].reshape((w, 4))
                b0, b1, b2, b3 = buf[4 * dv], buf[4 * dv + 1], buf[4 * dv + 2], buf[4 * dv + 3]
                for u in range(w):
                    x0, x1, x2, x3 = r4[u, 0], r4[u, 1], r4[u, 2], r4[u, 3]
                    b0[u] = np.uint16(x0 - one)
                    b1[u] = np.uint16(x1 - one)
                    b2[u] = np.uint16(x2 - one)
                    b3[u] = np.uint16(x3 - one)
                    count[u] += (np.int32(x0 > 0) + np.int32(x1 > 0) + np.int32(x2 > 0)
                                 + np.int32(x3 > 0))
                continue
            for du in range(factor):
                k = dv * factor + du
                for u in range(w):
                    val = row[u * factor + du]
                    buf[k, u] = np.uint16(val - one)
                    count[u] += np.int32(val > 0)
        for p in range(network.shape[0]):
            ra = buf[network[p, 0]]
            rb = buf[network[p, 1]]
            for u in range(wp):
                x = ra[u]
                y = rb[u]
                ra[u] = min(x, y)
                rb[u] = max(x, y)
        for u in range(w):
            n = count[u]
            if n >= min_valid and n > 0:
                k = (n - 1) // 2
                lo = np.int32(buf[k, u]) + 1
                hi = np.int32(buf[k + 1, u]) + 1 if n % 2 == 0 else lo
                if (hi - lo) * depth_units_m < same_surface_m:
                    out_depth_m[v, u] = np.float32((lo + hi) * 0.5 * depth_units_m)
                else:
                    out_depth_m[v, u] = np.float32(lo * depth_units_m)
            else:
                out_depth_m[v, u] = np.float32(0.0)


@nb.njit(**_JIT)
def decimate_median4_valid(depth_raw_u16, depth_units_m, min_valid, same_surface_m, out_depth_m,
                           intrinsics=None, out_points_cam_m=None):
    """decimate_median_valid for factor 4 (the station's decimation), the same values: each
    column of blocks runs the 16-sample network in registers (straight code below, vectorised
    across the row of blocks) instead of through a 16-row buffer compare-exchange by
    compare-exchange, whose loads and stores cost more than the comparisons.

    The network is Batcher's for 16 (segmenter.sorting_network(16)) pruned to what places
    the 9 smallest: the two middle samples of n <= 16 valid ones are the ((n - 1) // 2)-th
    and the next smallest, at most the 9th; a compare-exchange that feeds none of those
    goes, and one that feeds only its low (high) output keeps only its min (max). Invalid
    samples are 65535 (the uint16 wrap of 0 - 1), sorted last, so the valid count is the
    number of samples below it.

    intrinsics (fx, fy, ppx, ppy) of the decimated image and out_points_cam_m (h, w, 3)
    float32: also back-project each row while it is in cache (backproject's arithmetic).
    """
    h, w = out_depth_m.shape
    raw = np.ascontiguousarray(depth_raw_u16)   # (a view when it is already)
    buf = np.empty((16, w), dtype=np.uint16)
    med_row = np.empty(w, dtype=np.uint16)
    next_row = np.empty(w, dtype=np.uint16)
    count_row = np.empty(w, dtype=np.int16)
    one = np.uint16(1)
    inv = np.uint16(65535)
    # a block row's four samples as one uint64 (little-endian: the first sample in the low
    # bits) when the rows are whole blocks: the stride-4 uint16 reads below compile to scalar
    # code, the shifts to vector code (~-15 % of the kernel)
    as_u64 = raw.shape[1] % 4 == 0
    raw64 = raw.reshape(-1).view(np.uint64) if as_u64 else np.empty(0, np.uint64)
    w64 = raw.shape[1] // 4
    m16 = np.uint64(0xFFFF)
    for v in range(h):
        for dv in range(4):
            b0, b1, b2, b3 = buf[4 * dv], buf[4 * dv + 1], buf[4 * dv + 2], buf[4 * dv + 3]
            if as_u64:
                r = raw64[(v * 4 + dv) * w64:(v * 4 + dv) * w64 + w]
                for u in range(w):
                    x = r[u]
                    b0[u] = np.uint16(np.uint16(x & m16) - one)
                    b1[u] = np.uint16(np.uint16((x >> np.uint64(16)) & m16) - one)
                    b2[u] = np.uint16(np.uint16((x >> np.uint64(32)) & m16) - one)
                    b3[u] = np.uint16(np.uint16(x >> np.uint64(48)) - one)
                continue
            r4 = raw[v * 4 + dv, :4 * w].reshape((w, 4))
            for u in range(w):
                b0[u] = np.uint16(r4[u, 0] - one)
                b1[u] = np.uint16(r4[u, 1] - one)
                b2[u] = np.uint16(r4[u, 2] - one)
                b3[u] = np.uint16(r4[u, 3] - one)
        # the network in 16-bit lanes only (count and median into rows): mixing in the int32
        # count and the float conversion made the compiler use 8 lanes instead of 16
        for u in range(w):
            a0, a1, a2, a3 = buf[0, u], buf[1, u], buf[2, u], buf[3, u]
            a4, a5, a6, a7 = buf[4, u], buf[5, u], buf[6, u], buf[7, u]
            a8, a9, a10, a11 = buf[8, u], buf[9, u], buf[10, u], buf[11, u]
            a12, a13, a14, a15 = buf[12, u], buf[13, u], buf[14, u], buf[15, u]
            n = (np.int16(a0 != inv) + np.int16(a1 != inv) + np.int16(a2 != inv) + np.int16(a3 != inv)
                 + np.int16(a4 != inv) + np.int16(a5 != inv) + np.int16(a6 != inv) + np.int16(a7 != inv)
                 + np.int16(a8 != inv) + np.int16(a9 != inv) + np.int16(a10 != inv) + np.int16(a11 != inv)
                 + np.int16(a12 != inv) + np.int16(a13 != inv) + np.int16(a14 != inv) + np.int16(a15 != inv))
            a0, a1 = min(a0, a1), max(a0, a1)
            a2, a3 = min(a2, a3), max(a2, a3)
            a0, a2 = min(a0, a2), max(a0, a2)
            a1, a3 = min(a1, a3), max(a1, a3)
            a1, a2 = min(a1, a2), max(a1, a2)
            a4, a5 = min(a4, a5), max(a4, a5)
            a6, a7 = min(a6, a7), max(a6, a7)
            a4, a6 = min(a4, a6), max(a4, a6)
            a5, a7 = min(a5, a7), max(a5, a7)
            a5, a6 = min(a5, a6), max(a5, a6)
            a0, a4 = min(a0, a4), max(a0, a4)
            a2, a6 = min(a2, a6), max(a2, a6)
            a2, a4 = min(a2, a4), max(a2, a4)
            a1, a5 = min(a1, a5), max(a1, a5)
            a3, a7 = min(a3, a7), max(a3, a7)
            a3, a5 = min(a3, a5), max(a3, a5)
            a1, a2 = min(a1, a2), max(a1, a2)
            a3, a4 = min(a3, a4), max(a3, a4)
            a5, a6 = min(a5, a6), max(a5, a6)
            a8, a9 = min(a8, a9), max(a8, a9)
            a10, a11 = min(a10, a11), max(a10, a11)
            a8, a10 = min(a8, a10), max(a8, a10)
            a9, a11 = min(a9, a11), max(a9, a11)
            a9, a10 = min(a9, a10), max(a9, a10)
            a12, a13 = min(a12, a13), max(a12, a13)
            a14, a15 = min(a14, a15), max(a14, a15)
            a12, a14 = min(a12, a14), max(a12, a14)
            a13, a15 = min(a13, a15), max(a13, a15)
            a13, a14 = min(a13, a14), max(a13, a14)
            a8, a12 = min(a8, a12), max(a8, a12)
            a10, a14 = min(a10, a14), max(a10, a14)
            a10, a12 = min(a10, a12), max(a10, a12)
            a9, a13 = min(a9, a13), max(a9, a13)
            a11, a15 = min(a11, a15), max(a11, a15)
            a11, a13 = min(a11, a13), max(a11, a13)
            a9, a10 = min(a9, a10), max(a9, a10)
            a11, a12 = min(a11, a12), max(a11, a12)
            a13, a14 = min(a13, a14), max(a13, a14)
            a0, a8 = min(a0, a8), max(a0, a8)
            a4 = min(a4, a12)
            a4, a8 = min(a4, a8), max(a4, a8)
            a2, a10 = min(a2, a10), max(a2, a10)
            a6 = min(a6, a14)
            a6 = min(a6, a10)
            a2, a4 = min(a2, a4), max(a2, a4)
            a6, a8 = min(a6, a8), max(a6, a8)
            a1, a9 = min(a1, a9), max(a1, a9)
            a5 = min(a5, a13)
            a5, a9 = min(a5, a9), max(a5, a9)
            a3, a11 = min(a3, a11), max(a3, a11)
            a7 = min(a7, a15)
            a7 = min(a7, a11)
            a3, a5 = min(a3, a5), max(a3, a5)
            a7 = min(a7, a9)
            a1, a2 = min(a1, a2), max(a1, a2)
            a3, a4 = min(a3, a4), max(a3, a4)
            a5, a6 = min(a5, a6), max(a5, a6)
            a7, a8 = min(a7, a8), max(a7, a8)
            k = np.int16(n - np.int16(1)) >> np.int16(1)   # (n - 1) // 2 (n = 0: -1, unused)
            med = a0
            med = a1 if k == 1 else med
            med = a2 if k == 2 else med
            med = a3 if k == 3 else med
            med = a4 if k == 4 else med
            med = a5 if k == 5 else med
            med = a6 if k == 6 else med
            med = a7 if k == 7 else med
            nxt = a1
            nxt = a2 if k == 1 else nxt
            nxt = a3 if k == 2 else nxt
            nxt = a4 if k == 3 else nxt
            nxt = a5 if k == 4 else nxt
            nxt = a6 if k == 5 else nxt
            nxt = a7 if k == 6 else nxt
            nxt = a8 if k == 7 else nxt
            med_row[u] = med
            next_row[u] = nxt
            count_row[u] = n
        out = out_depth_m[v]
        for u in range(w):
            n = count_row[u]
            if n >= min_valid and n > 0:
                lo = np.int32(med_row[u]) + 1
                hi = np.int32(next_row[u]) + 1 if n % 2 == 0 else lo
                if (hi - lo) * depth_units_m < same_surface_m:
                    out[u] = np.float32((lo + hi) * 0.5 * depth_units_m)
                else:
                    out[u] = np.float32(lo * depth_units_m)
            else:
                out[u] = np.float32(0.0)
        if out_points_cam_m is not None:
            _backproject_row(out, v, intrinsics[0], intrinsics[1], intrinsics[2], intrinsics[3],
                             out_points_cam_m[v])


# --------------------------------------------------------------------------- geometry

@nb.njit(**_JIT)
def _backproject_row(depth_row_m, v, fx, fy, ppx, ppy, out_row_points_cam_m):
    """backproject of image row v: (w,) depth -> (w, 3)."""
    ry = (np.float32(v) - np.float32(ppy)) / np.float32(fy)
    for u in range(depth_row_m.shape[0]):
        z = depth_row_m[u]
        rx = (np.float32(u) - np.float32(ppx)) / np.float32(fx)
        out_row_points_cam_m[u, 0] = rx * z
        out_row_points_cam_m[u, 1] = ry * z
        out_row_points_cam_m[u, 2] = z


@nb.njit(**_JIT)
def backproject(depth_m, fx, fy, ppx, ppy, out_points_cam_m):
    """Camera-frame points of every pixel: (h, w) depth -> (h, w, 3); 0 where no data."""
    for v in range(depth_m.shape[0]):
        _backproject_row(depth_m[v], v, fx, fy, ppx, ppy, out_points_cam_m[v])


# --------------------------------------------------------------------------- classification
