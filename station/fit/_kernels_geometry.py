"""numba kernels of the skeleton fitter: capsule geometry (each point's nearest capsule
surface, closest points of capsule pairs).

House style as station.fit._kernels (pure functions on arrays, outputs preallocated, NumPy
twins of the same name in station.fit.reference compared by tests/fit/test_kernels.py).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_EPS = 1e-12


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma: the FPU's fused multiply-add, or libm's)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)
    return sig, codegen


@intrinsic
def _lowest_bit(typingctx, x):
    """The index of x's lowest set bit (llvm.cttz; x != 0)."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        t = ir.IntType(64)
        fn = builder.module.declare_intrinsic("llvm.cttz", [t], ir.FunctionType(t, [t, ir.IntType(1)]))
        return builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 1)])
    return sig, codegen


if nb.config.DISABLE_JIT:
    # the kernels run as Python (NUMBA_DISABLE_JIT=1, for coverage): an intrinsic has no
    # Python body, so these give the same results the slow way
    def _fma(a, b, c):  # noqa: F811
        """a * b + c rounded once: exact rationals, rounded to the nearest double."""
        a, b, c = float(a), float(b), float(c)
        if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
            return a * b + c
        return float(Fraction(a) * Fraction(b) + Fraction(c))

    def _lowest_bit(x):  # noqa: F811
        """The index of x's lowest set bit (x != 0)."""
        x = int(x)
        return (x & -x).bit_length() - 1


@nb.njit(cache=True, nogil=True)
def _closest_on_segment(p0, p1, p2, a0, a1, a2, b0, b1, b2):
    d0 = b0 - a0
    d1 = b1 - a1
    d2 = b2 - a2
    dd = d0 * d0 + d1 * d1 + d2 * d2
    if dd <= _EPS:
        return 0.0
    t = ((p0 - a0) * d0 + (p1 - a1) * d1 + (p2 - a2) * d2) / dd
    if t < 0.0:
        return 0.0
    if t > 1.0:
        return 1.0
    return t


@nb.njit(cache=True, nogil=True)
def _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, c):
    """(signed distance to capsule c's surface, |p - c(t)|, p - c(t)) for the point p."""
    t = _closest_on_segment(p0, p1, p2, cap_a[c, 0], cap_a[c, 1], cap_a[c, 2],
                            cap_b[c, 0], cap_b[c, 1], cap_b[c, 2])
    dx = p0 - (cap_a[c, 0] + t * (cap_b[c, 0] - cap_a[c, 0]))
    dy = p1 - (cap_a[c, 1] + t * (cap_b[c, 1] - cap_a[c, 1]))
    dz = p2 - (cap_a[c, 2] + t * (cap_b[c, 2] - cap_a[c, 2]))
    L = math.sqrt(dx * dx + dy * dy + dz * dz)
    return L - (cap_ra[c] + t * (cap_rb[c] - cap_ra[c])), L, dx, dy, dz


# ray_surface: Newton steps along a point's camera ray to its capsule's surface, and how
# near the surface the last must land (m; further: the ray grazes or misses, Euclidean kept)
RAY_NEWTON_STEPS = 3
RAY_HIT_TOL_M = 1e-3


