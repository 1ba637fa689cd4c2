"""Numba kernels of the segmenter: the floor (its candidate points, RANSAC hypotheses, the
inlier moments of a least-squares refit). House style and NumPy twins as
station.segment._kernels (which re-exports these under its one namespace)."""
from __future__ import annotations

import numba as nb
import numpy as np

_JIT = dict(cache=True, nogil=True)


@nb.njit(**_JIT)
def select_floor_points(points_cam_m, row_start, z_max_m, exclude_mask, out_points_cam_m):
    """Valid points of rows >= row_start, nearer than z_max_m and not excluded.

    Writes them in raster order to out_points_cam_m ((h*w, 3) float32) and returns how many.
    """
    h, w = exclude_mask.shape
    n = 0
    for v in range(row_start, h):
        for u in range(w):
            z = points_cam_m[v, u, 2]
            if z > 0.0 and z <= z_max_m and not exclude_mask[v, u]:
                out_points_cam_m[n, 0] = points_cam_m[v, u, 0]
                out_points_cam_m[n, 1] = points_cam_m[v, u, 1]
                out_points_cam_m[n, 2] = z
                n += 1
    return n


@nb.njit(**_JIT)
def ransac_plane(points_cam_m, sample_idx, up_cos_min, d_min_m, d_max_m, thr0_m, thr2_per_m,
                 out_plane):
    """Best floor hypothesis from 3-point samples; returns its inlier count (-1: none).

    points_cam_m: (n, 3) float32. sample_idx: (k, 3) int32 indices into points (the random
    state, drawn by the caller). A hypothesis is kept only if its normal, oriented up
    (n_y < 0: image-up is camera -y), is within acos(up_cos_min) of image-up and its
    d (camera height) lies in [d_min_m, d_max_m]. A point is an inlier if
    |n.p + d| < thr0_m + thr2_per_m * z^2. out_plane: (4,) float64 (nx, ny, nz, d).
    Ties keep the earliest sample.
    """
    n = points_cam_m.shape[0]
    best = -1
    for k in range(sample_idx.shape[0]):
        i0 = sample_idx[k, 0]
        i1 = sample_idx[k, 1]
        i2 = sample_idx[k, 2]
        ax = np.float64(points_cam_m[i0, 0])
        ay = np.float64(points_cam_m[i0, 1])
        az = np.float64(points_cam_m[i0, 2])
        ux = np.float64(points_cam_m[i1, 0]) - ax
        uy = np.float64(points_cam_m[i1, 1]) - ay
        uz = np.float64(points_cam_m[i1, 2]) - az
        wx = np.float64(points_cam_m[i2, 0]) - ax
        wy = np.float64(points_cam_m[i2, 1]) - ay
        wz = np.float64(points_cam_m[i2, 2]) - az
        nx = uy * wz - uz * wy
        ny = uz * wx - ux * wz
        nz = ux * wy - uy * wx
        norm = np.sqrt(nx * nx + ny * ny + nz * nz)
        if norm < 1e-12:
            continue
        if ny > 0.0:
            norm = -norm
        nx /= norm
        ny /= norm
        nz /= norm
        if -ny < up_cos_min:
            continue
        d = -(nx * ax + ny * ay + nz * az)
        if d < d_min_m or d > d_max_m:
            continue
        count = 0
        for i in range(n):
            x = np.float64(points_cam_m[i, 0])
            y = np.float64(points_cam_m[i, 1])
            z = np.float64(points_cam_m[i, 2])
            r = nx * x + ny * y + nz * z + d
            if abs(r) < thr0_m + thr2_per_m * z * z:
                count += 1
        if count > best:
            best = count
            out_plane[0] = nx
            out_plane[1] = ny
            out_plane[2] = nz
            out_plane[3] = d
    return best


@nb.njit(**_JIT)
def plane_inlier_moments(points_cam_m, plane, thr0_m, thr2_per_m, sigma0_m, sigma2_per_m,
                         out_moments):
    """Weighted moments of the inliers of a plane, for a least-squares refit.

    plane: (4,) float64 (nx, ny, nz, d). Inlier: |r| < thr0_m + thr2_per_m * z^2 with
    r = n.p + d. Weight w = 1 / (sigma0_m + sigma2_per_m * z^2)^2 (depth noise grows as z^2).
    out_moments: (12,) float64 = [sum w, sum w x, sum w y, sum w z, sum w xx, sum w xy,
    sum w xz, sum w yy, sum w yz, sum w zz, sum r^2 (unweighted), count]. Returns count.
    The sums run in local variables (in registers, not through memory) in point order:
    the same additions, the same values.
    """
    nx = plane[0]
    ny = plane[1]
    nz = plane[2]
    d = plane[3]
    count = 0
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = m8 = m9 = m10 = 0.0
    for i in range(points_cam_m.shape[0]):
        x = np.float64(points_cam_m[i, 0])
        y = np.float64(points_cam_m[i, 1])
        z = np.float64(points_cam_m[i, 2])
        r = nx * x + ny * y + nz * z + d
        if abs(r) < thr0_m + thr2_per_m * z * z:
            s = sigma0_m + sigma2_per_m * z * z
            wgt = 1.0 / (s * s)
            m0 += wgt
            m1 += wgt * x
            m2 += wgt * y
            m3 += wgt * z
            m4 += wgt * x * x
            m5 += wgt * x * y
            m6 += wgt * x * z
            m7 += wgt * y * y
            m8 += wgt * y * z
            m9 += wgt * z * z
            m10 += r * r
            count += 1
    sums = (m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10)
    for j in range(11):
        out_moments[j] = sums[j]
    out_moments[11] = count
    return count