@nb.njit(cache=True, nogil=True)
def ray_surface(points, cam_pos, cap_idx, cap_a, cap_b, cap_ra, cap_rb, cap_seg, gate_m, cos_min,
                dist, normal, out_q):
    """Each point's residual measured where its camera ray meets its capsule, not at the
    capsule's nearest point: the distance from the point to the surface's tangent plane at
    the ray's hit. A depth camera's noise runs along the ray. At a surface seen obliquely (a
    limb's or the trunk's rim) a point pushed along its ray lies off the surface sideways as
    much as in depth, so |p - surface| is biased outwards whatever the sign of the noise, and
    a fit of the Euclidean residual leans the body towards the camera, more so the noisier
    the sensor (a 0.1 m sphere at 2.5 m, its centre's depth: -1.3 and -5.3 mm at the library's
    noise and twice it; with this residual, cos_min 0.3, -0.3 and -1.7; bench/sphere_ray.py).
    Along the ray the residual is the noise itself.

    In place, for a point (cap_idx >= 0, |dist| < gate_m) whose nearest capsule is a
    segment's (cap_seg >= 0; a bar's points pull nothing, only count as explained, and keep
    the Euclidean residual they were counted by: along the ray a thin bar's rim points read
    further off, and the start's search then kept a hanging arm off a bar on the back,
    tests/fit/test_tracking.py) and whose nearest surface faces the
    camera (the cosine between the normal and the ray towards the camera >= cos_min):
    Newton steps along the ray on the capsule's distance find the hit x_h, normal n_h;
    dist = n_h . (p - x_h), normal = n_h. Other points, and rays that graze (the cosine
    under cos_min there) or do not land: unchanged, the Euclidean residual. cos_min >= 1
    turns it off. out_q (n, 3): the point the data rows linearise about, x_h + dist n_h
    (data_rows takes its surface point as q - dist normal: the hit itself; the point for
    the Euclidean residual)."""
    for n in range(points.shape[0]):
        p0 = points[n, 0]
        p1 = points[n, 1]
        p2 = points[n, 2]
        out_q[n, 0] = p0
        out_q[n, 1] = p1
        out_q[n, 2] = p2
        c = cap_idx[n]
        r = dist[n]
        if cos_min >= 1.0 or c < 0 or cap_seg[c] < 0 or not (abs(r) < gate_m):
            continue
        d0 = p0 - cam_pos[0]
        d1 = p1 - cam_pos[1]
        d2 = p2 - cam_pos[2]
        L = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        if L <= _EPS:
            continue
        d0 /= L
        d1 /= L
        d2 /= L
        n0 = normal[n, 0]
        n1 = normal[n, 1]
        n2 = normal[n, 2]
        f = r
        s = 0.0
        x0 = p0
        x1 = p1
        x2 = p2
        ok = True
        for _ in range(RAY_NEWTON_STEPS):
            cosn = -(n0 * d0 + n1 * d1 + n2 * d2)
            if cosn < cos_min:
                ok = False
                break
            s += f / cosn            # f(p + s d) ~ f + ds (n . d) = 0
            x0 = p0 + s * d0
            x1 = p1 + s * d1
            x2 = p2 + s * d2
            f, Lx, e0, e1, e2 = _capsule_distance(x0, x1, x2, cap_a, cap_b, cap_ra, cap_rb, c)
            if Lx <= _EPS:
                ok = False
                break
            n0 = e0 / Lx
            n1 = e1 / Lx
            n2 = e2 / Lx
        if not ok or not (abs(f) < RAY_HIT_TOL_M) or -(n0 * d0 + n1 * d1 + n2 * d2) < cos_min:
            continue
        h0 = x0 - f * n0            # onto the surface
        h1 = x1 - f * n1
        h2 = x2 - f * n2
        rh = n0 * (p0 - h0) + n1 * (p1 - h1) + n2 * (p2 - h2)
        dist[n] = rh
        normal[n, 0] = n0
        normal[n, 1] = n1
        normal[n, 2] = n2
        out_q[n, 0] = h0 + rh * n0
        out_q[n, 1] = h1 + rh * n1
        out_q[n, 2] = h2 + rh * n2


# a capsule is skipped when its bound exceeds the best distance by more than this (m): far
# above the distances' rounding, so the result is exactly that of trying every capsule
_BOUND_SLACK_M = 1e-9


@nb.njit(cache=True, nogil=True)
def _bounding_spheres(cap_a, cap_b, cap_ra, cap_rb):
    """Each capsule's bounding sphere, the centre as separate coordinate arrays (one point's
    distances to all centres are one vectorised loop) and the radius: half the axis plus the
    larger radius, plus _BOUND_SLACK_M (a lower bound of any point's distance)."""
    n_cap = cap_a.shape[0]
    mx = np.empty(n_cap)
    my = np.empty(n_cap)
    mz = np.empty(n_cap)
    bound = np.empty(n_cap)
    for c in range(n_cap):
        mx[c] = 0.5 * (cap_a[c, 0] + cap_b[c, 0])
        my[c] = 0.5 * (cap_a[c, 1] + cap_b[c, 1])
        mz[c] = 0.5 * (cap_a[c, 2] + cap_b[c, 2])
        h2 = 0.0
        for k in range(3):
            h2 += (cap_b[c, k] - cap_a[c, k]) ** 2
        bound[c] = 0.5 * math.sqrt(h2) + max(cap_ra[c], cap_rb[c]) + _BOUND_SLACK_M
    return mx, my, mz, bound


@nb.njit(cache=True, nogil=True)
def _write_nearest(n, bi, best, bL, bx, by, bz, out_idx, out_dist, out_normal):
    """Point n's nearest capsule, distance and unit normal (p - c divided by |p - c| = bL
    once, here; (0, 0, 1) when p lies on the axis)."""
    if bL > _EPS:
        bx = bx / bL
        by = by / bL
        bz = bz / bL
    else:
        bx = 0.0
        by = 0.0
        bz = 1.0
    out_idx[n] = bi
    out_dist[n] = best
    out_normal[n, 0] = bx
    out_normal[n, 1] = by
    out_normal[n, 2] = bz


@nb.njit(cache=True, nogil=True)
def nearest_capsule(points, cap_a, cap_b, cap_ra, cap_rb, out_idx, out_dist, out_normal):
    """Each point's nearest tapered capsule surface.

    Distance = |p - c(t)| - r(t), c(t) the closest point of the axis a->b, r linear in t
    (exact for untapered capsules, a close approximation when tapered). Signed: negative
    inside. out_normal = unit (p - c); (0, 0, 1) when p lies on the axis. With no capsules,
    out_idx = -1 and out_dist = inf. Of equally near capsules, the first.

    Speed (the fitter's largest per-iteration cost): the previous point's nearest capsule
    is tried first (points come in image order, neighbours mostly lie on the same one), and
    a capsule whose bounding sphere (centre the axis midpoint, radius half the axis plus the
    larger radius: a lower bound of its distance) is further than the best so far is
    skipped. The result is that of trying every capsule in order.
    """
    n_cap = cap_a.shape[0]
    mx, my, mz, bound = _bounding_spheres(cap_a, cap_b, cap_ra, cap_rb)
    q = np.empty(n_cap)
    hint = 0
    for n in range(points.shape[0]):
        p0, p1, p2 = points[n, 0], points[n, 1], points[n, 2]
        best = np.inf
        bi = -1
        bx = 0.0
        by = 0.0
        bz = 1.0
        bL = 0.0   # the best's |p - c| and p - c: its normal is divided out once, at the end
        if hint < n_cap:
            d, L, dx, dy, dz = _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, hint)
            best = d
            bi = hint
            bL, bx, by, bz = L, dx, dy, dz
        for c in range(n_cap):
            ex = p0 - mx[c]
            ey = p1 - my[c]
            ez = p2 - mz[c]
            q[c] = ex * ex + ey * ey + ez * ez
        for c in range(n_cap):
            if c == hint:
                continue
            lim = best + bound[c]
            if lim < 0.0 or q[c] > lim * lim:
                continue
            d, L, dx, dy, dz = _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, c)
            if d < best or (d == best and c < bi):
                best = d
                bi = c
                bL, bx, by, bz = L, dx, dy, dz
        if bi >= 0:
            hint = bi
        _write_nearest(n, bi, best, bL, bx, by, bz, out_idx, out_dist, out_normal)


# nearest_capsule_within_fit: a capsule within this of a point's nearest (by its lower bound)
# is one of the point's candidates, computed at every evaluation; at most _N_CAND of them
_CAND_MARGIN_M = 0.01
_N_CAND = 4
_BIG = 1e300   # x <= _BIG: x is finite (not NaN, not inf)