@nb.njit(**_JIT)
def plane_inlier_residuals(points_cam_m, plane, thr0_m, thr2_per_m):
    """(count, sum r^2) of a plane's inliers: plane_inlier_moments' out_moments[11] and [10],
    the same test and the same additions in the same order, without the weighted sums a
    refit needs (the floor track's second pass reads only these: its inlier count and RMS).

    points_cam_m (n, 3) float32; plane (4,) float64 (nx, ny, nz, d).
    """
    nx = plane[0]
    ny = plane[1]
    nz = plane[2]
    d = plane[3]
    count = 0
    rss = 0.0
    for i in range(points_cam_m.shape[0]):
        x = np.float64(points_cam_m[i, 0])
        y = np.float64(points_cam_m[i, 1])
        z = np.float64(points_cam_m[i, 2])
        r = nx * x + ny * y + nz * z + d
        if abs(r) < thr0_m + thr2_per_m * z * z:
            rss += r * r
            count += 1
    return count, rss


@nb.njit(**_JIT)
def plane_from_moments(moments, out_plane):
    """The weighted total-least-squares plane of plane_inlier_moments' sums: the covariance's
    eigenvector of the smallest eigenvalue as the normal, oriented up (n_y <= 0), and
    d = -n . mean. Writes out_plane (4,) float64; False (nothing written) when the sum of
    weights is not positive or fewer than 3 points.

    The covariance is the NumPy code's to the bit (S / w - mean mean^T, element by element);
    the eigenvector comes from cyclic Jacobi rotations instead of LAPACK's dsyevd (a 3 x 3
    matrix: a few sweeps in registers, where LAPACK's call costs ~50 us a frame cold), so it
    agrees with np.linalg.eigh's to rounding (~1e-16), not to the bit. NumPy twin:
    station.segment.reference.plane_from_moments.
    """
    w = moments[0]
    if w <= 0.0 or moments[11] < 3:
        return False
    m0 = moments[1] / w
    m1 = moments[2] / w
    m2 = moments[3] / w
    a00 = moments[4] / w - m0 * m0
    a01 = moments[5] / w - m0 * m1
    a02 = moments[6] / w - m0 * m2
    a11 = moments[7] / w - m1 * m1
    a12 = moments[8] / w - m1 * m2
    a22 = moments[9] / w - m2 * m2
    a = np.empty((3, 3))
    a[0, 0], a[0, 1], a[0, 2] = a00, a01, a02
    a[1, 0], a[1, 1], a[1, 2] = a01, a11, a12
    a[2, 0], a[2, 1], a[2, 2] = a02, a12, a22
    v = np.eye(3)
    for _sweep in range(64):
        off = abs(a[0, 1]) + abs(a[0, 2]) + abs(a[1, 2])
        if off == 0.0:
            break
        for p, q in ((0, 1), (0, 2), (1, 2)):
            apq = a[p, q]
            app = a[p, p]
            aqq = a[q, q]
            g = 100.0 * abs(apq)
            if _sweep > 3 and abs(app) + g == abs(app) and abs(aqq) + g == abs(aqq):
                a[p, q] = 0.0   # below the diagonal's rounding: converged
                a[q, p] = 0.0
                continue
            if apq == 0.0:
                continue
            h = aqq - app
            if abs(h) + g == abs(h):
                t = apq / h
            else:
                theta = 0.5 * h / apq
                t = 1.0 / (abs(theta) + np.sqrt(1.0 + theta * theta))
                if theta < 0.0:
                    t = -t
            c = 1.0 / np.sqrt(1.0 + t * t)
            s = t * c
            tau = s / (1.0 + c)
            a[p, p] = app - t * apq
            a[q, q] = aqq + t * apq
            a[p, q] = 0.0
            a[q, p] = 0.0
            r = 3 - p - q   # the third index
            arp = a[r, p]
            arq = a[r, q]
            a[r, p] = arp - s * (arq + tau * arp)
            a[p, r] = a[r, p]
            a[r, q] = arq + s * (arp - tau * arq)
            a[q, r] = a[r, q]
            for k in range(3):
                vkp = v[k, p]
                vkq = v[k, q]
                v[k, p] = vkp - s * (vkq + tau * vkp)
                v[k, q] = vkq + s * (vkp - tau * vkq)
    j = 0
    if a[1, 1] < a[j, j]:
        j = 1
    if a[2, 2] < a[j, j]:
        j = 2
    n0 = v[0, j]
    n1 = v[1, j]
    n2 = v[2, j]
    if n1 > 0.0:   # up = camera -y
        n0 = -n0
        n1 = -n1
        n2 = -n2
    out_plane[0] = n0
    out_plane[1] = n1
    out_plane[2] = n2
    out_plane[3] = -(n0 * m0 + n1 * m1 + n2 * m2)
    return True