def nearest_capsule_state(n_points: int, n_cap: int, n_evaluations: int, enabled: bool = True) -> tuple:
    """The state nearest_capsule_within_fit keeps over one fit's evaluations (one set of
    points, capsules of fixed radii): (capsule ends per evaluation a, b (E, n_cap, 3), each
    point's candidates (n, _N_CAND) int32 and their count (n,) int32, its lower bounds of
    every capsule's |p - axis| - max radius (n, n_cap; inf for its candidates), the
    evaluation they are relative to (n,) int32, meta [evaluations so far, enabled]).
    enabled False: the plain nearest_capsule every evaluation."""
    e = np.empty
    return (e((n_evaluations, n_cap, 3)), e((n_evaluations, n_cap, 3)), e((n_points, _N_CAND), np.int32),
            e(n_points, np.int32), e((n_points, n_cap)), e(n_points, np.int32),
            np.array([0, 1 if enabled else 0], np.int64))


@nb.njit(cache=True, nogil=True)
def nearest_capsule_within_fit(points, cap_a, cap_b, cap_ra, cap_rb, out_idx, out_dist, out_normal,
                               state):
    """nearest_capsule's results to the bit, faster over the evaluations of one fit (the same
    points, the capsules moved, their radii unchanged; state from nearest_capsule_state,
    fresh for each fit, its slots for every evaluation).

    At a point's first evaluation: nearest_capsule's search, every capsule within
    _CAND_MARGIN_M of the nearest tried, and kept: the capsules whose |p - axis| - max radius
    is within the margin of the nearest's distance (its candidates), and that lower bound of
    every other capsule (from the search, else from the bounding sphere). A capsule whose
    end points both moved by at most s since then lies at least (bound - s) from the point
    (|p - axis| is 1-Lipschitz in the axis's ends; radii fixed), so at a later evaluation the
    candidates' distances, computed, give the nearest when every other capsule's bound less
    its shift exceeds it; a capsule the bounds no longer rule out is computed too. Exact:
    of equally near capsules the lowest index, as nearest_capsule; a point whose distances
    are not finite gets nearest_capsule's search itself (its order decides then)."""
    hist_a, hist_b, cand, n_cand, lbv, epoch, meta = state
    n_pts = points.shape[0]
    n_cap = cap_a.shape[0]
    e = meta[0]
    if (meta[1] == 0 or n_cap > 64 or e >= hist_a.shape[0] or n_cap != hist_a.shape[1]
            or n_cap != lbv.shape[1] or n_pts != lbv.shape[0]):
        nearest_capsule(points, cap_a, cap_b, cap_ra, cap_rb, out_idx, out_dist, out_normal)
        return
    meta[0] = e + 1
    for c in range(n_cap):
        for k in range(3):
            hist_a[e, c, k] = cap_a[c, k]
            hist_b[e, c, k] = cap_b[c, k]
    shift = np.empty((e + 1, n_cap))     # since evaluation f, per capsule (rows made on demand)
    have = np.zeros(e + 1, np.bool_)
    mx, my, mz, bound = _bounding_spheres(cap_a, cap_b, cap_ra, cap_rb)
    rmax = np.empty(n_cap)
    bit = np.empty(n_cap, np.uint64)
    Lr = np.empty(n_cap)
    for c in range(n_cap):
        rmax[c] = max(cap_ra[c], cap_rb[c])
        bit[c] = np.uint64(1) << np.uint64(c)
    hint = 0
    for n in range(n_pts):
        p0, p1, p2 = points[n, 0], points[n, 1], points[n, 2]
        best = np.inf
        bi = -1
        bx = 0.0
        by = 0.0
        bz = 1.0
        bL = 0.0
        ep = epoch[n]
        good = False
        if 0 <= ep < e:
            if not have[ep]:
                for c in range(n_cap):
                    da = 0.0
                    db = 0.0
                    for k in range(3):
                        u = cap_a[c, k] - hist_a[ep, c, k]
                        da += u * u
                        v = cap_b[c, k] - hist_b[ep, c, k]
                        db += v * v
                    if da <= _BIG and db <= _BIG:
                        shift[ep, c] = math.sqrt(max(da, db)) + _BOUND_SLACK_M
                    else:
                        shift[ep, c] = np.inf
                have[ep] = True
            for j in range(n_cand[n]):
                c = cand[n, j]
                d, L, dx, dy, dz = _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, c)
                if d < best or (d == best and c < bi):
                    best = d
                    bi = c
                    bL, bx, by, bz = L, dx, dy, dz
            thr = best + _BOUND_SLACK_M
            if thr <= _BIG:
                good = True
                for c in range(n_cap):
                    good &= lbv[n, c] - shift[ep, c] > thr
                if not good:
                    # the capsules the bounds no longer rule out (a candidate's bound is inf)
                    good = True
                    for c in range(n_cap):
                        if lbv[n, c] - shift[ep, c] > thr:
                            continue
                        d, L, dx, dy, dz = _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, c)
                        if not d <= _BIG:
                            good = False
                        if d < best or (d == best and c < bi):
                            best = d
                            bi = c
                            bL, bx, by, bz = L, dx, dy, dz
        if not good:
            # nearest_capsule's search from the previous point's capsule, every capsule
            # within the margin of the best tried; the point's candidates and bounds kept
            best = np.inf
            bi = -1
            bx = 0.0
            by = 0.0
            bz = 1.0
            bL = 0.0
            tried = np.uint64(0)
            if hint < n_cap:
                d, L, dx, dy, dz = _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, hint)
                best = d
                bi = hint
                bL, bx, by, bz = L, dx, dy, dz
                Lr[hint] = L - rmax[hint]
                tried = bit[hint]
            todo = np.uint64(0)
            for c in range(n_cap):
                ex = p0 - mx[c]
                ey = p1 - my[c]
                ez = p2 - mz[c]
                q = ex * ex + ey * ey + ez * ez
                lbv[n, c] = math.sqrt(q) - bound[c]
                lim = best + _CAND_MARGIN_M + bound[c]
                skip = lim < 0.0 or q > lim * lim
                todo |= np.uint64(0) if skip else bit[c]
            todo &= ~tried
            tried |= todo
            while todo != np.uint64(0):
                c = _lowest_bit(todo)
                todo &= todo - np.uint64(1)
                d, L, dx, dy, dz = _capsule_distance(p0, p1, p2, cap_a, cap_b, cap_ra, cap_rb, c)
                Lr[c] = L - rmax[c]
                if d < best or (d == best and c < bi):
                    best = d
                    bi = c
                    bL, bx, by, bz = L, dx, dy, dz
            # the candidates: the capsules tried whose bound is within the margin (and the best)
            k = 0
            lim = best + _CAND_MARGIN_M
            while tried != np.uint64(0):
                c = _lowest_bit(tried)
                tried &= tried - np.uint64(1)
                if Lr[c] <= lim or c == bi:
                    if k < _N_CAND:
                        cand[n, k] = c
                    k += 1
                    lbv[n, c] = np.inf
                else:
                    lbv[n, c] = Lr[c]
            n_cand[n] = k
            epoch[n] = e if (k <= _N_CAND and bi >= 0 and best <= _BIG) else -1
        if bi >= 0:
            hint = bi
        _write_nearest(n, bi, best, bL, bx, by, bz, out_idx, out_dist, out_normal)


@nb.njit(cache=True, nogil=True)
def capsule_pair_penetration(cap_a, cap_b, cap_ra, cap_rb, pairs, out_p1, out_p2, out_normal,
                             out_depth):
    """Closest axis points of capsule pairs (Ericson, Real-Time Collision Detection 5.1.9).

    out_p1/out_p2 (k, 3): closest axis points on the first/second capsule; out_normal: unit
    (p1 - p2), (0, 0, 1) if coincident; out_depth: r1 + r2 - |p1 - p2| (> 0 = interpenetrating),
    radii interpolated along each axis.
    """
    for q in range(pairs.shape[0]):
        i = pairs[q, 0]
        j = pairs[q, 1]
        d1 = cap_b[i] - cap_a[i]
        d2 = cap_b[j] - cap_a[j]
        rr = cap_a[i] - cap_a[j]
        a = d1[0] * d1[0] + d1[1] * d1[1] + d1[2] * d1[2]
        e = d2[0] * d2[0] + d2[1] * d2[1] + d2[2] * d2[2]
        f = d2[0] * rr[0] + d2[1] * rr[1] + d2[2] * rr[2]
        s = 0.0
        t = 0.0
        if a <= _EPS and e <= _EPS:
            s = 0.0
            t = 0.0
        elif a <= _EPS:
            s = 0.0
            t = min(max(f / e, 0.0), 1.0)
        else:
            c = d1[0] * rr[0] + d1[1] * rr[1] + d1[2] * rr[2]
            if e <= _EPS:
                t = 0.0
                s = min(max(-c / a, 0.0), 1.0)
            else:
                b = d1[0] * d2[0] + d1[1] * d2[1] + d1[2] * d2[2]
                den = a * e - b * b
                if den > _EPS:
                    s = min(max((b * f - c * e) / den, 0.0), 1.0)
                else:
                    s = 0.0
                t = (b * s + f) / e
                if t < 0.0:
                    t = 0.0
                    s = min(max(-c / a, 0.0), 1.0)
                elif t > 1.0:
                    t = 1.0
                    s = min(max((b - c) / a, 0.0), 1.0)
        L2 = 0.0
        for k in range(3):
            out_p1[q, k] = cap_a[i, k] + s * d1[k]
            out_p2[q, k] = cap_a[j, k] + t * d2[k]
            dk = out_p1[q, k] - out_p2[q, k]
            L2 += dk * dk
        L = math.sqrt(L2)
        if L > _EPS:
            for k in range(3):
                out_normal[q, k] = (out_p1[q, k] - out_p2[q, k]) / L
        else:
            out_normal[q, 0] = 0.0
            out_normal[q, 1] = 0.0
            out_normal[q, 2] = 1.0
        r1 = cap_ra[i] + s * (cap_rb[i] - cap_ra[i])
        r2 = cap_ra[j] + t * (cap_rb[j] - cap_ra[j])
        out_depth[q] = r1 + r2 - L


@nb.njit(cache=True, nogil=True)
def bar_line_count(points, mid, d, perp_max_m, along_min_m, along_max_m):
    """How many points lie near the line through mid along the unit d: closer to it than
    perp_max_m, and further along it from mid than along_min_m but less than along_max_m
    (station.fit.implement_support.bar_support: a bar's points beyond the hands).

    NumPy's arithmetic to the bit (the twin in station.fit.reference): rel = p - mid; the
    along distance s = rel @ d as NumPy's (n, 3) @ (3,) computes it here (OpenBLAS's dgemv,
    for n >= 2: fma(r2, d2, fma(r0, d0, r1 d1))); the perpendicular |rel - s d| summed
    (x0^2 + x1^2) + x2^2 as np.linalg.norm(axis=1)."""
    count = 0
    for i in range(points.shape[0]):
        r0 = points[i, 0] - mid[0]
        r1 = points[i, 1] - mid[1]
        r2 = points[i, 2] - mid[2]
        s = _fma(r2, d[2], _fma(r0, d[0], r1 * d[1]))
        x0 = r0 - s * d[0]
        x1 = r1 - s * d[1]
        x2 = r2 - s * d[2]
        perp = math.sqrt((x0 * x0 + x1 * x1) + x2 * x2)
        a = abs(s)
        if perp < perp_max_m and a > along_min_m and a < along_max_m:
            count += 1
    return count
