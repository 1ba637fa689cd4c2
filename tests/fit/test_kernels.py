"""Every fitter kernel equals its NumPy twin (station.fit.reference): random inputs, sizes 0
and 1, degenerate cases (zero-length bones, coincident points, empty masks, no depth)."""
import numpy as np
import pytest

from station.fit import _kernels as K
from station.fit import reference as R
from station.fit.body_model import (
    DOF_AXIS, DOF_SEG, DOF_TYPE, N_DOF, N_SEG, SEG, SEG_CHAIN, SEG_PARENT, Shape, build_body, neutral_pose,
)


def _caps(rng, n, zero_len=False):
    a = rng.normal(0, 0.5, (n, 3))
    b = a if zero_len else a + rng.normal(0, 0.3, (n, 3))
    return a, b.copy(), rng.uniform(0.02, 0.1, n), rng.uniform(0.02, 0.1, n)


def _data_term(points, cap_idx, dist, normal, cap_seg, cap_seg2, gate_m, sigma_m, weight, H, g, cnt, st):
    """The whole data term as the fit computes it: its statistics (data_energy), then its rows
    (data_rows); reference.data_term is their NumPy twin."""
    K.data_energy(cap_idx, dist, cap_seg, gate_m, sigma_m, weight, cnt, st)
    K.data_rows(points, cap_idx, dist, normal, cap_seg, cap_seg2, gate_m, sigma_m, weight, H, g)


@pytest.mark.parametrize("seed", range(3))
def test_forward_kinematics(seed):
    rng = np.random.default_rng(seed)
    body = build_body(Shape(1.6 + 0.1 * seed))
    th = neutral_pose(body.shape) + rng.normal(0, 0.5, N_DOF)
    Rk, tk, twk = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, Rk, tk, twk)
    Rr, tr, twr = R.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS)
    np.testing.assert_allclose(Rk, Rr, atol=1e-12)
    np.testing.assert_allclose(tk, tr, atol=1e-12)
    np.testing.assert_allclose(twk, twr, atol=1e-12)
    np.testing.assert_allclose(np.einsum("sij,sik->sjk", Rk, Rk), np.broadcast_to(np.eye(3), Rk.shape), atol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 37])
def test_points_and_vectors_to_world(n):
    rng = np.random.default_rng(n)
    Rs = np.stack([R.rodrigues(v / np.linalg.norm(v), a) for v, a in
                   zip(rng.normal(size=(N_SEG, 3)), rng.uniform(-3, 3, N_SEG))])
    ts = rng.normal(size=(N_SEG, 3))
    seg = rng.integers(0, N_SEG, n).astype(np.int32)
    loc = rng.normal(size=(n, 3))
    out = np.empty((n, 3))
    K.points_to_world(Rs, ts, seg, loc, out)
    np.testing.assert_allclose(out, R.points_to_world(Rs, ts, seg, loc).reshape(n, 3), atol=1e-12)
    K.vectors_to_world(Rs, seg, loc, out)
    np.testing.assert_allclose(out, R.vectors_to_world(Rs, seg, loc).reshape(n, 3), atol=1e-12)


@pytest.mark.parametrize("n_pts,n_caps,zero_len", [(0, 5, False), (1, 1, False), (200, 7, False),
                                                  (50, 4, True), (10, 0, False),
                                                  (300, 64, False), (300, 70, False)])
def test_nearest_capsule(n_pts, n_caps, zero_len):
    rng = np.random.default_rng(n_pts + n_caps)
    a, b, ra, rb = _caps(rng, n_caps, zero_len)
    pts = rng.normal(0, 0.6, (n_pts, 3))
    if n_pts and n_caps:
        pts[0] = a[0]  # a point exactly on an axis end (coincident)
    idx = np.empty(n_pts, np.int32); d = np.empty(n_pts); nrm = np.empty((n_pts, 3))
    K.nearest_capsule(pts, a, b, ra, rb, idx, d, nrm)
    ri, rd, rn = R.nearest_capsule(pts, a, b, ra, rb)
    np.testing.assert_array_equal(idx, ri)
    np.testing.assert_allclose(d, rd, atol=1e-12)
    np.testing.assert_allclose(nrm, rn, atol=1e-12)


def _posed_cloud(rng, pose_sd, n_pts, pts_sd):
    """A body posed off neutral (pose_sd rad per DOF), its capsules, and n_pts points
    scattered about the capsules' ends (pts_sd m): (body, seg_t, twists, cap_a, cap_b, points)."""
    body = build_body()
    th = neutral_pose(body.shape) + rng.normal(0, pose_sd, N_DOF)
    Rk, tk, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, Rk, tk, tw)
    ca = R.points_to_world(Rk, tk, body.cap_seg, body.cap_a_local)
    cb = R.points_to_world(Rk, tk, body.cap_seg, body.cap_b_local)
    pts = ca[rng.integers(0, len(ca), n_pts)] + rng.normal(0, pts_sd, (n_pts, 3))
    return body, tk, tw, ca, cb, pts


@pytest.mark.parametrize("n_pts", [0, 1, 300])
def test_data_term_and_assembly(n_pts):
    rng = np.random.default_rng(n_pts)
    body, tk, tw, ca, cb, pts = _posed_cloud(rng, 0.2, n_pts, 0.08)
    idx, dist, nrm = R.nearest_capsule(pts, ca, cb, body.cap_ra, body.cap_rb)
    H = np.zeros((N_SEG, 6, 6)); g = np.zeros((N_SEG, 6)); cnt = np.zeros(N_SEG); st = np.zeros(4)
    Hr, gr, cr, sr = R.data_term(pts, idx, dist, nrm, body.cap_seg, 0.1, 0.03, 1.5, N_SEG)
    # its two halves (an LM trial's energy, then an accepted one's rows), each against the twin
    K.data_energy(idx, dist, body.cap_seg, 0.1, 0.03, 1.5, cnt, st)
    np.testing.assert_allclose(cnt, cr)
    np.testing.assert_allclose(st, sr, rtol=1e-10, atol=1e-12)
    assert not H.any() and not g.any()
    cnt0, st0 = cnt.copy(), st.copy()
    K.data_rows(pts, idx, dist, nrm, body.cap_seg, np.full(len(body.cap_seg), -1, np.int32), 0.1, 0.03, 1.5, H, g)
    np.testing.assert_allclose(H, Hr, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(g, gr, rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(cnt, cnt0); np.testing.assert_array_equal(st, st0)   # rows only
    A = np.zeros((N_DOF, N_DOF)); b = np.zeros(N_DOF)
    K.assemble_normal_equations(H, g, tw, SEG_CHAIN, A, b)
    Ar, br = R.assemble_normal_equations(H, g, tw, SEG_CHAIN)
    np.testing.assert_allclose(A, Ar, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(b, br, rtol=1e-9, atol=1e-7)


def test_data_term_all_gated_out():
    pts = np.full((5, 3), 10.0)
    idx = np.zeros(5, np.int32); d = np.full(5, 9.0); nrm = np.tile([0.0, 0, 1], (5, 1))
    H = np.zeros((2, 6, 6)); g = np.zeros((2, 6)); cnt = np.zeros(2); st = np.zeros(4)
    _data_term(pts, idx, d, nrm, np.zeros(1, np.int32), np.full(1, -1, np.int32), 0.1, 0.03, 1.0, H, g, cnt, st)
    assert not H.any() and not g.any() and st[3] == 5 and st[0] == 5.0


@pytest.mark.parametrize("n", [0, 1, 12])
def test_dense_rows(n):
    rng = np.random.default_rng(n)
    tw = rng.normal(size=(N_DOF, 6))
    s1 = rng.integers(0, N_SEG, n).astype(np.int32)
    s2 = rng.integers(-1, N_SEG, n).astype(np.int32)
    x1, n1, x2, n2 = (rng.normal(size=(n, 3)) for _ in range(4))
    r = rng.normal(size=n); w = rng.uniform(0, 2, n)
    A = np.zeros((N_DOF, N_DOF)); b = np.zeros(N_DOF)
    K.dense_rows(s1, x1, n1, s2, x2, n2, r, w, tw, SEG_CHAIN, A, b)
    Ar, br = R.dense_rows(s1, x1, n1, s2, x2, n2, r, w, tw, SEG_CHAIN)
    np.testing.assert_allclose(A, Ar, atol=1e-10)
    np.testing.assert_allclose(b, br, atol=1e-10)


@pytest.mark.parametrize("case", ["random", "zero_len", "parallel", "empty", "one"])
def test_capsule_pair_penetration(case):
    rng = np.random.default_rng(7)
    a, b, ra, rb = _caps(rng, 6, zero_len=(case == "zero_len"))
    if case == "parallel":
        b[1] = a[1] + (b[0] - a[0]); a[2] = a[0]; b[2] = b[0]  # parallel and coincident axes
    pairs = np.array([(i, j) for i in range(6) for j in range(6) if i != j], np.int32)
    if case == "empty":
        pairs = pairs[:0]
    if case == "one":
        pairs = pairs[:1]
    k = len(pairs)
    p1, p2, nn, dep = np.empty((k, 3)), np.empty((k, 3)), np.empty((k, 3)), np.empty(k)
    K.capsule_pair_penetration(a, b, ra, rb, pairs, p1, p2, nn, dep)
    r1, r2, rn, rd = R.capsule_pair_penetration(a, b, ra, rb, pairs)
    np.testing.assert_allclose(p1, r1, atol=1e-12); np.testing.assert_allclose(p2, r2, atol=1e-12)
    np.testing.assert_allclose(nn, rn, atol=1e-9); np.testing.assert_allclose(dep, rd, atol=1e-12)
    # the closest points are no farther apart than a dense sampling finds
    s = np.linspace(0, 1, 101)
    for q, (i, j) in enumerate(pairs):
        P = a[i] + s[:, None] * (b[i] - a[i]); Q = a[j] + s[:, None] * (b[j] - a[j])
        brute = np.min(np.linalg.norm(P[:, None] - Q[None], axis=-1))
        assert np.linalg.norm(p1[q] - p2[q]) <= brute + 1e-9


@pytest.mark.parametrize("shape,fill", [((1, 1), 1.0), ((9, 13), 0.1), ((20, 7), 0.5), ((6, 6), 0.0), ((5, 8), 1.0),
                                        ((31, 47), 0.01), ((1, 40), 0.1), ((40, 1), 0.1)])
def test_distance_transform(shape, fill):
    rng = np.random.default_rng(shape[0])
    mask = rng.random(shape) < fill
    d2 = np.empty(shape); nu = np.empty(shape, np.int32); nv = np.empty(shape, np.int32)
    K.distance_transform_nearest(mask, d2, nu, nv)
    rd2, rnu, rnv = R.distance_transform_nearest(mask)
    np.testing.assert_array_equal(d2, rd2)
    if mask.any():  # the reported pixel is in the mask and at that distance (ties may differ)
        V, U = np.mgrid[0:shape[0], 0:shape[1]]
        assert mask[nv, nu].all()
        np.testing.assert_array_equal((V - nv) ** 2 + (U - nu) ** 2, d2)
    else:
        assert (nu == -1).all() and (nv == -1).all()
    # without distances (the fit's call): the same nearest pixels
    nu2 = np.empty(shape, np.int32); nv2 = np.empty(shape, np.int32)
    K.distance_transform_nearest(mask, np.empty((0, 0)), nu2, nv2)
    np.testing.assert_array_equal(nu2, nu)
    np.testing.assert_array_equal(nv2, nv)


@pytest.mark.parametrize("variant", ["normal", "empty_mask", "no_depth", "no_samples", "floor_band",
                                     "far_pixels"])
def test_model_to_data_term(variant):
    """model_to_data_energy, then model_to_data_rows (the fit's two passes), against their
    NumPy twin reference.model_to_data_term."""
    from tests.fit.selfrender import render_cloud
    from station.fit.solver import prepare_frame
    body = build_body()
    th = neutral_pose(body.shape)
    cloud = render_cloud(body, th, seed=1)
    fr = prepare_frame(cloud)
    th2 = th.copy(); th2[0] += 0.06; th2[DOF_SEG.size - 10] += 0.4  # move off the data
    Rk, tk, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th2, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, Rk, tk, tw)
    samp = R.points_to_world(Rk, tk, body.sample_seg, body.sample_local)
    nrm = R.vectors_to_world(Rk, body.sample_seg, body.sample_normal_local)
    seg = body.sample_seg
    mask, depth, nu, nv = fr.mask, fr.depth_m, fr.near_u, fr.near_v
    if variant == "empty_mask":
        mask = np.zeros_like(mask); nu = np.full_like(nu, -1); nv = np.full_like(nv, -1)
    if variant == "no_depth":
        depth = np.zeros_like(depth)
    if variant == "far_pixels":   # a third of the pixels see 0.5 m further (a depth edge's far side)
        depth = depth.copy()
        depth[(np.random.default_rng(3).random(depth.shape) < 0.33) & (depth > 0)] += 0.5
    if variant == "no_samples":
        samp, nrm, seg = samp[:0], nrm[:0], seg[:0]
    args = (samp, nrm, seg, fr.cam_pos_floor_m, fr.R_cam_floor, fr.t_cam_floor, fr.fx, fr.fy,
            fr.cx, fr.cy, mask, depth, nu, nv, 0.04, 0.10, 1.0, 0.05, 700.0, 300.0,
            0.5 if variant == "floor_band" else 0.03)
    H = np.zeros((N_SEG, 6, 6)); g = np.zeros((N_SEG, 6)); ss = np.zeros((N_SEG, 4)); st = np.zeros(2)
    Hr, gr, ssr, str_ = R.model_to_data_term(*args, N_SEG)
    # its two halves (an LM trial's energy, the rows recorded; an accepted one's rows), each
    # against the twin
    rec = np.full((len(samp), 4), np.nan)
    K.model_to_data_energy(*args, ss, st, rec)
    np.testing.assert_array_equal(ss, ssr)
    np.testing.assert_allclose(st, str_, rtol=1e-9, atol=1e-12)
    K.model_to_data_rows(samp, seg, fr.R_cam_floor, rec, H, g)
    np.testing.assert_allclose(H, Hr, rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(g, gr, rtol=1e-9, atol=1e-8)
    if variant == "normal":
        assert st[1] > 0 and (rec[:, 0] == 2).any()   # the displaced model is penalised somewhere
    if variant == "far_pixels":
        # pushed back somewhere, but not where the pixel is the far side of a depth edge
        # with the sample's depth next to it (those count as hidden): without that rule
        # more samples are pushed back and fewer hidden
        assert (rec[:, 0] == 1).any()
        no_edges = args[:15] + (np.inf,) + args[16:]
        _, _, ss_no_edges, st_no_edges = R.model_to_data_term(*no_edges, N_SEG)
        assert ss[:, 2].sum() > ss_no_edges[:, 2].sum() and st[1] < st_no_edges[1]
    if variant == "floor_band":  # samples below 0.5 m are unknown: not even counted as facing
        low = samp[:, 2] < 0.5
        assert ss[np.unique(seg[low & ~np.isin(seg, seg[~low])]), 0].sum() == 0


@pytest.mark.parametrize("v,u", [(0, 0), (0, 7), (5, 3), (9, 9), (9, 0)])
def test_nearest_depth_around(v, u):
    """Free space's look next to a pixel that saw through the model: the nearest valid depth
    in its 3 x 3 window (image borders clipped; zeros and NaN are no data), as the twin."""
    from station.fit._kernels_energy import nearest_depth_around
    rng = np.random.default_rng(v * 10 + u)
    d = (2.0 + rng.random((10, 10))).astype(np.float32)
    d[rng.random((10, 10)) < 0.4] = 0.0
    d[rng.random((10, 10)) < 0.1] = np.nan
    assert nearest_depth_around(d, v, u) == R.nearest_depth_around(d, v, u)
    d[max(v - 1, 0):v + 2, max(u - 1, 0):u + 2] = 0.0
    assert nearest_depth_around(d, v, u) == 0.0


def test_data_term_implement_capsule():
    """Points nearest a capsule of no segment (an implement) count as explained, add no rows."""
    rng = np.random.default_rng(3)
    pts = rng.normal(0, 0.02, (20, 3))
    idx = np.array([0, 1] * 10, np.int32); d = rng.normal(0, 0.02, 20)
    nrm = np.tile([0.0, 0, 1], (20, 1))
    cap_seg = np.array([0, -1], np.int32)
    H = np.zeros((2, 6, 6)); g = np.zeros((2, 6)); cnt = np.zeros(2); st = np.zeros(4)
    _data_term(pts, idx, d, nrm, cap_seg, np.full(2, -1, np.int32), 0.1, 0.03, 1.0, H, g, cnt, st)
    Hr, gr, cr, sr = R.data_term(pts, idx, d, nrm, cap_seg, 0.1, 0.03, 1.0, 2)
    np.testing.assert_allclose(H, Hr, atol=1e-9); np.testing.assert_allclose(st, sr, atol=1e-12)
    assert st[1] == 20 and cnt[0] == 10 and cnt[1] == 0 and not H[1].any()


def test_data_term_shared_capsule():
    """A capsule carried by two segments (a kettlebell in both hands): half the row to each."""
    rng = np.random.default_rng(4)
    pts = rng.normal(0, 0.05, (30, 3))
    idx = np.array([0, 1, 2] * 10, np.int32); d = rng.normal(0, 0.02, 30)
    nrm = rng.normal(size=(30, 3)); nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    cap_seg = np.array([0, 1, 0], np.int32); cap_seg2 = np.array([-1, -1, 2], np.int32)
    H = np.zeros((3, 6, 6)); g = np.zeros((3, 6)); cnt = np.zeros(3); st = np.zeros(4)
    _data_term(pts, idx, d, nrm, cap_seg, cap_seg2, 0.1, 0.03, 1.0, H, g, cnt, st)
    Hr, gr, cr, sr = R.data_term(pts, idx, d, nrm, cap_seg, 0.1, 0.03, 1.0, 3, cap_seg2)
    np.testing.assert_allclose(H, Hr, atol=1e-9); np.testing.assert_allclose(g, gr, atol=1e-9)
    np.testing.assert_allclose(cnt, cr); np.testing.assert_allclose(st, sr, atol=1e-12)
    assert H[2].any() and cnt[2] == 0


@pytest.mark.parametrize("n,m", [(0, 10), (1, 10), (10, 10), (3000, 1500), (1501, 1500)])
def test_subsample_indices(n, m):
    out = np.empty(min(n, m), np.int64)
    k = K.subsample_indices(n, m, out)
    np.testing.assert_array_equal(out[:k], R.subsample_indices(n, m))


def test_nearest_capsule_skipping_is_exact():
    """The bounding-sphere skip and the previous point's capsule tried first give exactly
    the result of trying every capsule in order: on a posed body's capsules (points in image
    order along the surface, inside and outside), and with duplicated capsules the first of
    equally near ones."""
    body = build_body()
    th = neutral_pose(body.shape)
    Rk, tk, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, Rk, tk, tw)
    a = np.empty_like(body.cap_a_local)
    b = np.empty_like(body.cap_b_local)
    K.points_to_world(Rk, tk, body.cap_seg, body.cap_a_local, a)
    K.points_to_world(Rk, tk, body.cap_seg, body.cap_b_local, b)
    rng = np.random.default_rng(7)
    pts = np.concatenate([a + rng.normal(0, 0.05, a.shape) for _ in range(40)])
    pts = pts[np.argsort(pts[:, 2])]                      # neighbours mostly on one capsule
    for caps in ((a, b, body.cap_ra, body.cap_rb),
                 (np.vstack([a, a[:3]]), np.vstack([b, b[:3]]),    # exact ties: the first wins
                  np.concatenate([body.cap_ra, body.cap_ra[:3]]),
                  np.concatenate([body.cap_rb, body.cap_rb[:3]]))):
        n = len(pts)
        idx = np.empty(n, np.int32); d = np.empty(n); nrm = np.empty((n, 3))
        K.nearest_capsule(pts, *caps, idx, d, nrm)
        ri, rd, rn = R.nearest_capsule(pts, *caps)
        np.testing.assert_array_equal(idx, ri)
        np.testing.assert_allclose(d, rd, atol=1e-12)
        np.testing.assert_allclose(nrm, rn, atol=1e-12)
        assert (idx < len(a)).all()


@pytest.mark.parametrize("n", [1, 2, 3, 30, 31, 2000, 3001])
def test_median_head(n):
    """median_head is np.median of the first n values to the bit (odd and even n, ties,
    values of the depth noise's size), and leaves the values as they were."""
    rng = np.random.default_rng(n)
    v = np.abs(rng.normal(0.0, 0.01, n + 17))
    v[: n // 3] = np.round(v[: n // 3], 3)       # ties
    before = v.copy()
    assert K.median_head(v, n) == np.median(v[:n])
    np.testing.assert_array_equal(v, before)


@pytest.mark.parametrize("shape,frac", [((1, 1), 1.0), ((1, 1), 0.0), ((7, 9), 0.0), ((7, 9), 0.05),
                                        ((30, 40), 0.01), ((30, 40), 1.0), ((1, 40), 0.1), ((40, 1), 0.1)])
def test_mask_extent(shape, frac):
    """The mask's box, which the distance transform and the second differences walk."""
    from station.fit._kernels_image import mask_extent
    mask = np.random.default_rng(shape[0] * 100 + shape[1]).random(shape) < frac
    assert mask_extent(mask) == R.mask_extent(mask)


@pytest.mark.parametrize("shape,frac", [((1, 2), 1.0), ((30, 40), 0.7), ((60, 80), 0.95)])
def test_second_differences(shape, frac):
    """The depth-noise kernel's second differences: the same values, rows then columns, as
    the NumPy twin (zeros, NaN and pixels outside the mask left out)."""
    from station.fit._kernels_image import second_differences
    rng = np.random.default_rng(shape[0])
    d = (2.5 + 0.01 * rng.normal(size=shape)).astype(np.float32)
    d[rng.random(shape) > 0.9] = 0.0
    d[rng.random(shape) > 0.97] = np.nan
    mask = rng.random(shape) < frac
    out = np.empty(2 * d.size)
    n = second_differences(d, mask, out)
    np.testing.assert_array_equal(out[:n], R.second_differences(d, mask))
    corner = mask.copy()   # a mask in one corner of the image: only its box is walked
    corner[: shape[0] // 2] = False
    corner[:, : shape[1] // 3] = False
    n = second_differences(d, corner, out)
    np.testing.assert_array_equal(out[:n], R.second_differences(d, corner))


@pytest.mark.parametrize("shape,frac,step,spacing", [((9, 9), 1.0, 1, 2), ((30, 40), 0.97, 1, 2),
                                                     ((30, 40), 0.97, 2, 1), ((60, 80), 0.99, 3, 2),
                                                     ((8, 40), 1.0, 1, 2)])
def test_window_residual_ss(shape, frac, step, spacing):
    """The window noise kernel: the same residual sums of squares, in the same order, as the
    NumPy twin (windows with a zero, NaN or unmasked sample left out; a mask too small for a
    window gives none)."""
    from station.fit._kernels_image import window_residual_ss
    from station.fit.noise import _HAT_RESID
    rng = np.random.default_rng(shape[1] + step)
    d = (2.5 + 0.01 * rng.normal(size=shape)).astype(np.float32)
    d[rng.random(shape) > 0.99] = 0.0
    d[rng.random(shape) > 0.995] = np.nan
    mask = rng.random(shape) < frac
    out = np.empty(d.size)
    n = window_residual_ss(d, mask, _HAT_RESID, step, spacing, out)
    want = R.window_residual_ss(d, mask, _HAT_RESID, step, spacing)
    assert n == len(want)
    np.testing.assert_allclose(out[:n], want, rtol=1e-9, atol=1e-15)
    corner = mask.copy()   # a mask in one corner: the windows start at its box's corner
    corner[: shape[0] // 3] = False
    corner[:, : shape[1] // 4] = False
    n = window_residual_ss(d, corner, _HAT_RESID, step, spacing, out)
    want = R.window_residual_ss(d, corner, _HAT_RESID, step, spacing)
    assert n == len(want)
    np.testing.assert_allclose(out[:n], want, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("anchors", [False, "held", "released"])
def test_contact_rows(anchors):
    """Floor, collision and anchor rows: sole points below, within and above the contact
    band (and a heel raised off a toe in the band), pairs penetrating and apart; anchors held
    at their weight, or one ankle let go with distance (release scale > 0) and the other held."""
    rng = np.random.default_rng(int(bool(anchors)))
    ns, npairs, na = 6, 5, 6 if anchors else 0
    sole = rng.normal(0, 0.05, (ns, 3))
    # three feet (heel, toe): the heel up, the toe in the band; both up; one below the floor,
    # the other beyond the reach of a foot on the floor
    sole[:, 2] = [0.07, 0.02, 0.07, 0.07, -0.01, 0.15]
    cp1, cp2, cn = rng.normal(size=(npairs, 3)), rng.normal(size=(npairs, 3)), rng.normal(size=(npairs, 3))
    cdepth, pair_slack = rng.normal(0, 0.02, npairs), rng.uniform(0, 0.01, npairs)
    ankles = rng.normal(size=(2, 3))
    release = [[0.05], [0.0]] if anchors == "released" else [[0.0], [0.0]]
    target = np.concatenate([np.repeat(ankles + rng.normal(0, 0.05, (2, 3)), 3, axis=0),
                             np.full((6, 1), 4444.0), np.repeat(release, 3, axis=0)], axis=1)[:na]
    n1_anchor = np.tile(np.eye(3), (2, 1))[:na]
    n = ns + npairs + na
    x1, x2, n1, n2 = np.empty((n, 3)), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3))
    res, w = np.empty(n), np.zeros(n)
    n1[ns + npairs:] = n1_anchor
    K.contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack, 0.01, 4e4, 0.04, 1e3, 1e4, ankles,
                   target, na, x1, x2, n1, n2, res, w)
    ref = R.contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack, 0.01, 4e4, 0.04, 1e3, 1e4,
                         ankles, target, n1_anchor)
    for got, want in zip((x1, x2[ns:], n1[ns:], n2[ns:], res, w),
                         (ref[0], ref[1][ns:], ref[2][ns:], ref[3][ns:], ref[4], ref[5])):
        np.testing.assert_array_equal(got, want)
    # a foot on the floor rests on its sole: the raised heel of a toe in the band is pulled down
    np.testing.assert_array_equal(w[:ns], [1e3, 1e3, 0.0, 0.0, 4e4, 0.0])
    assert (w[ns:ns + npairs] > 0).any() and (w[ns:ns + npairs] == 0).any()
    if anchors == "released":
        d = np.linalg.norm(ankles[0] - target[0, :3])
        np.testing.assert_allclose(w[ns + npairs:], [4444.0 * 0.05 ** 2 / (0.05 ** 2 + d * d)] * 3 + [4444.0] * 3)
    elif anchors:
        np.testing.assert_array_equal(w[ns + npairs:], 4444.0)


@pytest.mark.parametrize("heights", [(0.30, 0.36, 0.25, 0.22),     # both feet well up
                                     (0.08, 0.09, 0.07, 0.12),     # floating a few cm
                                     (0.30, 0.36, 0.02, 0.22)])    # one toe in the band
def test_contact_rows_support(heights):
    """A person stands on a foot: with both feet in the air, the lowest sole point (and only
    it) is pulled down to SUPPORT_FREE_M, its residual the height above that; a few cm up,
    or with a sole point in the band, nothing changes. Against the NumPy twin."""
    from station.fit._kernels_energy import SUPPORT_FREE_M, SUPPORT_SIGMA_M
    rng = np.random.default_rng(7)
    sole = rng.normal(0, 0.05, (4, 3))
    sole[:, 2] = heights
    ns, npairs = 4, 1
    cp1, cp2, cn = rng.normal(size=(1, 3)), rng.normal(size=(1, 3)), rng.normal(size=(1, 3))
    cdepth, pair_slack = np.array([-0.1]), np.zeros(1)
    n = ns + npairs
    x1, x2, n1, n2 = np.empty((n, 3)), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3))
    res, w = np.empty(n), np.zeros(n)
    target = np.zeros((0, 5))
    K.contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack, 0.01, 4e4, 0.04, 1e3, 1e4, np.zeros((2, 3)),
                   target, 0, x1, x2, n1, n2, res, w)
    ref = R.contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack, 0.01, 4e4, 0.04, 1e3, 1e4,
                         np.zeros((2, 3)), target, np.zeros((0, 3)))
    np.testing.assert_array_equal(res, ref[4])
    np.testing.assert_array_equal(w, ref[5])
    z = np.asarray(heights)
    want_w, want_res = np.where(z < 0.04, 1e3, 0.0), z.copy()
    if z.min() > SUPPORT_FREE_M:
        k = int(np.argmin(z))
        want_w[k], want_res[k] = 1.0 / SUPPORT_SIGMA_M ** 2, z[k] - SUPPORT_FREE_M
    np.testing.assert_array_equal(w[:ns], want_w)
    np.testing.assert_allclose(res[:ns], want_res)


@pytest.mark.parametrize("with_pred", [False, True])
def test_diagonal_terms(with_pred):
    """Limits (some DOFs beyond their bounds), prior, knee fold (one side folded), the
    smoothness pairs and the temporal term, against the NumPy twin."""
    from station.fit.body_model import DOF, DOF_LOWER, DOF_UPPER
    rng = np.random.default_rng(3)
    theta = rng.normal(0, 1.5, N_DOF)
    theta[DOF["knee_l_flex"]], theta[DOF["hip_l_flex"]] = 2.5, 0.2
    pred = theta + rng.normal(0, 0.1, N_DOF) if with_pred else None
    prior_w, temporal_w = rng.uniform(0, 5, N_DOF), rng.uniform(1, 100, N_DOF)
    kh = np.array([(DOF["knee_l_flex"], DOF["hip_l_flex"]), (DOF["knee_r_flex"], DOF["hip_r_flex"])])
    A0, b0 = rng.normal(size=(N_DOF, N_DOF)), rng.normal(size=N_DOF)
    A, b = A0.copy(), b0.copy()
    ep, ek, et = np.empty(N_DOF), np.empty(2), np.empty(N_DOF)
    pairs = np.array([(DOF["thorax_flex"], DOF["upper_thorax_flex"]), (DOF["lumbar_flex"], DOF["thorax_flex"])])
    pair_w = np.array([30.0, 7.0])
    pair_mu = np.array([0.0, 0.15])                 # the second centred on a rest
    K.diagonal_terms(theta, theta if pred is None else pred, with_pred, DOF_LOWER, DOF_UPPER,
                     np.isfinite(DOF_LOWER), np.isfinite(DOF_UPPER), 1e4, prior_w, temporal_w,
                     kh, 1.0, 100.0, A, b, ep, ek, et, pairs, pair_w, pair_mu)
    rA, rb, rep, rek, ret = R.diagonal_terms(theta, pred, DOF_LOWER, DOF_UPPER, 1e4, prior_w,
                                             temporal_w, kh, 1.0, 100.0, A0, b0, pairs, pair_w,
                                             pair_mu)
    np.testing.assert_allclose(A, rA, atol=1e-9)
    np.testing.assert_allclose(b, rb, atol=1e-9)
    np.testing.assert_allclose(ep, rep, atol=1e-9)
    np.testing.assert_allclose(ek, rek, atol=1e-9)
    assert ek[0] > 0 and ek[1] == 0
    if with_pred:
        np.testing.assert_allclose(et, ret, atol=1e-9)
    assert np.count_nonzero(ep > 1e3) > 0          # some DOFs were beyond their limits
    ja, jb = pairs[0]                               # the pair couples its two DOFs
    assert A[ja, jb] - A0[ja, jb] == pytest.approx(-30.0)
    # the rest moves the pair's pull: the twin at mu 0 differs by exactly 7 * 0.15 on its DOFs
    _, rb0, _, _, _ = R.diagonal_terms(theta, pred, DOF_LOWER, DOF_UPPER, 1e4, prior_w,
                                       temporal_w, kh, 1.0, 100.0, A0, b0, pairs, pair_w)
    ka, kb = pairs[1]
    assert (rb0 - b)[ka] == pytest.approx(7.0 * 0.15) and (rb0 - b)[kb] == pytest.approx(-7.0 * 0.15)


@pytest.mark.parametrize("n", [0, 40])
def test_grip_rows(n):
    """A bar's points pull both forearms at their grips: only points of the bar capsule
    within the gate count."""
    from station.fit.body_model import SEG
    rng = np.random.default_rng(n)
    tw = rng.normal(size=(N_DOF, 6))
    cap_idx = rng.integers(0, 3, n).astype(np.int32)
    dist = rng.normal(0, 0.1, n)
    nrm = rng.normal(size=(n, 3))
    gl, gr = rng.normal(size=3), rng.normal(size=3)
    A = np.zeros((N_DOF, N_DOF)); b = np.zeros(N_DOF)
    got = K.grip_rows(cap_idx, dist, nrm, 2, 0.12, 0.03, 0.7, gl, gr, SEG["forearm_l"],
                      SEG["forearm_r"], tw, SEG_CHAIN, A, b)
    Ar, br = R.grip_rows(cap_idx, dist, nrm, 2, 0.12, 0.03, 0.7, gl, gr, SEG["forearm_l"],
                         SEG["forearm_r"], tw, SEG_CHAIN)
    assert got == np.count_nonzero((cap_idx == 2) & (np.abs(dist) < 0.12))
    assert (got > 0) == (n > 0)
    np.testing.assert_allclose(A, Ar, atol=1e-10)
    np.testing.assert_allclose(b, br, atol=1e-10)


def _diag_extra(theta, n_rows, n_samp, use_pred=False):
    """evaluate's arguments after the rows' outputs: the per-DOF terms (limits, prior, knee
    fold, temporal), their energies' and the scratch arrays (row_energy, A_obs, m2d_rec)."""
    from station.fit.body_model import DOF, DOF_LOWER, DOF_PAIRS, DOF_UPPER
    kh = np.array([(DOF["knee_l_flex"], DOF["hip_l_flex"]), (DOF["knee_r_flex"], DOF["hip_r_flex"])])
    return (theta, use_pred, DOF_LOWER, DOF_UPPER, np.isfinite(DOF_LOWER), np.isfinite(DOF_UPPER),
            1e4, np.full(N_DOF, 2.0), np.full(N_DOF, 8.0), kh, 1.0, 100.0, np.empty(N_DOF),
            np.empty(2), np.empty(N_DOF), np.empty(n_rows), np.empty((N_DOF, N_DOF)),
            np.empty((n_samp, 4)), DOF_PAIRS, np.full(len(DOF_PAIRS), 33.0),
            np.linspace(0.0, 0.1, len(DOF_PAIRS)))


def _diag_twin(theta, A, b, extra):
    """reference.diagonal_terms on (A, b) with _diag_extra's weights: (A, b, energies)"""
    (_, _, lo, hi, _, _, limit_w, prior_w, temporal_w, kh, margin, knee_w) = extra[:12]
    return R.diagonal_terms(theta, None, lo, hi, limit_w, prior_w, temporal_w, kh, margin, knee_w,
                            A, b, *extra[-3:])


@pytest.mark.parametrize("implement", [None, "bar", "kettlebell", "dumbbells"])
def test_linearise(implement):
    """One LM evaluation's linearisation (data, model -> data, floor, collisions, anchors,
    the level and lateral rows, the bar's pull) by the fit's two passes (pose_energy, then
    linearise_accepted) against its NumPy twin (reference.linearise, then diagonal_terms), on a
    self-rendered person with the model moved off the data."""
    from tests.fit.selfrender import render_cloud
    from station.fit.body_model import DOF, SEG
    from station.fit.solver import (
        FitWeights, Workspace, implement_ends, implement_layout, posed_capsules, prepare_frame,
    )
    body, w = build_body(), FitWeights()
    th = neutral_pose(body.shape)
    fr = prepare_frame(render_cloud(body, th, seed=2))
    th2 = th.copy(); th2[DOF["root_tx"]] += 0.05; th2[DOF["hip_l_flex"]] += 0.5
    th2[DOF["root_tz"]] -= 0.03     # soles below the floor: floor rows
    ws = Workspace()
    n_cap = len(body.cap_seg)
    imp_r, imp_seg, imp_seg2 = implement_layout(implement, w)
    ca, cb = np.empty((n_cap + len(imp_r), 3)), np.empty((n_cap + len(imp_r), 3))
    posed_capsules(body, th2, ws, ca[:n_cap], cb[:n_cap])
    ca[n_cap:], cb[n_cap:] = implement_ends(body, ca, cb, ws.seg_R, implement, w)
    cap_seg_x = np.concatenate([body.cap_seg, imp_seg]).astype(np.int32)
    cap_seg2_x = np.concatenate([np.full(n_cap, -1, np.int32), imp_seg2]).astype(np.int32)
    ra_x, rb_x = np.concatenate([body.cap_ra, imp_r]), np.concatenate([body.cap_rb, imp_r])
    pairs = body.collision_pairs
    ns, npairs, na = len(body.sole_seg), len(pairs), 6
    level_row = ns + npairs + na if implement in ("bar", "kettlebell") else -1
    lat_row = ns + npairs + na + (level_row >= 0)
    n_rows = lat_row + 1
    seg1, seg2 = np.empty(n_rows, np.int32), np.full(n_rows, -1, np.int32)
    n1, n2, rw = np.zeros((n_rows, 3)), np.zeros((n_rows, 3)), np.zeros(n_rows)
    seg1[:ns] = body.sole_seg; n1[:ns] = [0, 0, 1]
    seg1[ns:ns + npairs] = body.cap_seg[pairs[:, 0]]; seg2[ns:ns + npairs] = body.cap_seg[pairs[:, 1]]
    from station.model import SKELETON_INDEX
    ankle_idx = np.array([SKELETON_INDEX["ankle_l"], SKELETON_INDEX["ankle_r"]])
    ankle_seg, ankle_local = body.point_seg[ankle_idx], body.point_local[ankle_idx]
    seg1[ns + npairs:ns + npairs + na] = np.repeat(ankle_seg, 3)
    n1[ns + npairs:ns + npairs + na] = np.tile(np.eye(3), (2, 1))
    # targets, weight and release scale: the left ankle let go with distance, the right held
    target = np.repeat(np.array([[0.1, 0.2, 0.05, 4e3, 0.05], [-0.1, 0.25, 0.05, 4e3, 0.0]]), 3, axis=0)
    if level_row >= 0:
        seg1[level_row], seg2[level_row] = SEG["forearm_l"], SEG["forearm_r"]
        n1[level_row], n2[level_row], rw[level_row] = [0, 0, 1], [0, 0, -1], 1e3
    seg1[lat_row], n1[lat_row], rw[lat_row] = 0, [0.0, 1.0, 0.0], 1e4
    lat_dir, lat_target = np.array([0.0, 1.0, 0.0]), float(ws.seg_t[0, 1]) - 0.02   # residual 0.02
    hl, hr = (int(c) for c in body.hand_caps)
    bar_cap = n_cap if implement == "bar" else -1
    kind = {None: K.NO_IMPLEMENT, "bar": K.BAR, "kettlebell": K.KETTLEBELL, "dumbbells": K.DUMBBELLS}

    def frame_args(ca_, cb_, R_, t_, tw_):
        return (fr.points_floor_m, ca_, cb_, ra_x, rb_x, cap_seg_x, cap_seg2_x, 0.12, 0.03, 0.7, 0.3, True,
                R_, t_, tw_, SEG_CHAIN, body.sample_seg, body.sample_local,
                body.sample_normal_local, fr.cam_pos_floor_m, fr.R_cam_floor, fr.t_cam_floor, fr.fx,
                fr.fy, fr.cx, fr.cy, fr.mask, fr.depth_m, fr.near_u, fr.near_v, 0.04, 0.10, 1.0, 0.05,
                750.0, 750.0, 0.05, n_cap, body.cap_ra, body.cap_rb, pairs, body.sole_seg, body.sole_local,
                body.collision_slack_m, 0.01, 4e4, 0.04, 1.1e3, 1e4, ankle_seg, ankle_local, target, na,
                hl, hr, level_row, lat_row)
    n_pts, n_samp = len(fr.points_floor_m), len(body.sample_seg)
    scratch = (np.empty(n_pts, np.int32), np.empty(n_pts), np.empty((n_pts, 3)), np.empty((n_pts, 3)),
               np.empty((n_samp, 3)),
               np.empty((n_samp, 3)), np.empty((ns, 3)), np.empty((npairs, 3)), np.empty((npairs, 3)),
               np.empty((npairs, 3)), np.empty(npairs), np.empty((2, 3)))
    x1, x2, res = np.empty((n_rows, 3)), np.zeros((n_rows, 3)), np.zeros(n_rows)
    n1k, n2k, rwk = n1.copy(), n2.copy(), rw.copy()
    out = (np.full((N_SEG, 6, 6), 9.0), np.full((N_SEG, 6), 9.0), np.full(N_SEG, 9.0), np.full(4, 9.0),
           np.full((N_SEG, 4), 9.0), np.full(2, 9.0), np.full((N_DOF, N_DOF), 9.0), np.full(N_DOF, 9.0))
    pose = (SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, body.cap_seg, body.cap_a_local,
            body.cap_b_local, kind[implement], int(body.upper_arm_caps[0]), int(body.upper_arm_caps[1]),
            w.bar_half_length_m, w.bell_drop_m, w.dumbbell_half_length_m, lat_dir, lat_target)
    cak, cbk = np.full_like(ca, 9.0), np.full_like(cb, 9.0)
    Rk, tk, twk = np.full((N_SEG, 3, 3), 9.0), np.full((N_SEG, 3), 9.0), np.full((N_DOF, 6), 9.0)
    extra = _diag_extra(th2, n_rows, n_samp)
    ev = (*pose, *frame_args(cak, cbk, Rk, tk, twk), bar_cap, 0.7, SEG["forearm_l"], SEG["forearm_r"],
          *scratch, seg1, x1, n1k, seg2, x2, n2k, res, rwk, *out, *extra)
    E = K.pose_energy(th2, *ev)                 # outputs zeroed first
    K.linearise_accepted(th2, *ev)
    H, g, cnt, dstats, sstats, m2d, A, b = out
    A_obs, ep, ek = extra[16], extra[12], extra[13]
    for got, want in ((cak, ca), (cbk, cb), (Rk, ws.seg_R), (twk, ws.twist)):    # the same pose
        np.testing.assert_allclose(got, want, atol=1e-12)
    rA, rb, rH, rg, rcnt, rdstats, rsstats, rm2d, rres, rrw = R.linearise(
        *frame_args(ca, cb, ws.seg_R, ws.seg_t, ws.twist), float(ws.seg_t[0] @ lat_dir) - lat_target,
        bar_cap, 0.7, SEG["forearm_l"], SEG["forearm_r"], seg1, n1, seg2, n2, rw)
    np.testing.assert_allclose(A_obs, rA, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(H, rH, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(g, rg, rtol=1e-9, atol=1e-8)
    np.testing.assert_array_equal(cnt, rcnt)
    np.testing.assert_allclose(dstats, rdstats, rtol=1e-12)
    np.testing.assert_array_equal(sstats, rsstats)
    np.testing.assert_allclose(m2d, rm2d, rtol=1e-9)
    np.testing.assert_allclose(res, rres, atol=1e-12)
    np.testing.assert_allclose(rwk, rrw)
    dA, db, rep, rek, _ = _diag_twin(th2, rA, rb, extra)    # then the per-DOF terms
    np.testing.assert_allclose(A, dA, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(b, db, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(E, rdstats[0] + rm2d[0] + (rrw * rres * rres).sum() + rep.sum() + rek.sum(),
                               rtol=1e-12)
    # every kind of row was active: inliers, model -> data penalties, floor, anchors
    assert dstats[1] > 100 and m2d[1] > 0 and (rwk[:ns] > 0).any() and rwk[lat_row] > 0
    a0 = ns + npairs
    assert (rwk[a0 + 3:a0 + 6] == 4e3).all() and (0 < rwk[a0:a0 + 3]).all() and (rwk[a0:a0 + 3] < 4e3).all()
    if implement == "bar":   # some points pull the grips (the bar through the hands meets the hips)
        assert np.count_nonzero((scratch[0] == bar_cap) & (np.abs(scratch[1]) < 0.12)) > 0


def test_dot3():
    """dot3 is a dot product (to rounding), the order NumPy's `a @ b` sums in."""
    rng = np.random.default_rng(5)
    for a, b in rng.normal(size=(200, 2, 3)):
        np.testing.assert_allclose(K.dot3(*a, *b), float(a @ b), rtol=1e-14, atol=1e-15)
    assert K.dot3(1.0, 2.0, 3.0, 4.0, 5.0, 6.0) == 32.0


def test_kernels_run_as_python_without_the_jit():
    """Under NUMBA_DISABLE_JIT (coverage) the intrinsics have Python equivalents that give the
    compiled results: dot3 fused as compiled (-1 + 0.1 * 10 is 5.55e-17 rounded once, 0 in two
    roundings) and the lowest set bit."""
    import os
    import subprocess
    import sys
    code = ("import numpy as np\n"
            "from station.fit._kernels_geometry import _lowest_bit\n"
            "from station.fit._kernels import dot3\n"
            "print(repr(dot3(-1.0, 0.1, 0.0, 1.0, 10.0, 0.0)), _lowest_bit(np.uint64(40)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "NUMBA_DISABLE_JIT": "1"}).stdout.split()
    fused = K.dot3(-1.0, 0.1, 0.0, 1.0, 10.0, 0.0)
    assert fused == 5.551115123125783e-17 and -1.0 + 0.1 * 10.0 == 0.0
    assert float(out[0]) == fused and out[1] == "3"


@pytest.mark.parametrize("implement", ["bar", "kettlebell", "dumbbells"])
def test_implement_ends(implement):
    """The implement's capsule ends (numba) against station.fit.solver.implement_ends (their
    NumPy twin) over random poses, and the degenerate grips (hands together)."""
    from station.fit.body_model import N_DOF as ND
    from station.fit.solver import FitWeights, Workspace, implement_ends, posed_capsules
    body, w = build_body(), FitWeights()
    kind = {"bar": K.BAR, "kettlebell": K.KETTLEBELL, "dumbbells": K.DUMBBELLS}[implement]
    k = 2 if implement == "dumbbells" else 1
    n_cap = len(body.cap_seg)
    rng = np.random.default_rng(6)
    hl, hr = (int(c) for c in body.hand_caps)
    for trial in range(40):
        ws = Workspace()
        ca, cb = np.empty((n_cap + k, 3)), np.empty((n_cap + k, 3))
        posed_capsules(body, neutral_pose(body.shape) + rng.normal(0, 0.4, ND), ws, ca[:n_cap], cb[:n_cap])
        if trial == 0:      # both hands at one place: the fallback directions
            ca[hr], cb[hr] = ca[hl], cb[hl]
        a, b = implement_ends(body, ca, cb, ws.seg_R, implement, w)
        K.implement_ends(ca, cb, ws.seg_R, n_cap, kind, hl, hr, int(body.upper_arm_caps[0]),
                         int(body.upper_arm_caps[1]), w.bar_half_length_m, w.bell_drop_m,
                         w.dumbbell_half_length_m)
        np.testing.assert_allclose(ca[n_cap:], a, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(cb[n_cap:], b, rtol=1e-13, atol=1e-14)
    ca0 = ca.copy()
    K.implement_ends(ca, cb, ws.seg_R, n_cap, K.NO_IMPLEMENT, hl, hr, 0, 0, 1.0, 1.0, 1.0)
    np.testing.assert_array_equal(ca, ca0)      # no implement: nothing written


def test_evaluate_pose():
    """The whole evaluation (pose, capsules, implement, lateral residual, the rows) equals
    its NumPy twins run one by one: forward kinematics and the capsules (reference), the
    implement's ends (station.fit.solver's NumPy), then reference.linearise and
    diagonal_terms."""
    from tests.fit.selfrender import render_cloud
    from station.fit.body_model import DOF, SEG, SEG_PARENT as SP
    from station.fit.solver import FitWeights, implement_ends, implement_layout, prepare_frame
    body, w = build_body(), FitWeights()
    th = neutral_pose(body.shape)
    fr = prepare_frame(render_cloud(body, th, seed=3))
    th2 = th.copy(); th2[DOF["root_ty"]] += 0.04; th2[DOF["shoulder_l_flex"]] += 0.6
    n_cap = len(body.cap_seg)
    imp_r, imp_seg, imp_seg2 = implement_layout("bar", w)
    cap_seg_x = np.concatenate([body.cap_seg, imp_seg]).astype(np.int32)
    cap_seg2_x = np.concatenate([np.full(n_cap, -1, np.int32), imp_seg2]).astype(np.int32)
    ra_x, rb_x = np.concatenate([body.cap_ra, imp_r]), np.concatenate([body.cap_rb, imp_r])
    pairs = body.collision_pairs
    ns, npairs = len(body.sole_seg), len(pairs)
    lat_row = ns + npairs + 1
    n_rows = lat_row + 1
    seg1, seg2 = np.zeros(n_rows, np.int32), np.full(n_rows, -1, np.int32)
    n1, n2, rw = np.zeros((n_rows, 3)), np.zeros((n_rows, 3)), np.zeros(n_rows)
    seg1[:ns] = body.sole_seg; n1[:ns] = [0, 0, 1]
    seg1[ns:ns + npairs] = body.cap_seg[pairs[:, 0]]; seg2[ns:ns + npairs] = body.cap_seg[pairs[:, 1]]
    seg1[ns + npairs], seg2[ns + npairs] = SEG["forearm_l"], SEG["forearm_r"]
    n1[ns + npairs], n2[ns + npairs], rw[ns + npairs] = [0, 0, 1], [0, 0, -1], 1e3
    lat_dir = np.array([-np.sin(0.3), np.cos(0.3), 0.0])
    n1[lat_row], rw[lat_row] = lat_dir, 1e4
    hl, hr = (int(c) for c in body.hand_caps)
    n_pts, n_samp = len(fr.points_floor_m), len(body.sample_seg)

    def frame_args(ca, cb, R_, t_, tw):
        return (fr.points_floor_m, ca, cb, ra_x, rb_x, cap_seg_x, cap_seg2_x, 0.12, 0.03, 0.7, 0.3, True,
                R_, t_, tw, SEG_CHAIN, body.sample_seg, body.sample_local, body.sample_normal_local,
                fr.cam_pos_floor_m, fr.R_cam_floor, fr.t_cam_floor, fr.fx, fr.fy, fr.cx, fr.cy,
                fr.mask, fr.depth_m, fr.near_u, fr.near_v, 0.04, 0.10, 1.0, 0.05, 750.0, 750.0, 0.05,
                n_cap, body.cap_ra, body.cap_rb, pairs, body.sole_seg, body.sole_local,
                body.collision_slack_m, 0.01, 4e4, 0.04, 1.1e3, 1e4, body.sole_seg[:0],
                body.sole_local[:0], np.zeros((0, 5)), 0, hl, hr, ns + npairs, lat_row)

    ca, cb, R_, t_, tw = (np.zeros((n_cap + 1, 3)), np.zeros((n_cap + 1, 3)), np.zeros((N_SEG, 3, 3)),
                          np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6)))
    scratch = (np.empty(n_pts, np.int32), np.empty(n_pts), np.empty((n_pts, 3)), np.empty((n_pts, 3)),
               np.empty((n_samp, 3)),
               np.empty((n_samp, 3)), np.empty((ns, 3)), np.empty((npairs, 3)), np.empty((npairs, 3)),
               np.empty((npairs, 3)), np.empty(npairs), np.empty((2, 3)), seg1.copy(),
               np.zeros((n_rows, 3)), n1.copy(), seg2.copy(), np.zeros((n_rows, 3)), n2.copy(),
               np.zeros(n_rows), rw.copy())
    out = (np.zeros((N_SEG, 6, 6)), np.zeros((N_SEG, 6)), np.zeros(N_SEG), np.zeros(4),
           np.zeros((N_SEG, 4)), np.zeros(2), np.zeros((N_DOF, N_DOF)), np.zeros(N_DOF))
    extra = _diag_extra(th2, n_rows, n_samp)
    E = K.evaluate(th2, SP, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, body.cap_seg,
                   body.cap_a_local, body.cap_b_local, K.BAR, int(body.upper_arm_caps[0]),
                   int(body.upper_arm_caps[1]), w.bar_half_length_m, w.bell_drop_m,
                   w.dumbbell_half_length_m, lat_dir, 0.05, *frame_args(ca, cb, R_, t_, tw), n_cap, 0.7,
                   SEG["forearm_l"], SEG["forearm_r"], *scratch, *out, *extra)
    # the parts
    ca2, cb2 = np.zeros((n_cap + 1, 3)), np.zeros((n_cap + 1, 3))
    R2, t2, tw2 = R.forward_kinematics(th2, SP, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS)
    ca2[:n_cap] = R.points_to_world(R2, t2, body.cap_seg, body.cap_a_local)
    cb2[:n_cap] = R.points_to_world(R2, t2, body.cap_seg, body.cap_b_local)
    ca2[n_cap:], cb2[n_cap:] = implement_ends(body, ca2, cb2, R2, "bar", w)
    np.testing.assert_allclose(R_, R2, atol=1e-12); np.testing.assert_allclose(tw, tw2, atol=1e-12)
    np.testing.assert_allclose(ca, ca2, atol=1e-12); np.testing.assert_allclose(cb, cb2, atol=1e-12)
    rA, rb, rH, rg, rcnt, rdstats, rsstats, rm2d, res2, rw2 = R.linearise(
        *frame_args(ca2, cb2, R2, t2, tw2), float(t2[0] @ lat_dir) - 0.05, n_cap, 0.7,
        SEG["forearm_l"], SEG["forearm_r"], seg1, n1, seg2, n2, rw)
    dA, db, rep, rek, _ = _diag_twin(th2, rA, rb, extra)
    for got, want in zip((*out[:6], extra[16], out[6], out[7]),
                         (rH, rg, rcnt, rdstats, rsstats, rm2d, rA, dA, db)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-7)
    res = scratch[18]
    np.testing.assert_allclose(res, res2, atol=1e-12)
    np.testing.assert_allclose(scratch[19], rw2)
    np.testing.assert_allclose(E, rdstats[0] + rm2d[0] + (rw2 * res2 * res2).sum() + rep.sum() + rek.sum(),
                               rtol=1e-12)
    assert res[lat_row] != 0.0 and out[6].any()


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 32, 129, 300, 1024])
def test_numpy_sum(n):
    """numpy_sum is a sum (to rounding) for short and long arrays, NumPy's pairwise way."""
    a = np.random.default_rng(n).normal(size=n) * 1e3
    np.testing.assert_allclose(K.numpy_sum(a), a.sum(), rtol=1e-13, atol=1e-12)
    with pytest.raises(ValueError):
        K.numpy_sum(np.zeros(1025))


@pytest.mark.parametrize("with_pred", [False, True])
def test_evaluate(with_pred):
    """evaluate = the pose, the linearisation, a copy of A, the energy and the per-DOF terms:
    against those parts' NumPy twins (forward kinematics, the capsules, linearise,
    diagonal_terms, the sums); and its two passes against it, to the bit."""
    from station.fit.body_model import DOF, DOF_LOWER, DOF_PAIRS, DOF_UPPER, SEG, SEG_PARENT as SP
    from station.fit.solver import prepare_frame
    from tests.fit.selfrender import render_cloud
    body = build_body()
    th = neutral_pose(body.shape)
    fr = prepare_frame(render_cloud(body, th, seed=4))
    th2 = th.copy(); th2[DOF["root_tz"]] -= 0.02; th2[DOF["knee_l_flex"]] = 3.0   # limit, knee fold
    th2[DOF["upper_thorax_flex"]] = 0.2                                           # a smoothness pair
    pair_w = np.full(len(DOF_PAIRS), 33.0)
    pair_mu = np.linspace(0.0, 0.1, len(DOF_PAIRS))                                # a pair at a rest
    pred = th + 0.05 if with_pred else th2
    pairs = body.collision_pairs
    ns, npairs = len(body.sole_seg), len(pairs)
    n_rows, n_cap = ns + npairs, len(body.cap_seg)
    seg1, seg2 = np.zeros(n_rows, np.int32), np.full(n_rows, -1, np.int32)
    seg1[:ns] = body.sole_seg
    seg1[ns:] = body.cap_seg[pairs[:, 0]]; seg2[ns:] = body.cap_seg[pairs[:, 1]]
    n1 = np.zeros((n_rows, 3)); n1[:ns] = [0, 0, 1]
    kh = np.array([(DOF["knee_l_flex"], DOF["hip_l_flex"]), (DOF["knee_r_flex"], DOF["hip_r_flex"])])
    prior_w, temporal_w = np.full(N_DOF, 2.0), np.full(N_DOF, 8.0)
    n_pts, n_samp = len(fr.points_floor_m), len(body.sample_seg)

    def run(fn, extra, calls=None):
        """fn at th2 on fresh buffers; or each (fn, theta) of calls in turn on the same ones"""
        bufs = [np.zeros((n_cap, 3)), np.zeros((n_cap, 3)), np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)),
                np.zeros((N_DOF, 6))]
        scratch = [np.empty(n_pts, np.int32), np.empty(n_pts), np.empty((n_pts, 3)), np.empty((n_pts, 3)),
               np.empty((n_samp, 3)),
                   np.empty((n_samp, 3)), np.empty((ns, 3)), np.empty((npairs, 3)), np.empty((npairs, 3)),
                   np.empty((npairs, 3)), np.empty(npairs), np.empty((2, 3)), seg1, np.zeros((n_rows, 3)),
                   n1.copy(), seg2, np.zeros((n_rows, 3)), np.zeros((n_rows, 3)), np.zeros(n_rows),
                   np.zeros(n_rows)]
        out = [np.zeros((N_SEG, 6, 6)), np.zeros((N_SEG, 6)), np.zeros(N_SEG), np.zeros(4),
               np.zeros((N_SEG, 4)), np.zeros(2), np.zeros((N_DOF, N_DOF)), np.zeros(N_DOF)]
        ca, cb, R_, t_, tw = bufs
        for fn_, th_ in calls or [(fn, th2)]:
            e = one(fn_, th_, bufs, scratch, out, extra)
        return e, scratch, out

    def one(fn, theta, bufs, scratch, out, extra):
        ca, cb, R_, t_, tw = bufs
        return fn(theta, SP, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, body.cap_seg, body.cap_a_local,
               body.cap_b_local, K.NO_IMPLEMENT, 0, 0, 1.0, 1.0, 1.0, np.zeros(3), 0.0,
               fr.points_floor_m, ca, cb, body.cap_ra, body.cap_rb, body.cap_seg,
               np.full(n_cap, -1, np.int32), 0.12, 0.03, 0.7, 0.3, True, R_, t_, tw, SEG_CHAIN,
               body.sample_seg, body.sample_local, body.sample_normal_local, fr.cam_pos_floor_m,
               fr.R_cam_floor, fr.t_cam_floor, fr.fx, fr.fy, fr.cx, fr.cy, fr.mask, fr.depth_m,
               fr.near_u, fr.near_v, 0.04, 0.10, 1.0, 0.05, 750.0, 750.0, 0.05, n_cap, body.cap_ra,
               body.cap_rb, pairs, body.sole_seg, body.sole_local, body.collision_slack_m, 0.01,
               4e4, 0.04, 1.1e3, 1e4, body.sole_seg[:0], body.sole_local[:0], np.zeros((0, 3)), 0,
               0, 1, -1, -1, -1, 0.0, SEG["forearm_l"], SEG["forearm_r"], *scratch, *out, *extra)

    ep, ek, et = np.empty(N_DOF), np.empty(2), np.empty(N_DOF)
    A_obs, row_e = np.empty((N_DOF, N_DOF)), np.empty(n_rows)
    E, scratch, out = run(K.evaluate, (pred, with_pred, DOF_LOWER, DOF_UPPER, np.isfinite(DOF_LOWER),
                                       np.isfinite(DOF_UPPER), 1e4, prior_w, temporal_w, kh, 1.0,
                                       100.0, ep, ek, et, row_e, A_obs, np.empty((n_samp, 4)),
                                       DOF_PAIRS, pair_w, pair_mu))
    R2, t2, tw2 = R.forward_kinematics(th2, SP, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS)
    ca2 = R.points_to_world(R2, t2, body.cap_seg, body.cap_a_local)
    cb2 = R.points_to_world(R2, t2, body.cap_seg, body.cap_b_local)
    lA, lb, lH, lg, lcnt, ldstats, lsstats, lm2d, res, rw = R.linearise(
        fr.points_floor_m, ca2, cb2, body.cap_ra, body.cap_rb, body.cap_seg,
        np.full(n_cap, -1, np.int32), 0.12, 0.03, 0.7, 0.3, True, R2, t2, tw2, SEG_CHAIN, body.sample_seg,
        body.sample_local, body.sample_normal_local, fr.cam_pos_floor_m, fr.R_cam_floor,
        fr.t_cam_floor, fr.fx, fr.fy, fr.cx, fr.cy, fr.mask, fr.depth_m, fr.near_u, fr.near_v, 0.04,
        0.10, 1.0, 0.05, 750.0, 750.0, 0.05, n_cap, body.cap_ra, body.cap_rb, pairs, body.sole_seg,
        body.sole_local, body.collision_slack_m, 0.01, 4e4, 0.04, 1.1e3, 1e4, body.sole_seg[:0],
        body.sole_local[:0], np.zeros((0, 5)), 0, 0, 1, -1, -1, 0.0, -1, 0.0, SEG["forearm_l"],
        SEG["forearm_r"], seg1, n1, seg2, np.zeros((n_rows, 3)), np.zeros(n_rows))
    for got, want in zip((*out[:6], A_obs), (lH, lg, lcnt, ldstats, lsstats, lm2d, lA)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(scratch[18], res, atol=1e-12); np.testing.assert_allclose(scratch[19], rw)
    rA, rb, rep, rek, ret = R.diagonal_terms(th2, pred if with_pred else None, DOF_LOWER, DOF_UPPER,
                                             1e4, prior_w, temporal_w, kh, 1.0, 100.0, A_obs, lb,
                                             DOF_PAIRS, pair_w, pair_mu)
    np.testing.assert_allclose(out[6], rA, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(out[7], rb, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(ep, rep, rtol=1e-12); np.testing.assert_allclose(ek, rek, rtol=1e-12)
    E_ref = (ldstats[0] + lm2d[0] + (rw * res * res).sum() + rep.sum() + rek.sum()
             + (ret.sum() if with_pred else 0.0))
    np.testing.assert_allclose(E, E_ref, rtol=1e-12)
    assert ek[0] > 0 and (rw > 0).any() and rep.max() > 1e3     # knee fold, floor rows, a limit

    # the two passes (lm_iterations runs the second only for an accepted trial): pose_energy
    # gives evaluate's energy and statistics, linearise_accepted after it every output, to the
    # bit, also after other trials' first passes (a rejected trial leaves nothing behind)
    def extra2():
        return (pred, with_pred, DOF_LOWER, DOF_UPPER, np.isfinite(DOF_LOWER), np.isfinite(DOF_UPPER),
                1e4, prior_w, temporal_w, kh, 1.0, 100.0, np.empty(N_DOF), np.empty(2), np.empty(N_DOF),
                np.empty(n_rows), np.empty((N_DOF, N_DOF)), np.empty((n_samp, 4)), DOF_PAIRS, pair_w,
                pair_mu)
    ex = extra2()
    E1, scratch1, out1 = run(None, ex, [(K.pose_energy, th2)])
    assert E1 == E
    for k in (2, 3, 4, 5):      # seg_count, data and seg stats, model -> data stats
        np.testing.assert_array_equal(out1[k], out[k])
    th3 = th2 + 0.05
    ex = extra2()
    _, scratch2, out2 = run(None, ex, [(K.pose_energy, th3), (K.pose_energy, th2),
                                       (K.linearise_accepted, th2)])
    for got, want in zip(out2, out):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ex[16], A_obs)
    for got, want in zip(ex[12:15], (ep, ek, et)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", ["spd", "clamped", "ill", "indefinite"])
def test_damped_step(case):
    """damped_step (Cholesky) against its twin (LAPACK's solve): the damped, clamped LM step;
    False for a matrix that is not positive definite (the solver's LAPACK path takes it)."""
    from station.fit.body_model import N_DOF as ND
    rng = np.random.default_rng(len(case))
    J = rng.normal(size=(3 * ND, ND))
    A = J.T @ J
    if case == "ill":     # a DOF the data barely sees (a hidden forearm): nearly singular
        A[:, 3] *= 1e-7
        A[3, :] *= 1e-7
    if case == "indefinite":
        A[5, 5] = -50.0
    b = rng.normal(size=ND) * (50.0 if case == "clamped" else 1.0)
    hi = np.full(ND, 0.35)
    L, out = np.empty((ND, ND)), np.empty(ND)
    ok = K.damped_step(A, b, 1e-3, -hi, hi, L, out)
    ref = R.damped_step(A, b, 1e-3, -hi, hi)
    assert ok == (ref is not None)
    if case == "indefinite":
        assert not ok
        return
    np.testing.assert_allclose(out, ref, rtol=1e-7, atol=1e-10)
    if case == "clamped":
        assert (np.abs(out) == 0.35).any() and (np.abs(out) < 0.35).any()


@pytest.mark.parametrize("n", [2, 40, 1500])
def test_bar_line_count(n):
    """The bar's support count is the NumPy twin's, on points around the line (many of
    them near its three bounds) and away from it."""
    rng = np.random.default_rng(n)
    for _ in range(30):
        mid = rng.normal(0, 1, 3)
        d = rng.normal(0, 1, 3)
        d /= np.sqrt(d @ d)
        along = rng.uniform(-1.3, 1.3, n)
        off = rng.normal(0, 1, (n, 3))
        off -= (off @ d)[:, None] * d
        off *= (rng.uniform(0, 0.12, n) / np.linalg.norm(off, axis=1))[:, None]
        pts = mid + along[:, None] * d + off
        args = (pts, mid, d, 0.07, rng.uniform(0.2, 0.5), 1.1)
        assert K.bar_line_count(*args) == R.bar_line_count(*args)
    assert K.bar_line_count(np.zeros((0, 3)), mid, d, 0.07, 0.3, 1.1) == 0


def _bits(x):
    return np.ascontiguousarray(x).view(np.int64 if x.dtype == np.float64 else x.dtype)


@pytest.mark.parametrize("seed", range(4))
def test_nearest_capsule_within_fit(seed):
    """nearest_capsule_within_fit gives nearest_capsule's results to the bit over a fit's
    evaluations: capsules moved by small and large random amounts (all, or a few: a limb
    swung), duplicated capsules (ties: the first), zero-length ones, a NaN point, a capsule
    gone NaN for an evaluation, more evaluations than the state has slots, and disabled."""
    rng = np.random.default_rng(seed)
    n_cap = 12
    a, b, ra, rb = _caps(rng, n_cap, zero_len=False)
    a[3], b[3] = a[2], b[2]                         # an exact duplicate of capsule 2 (ties)
    ra[3], rb[3] = ra[2], rb[2]
    b[5] = a[5]                                     # zero length
    pts = np.concatenate([a + rng.normal(0, 0.08, a.shape) for _ in range(30)]
                         + [rng.normal(0, 0.7, (60, 3))])
    pts = pts[np.argsort(pts[:, 2])]
    pts[7] = np.nan
    pts[11] = a[2]                                  # on an axis end
    n = len(pts)
    n_eval = 9
    state = K.nearest_capsule_state(n, n_cap, n_eval - 2)    # runs out of slots: plain after
    off = K.nearest_capsule_state(n, n_cap, n_eval, enabled=False)
    for ev in range(n_eval):
        if ev:
            scale = (0.002, 0.02, 0.15)[ev % 3]
            move = rng.normal(0, scale, (n_cap, 3))
            if ev % 2:
                move[rng.random(n_cap) < 0.7] = 0.0         # only some capsules
            a, b = a + move, b + move + rng.normal(0, scale / 4, (n_cap, 3))
            b[5] = a[5]
            a[3], b[3] = a[2], b[2]
        aa, bb = a.copy(), b.copy()
        if ev == 4:
            aa[8] = np.nan
        want = np.empty(n, np.int32), np.empty(n), np.empty((n, 3))
        K.nearest_capsule(pts, aa, bb, ra, rb, *want)
        for st in (state, off):
            got = np.full(n, -7, np.int32), np.full(n, 9.0), np.full((n, 3), 9.0)
            K.nearest_capsule_within_fit(pts, aa, bb, ra, rb, *got, st)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(_bits(g), _bits(w))
        if ev == 4:
            continue
        ri, rd, rn = R.nearest_capsule_within_fit(pts, aa, bb, ra, rb, state)
        ok = np.isfinite(pts).all(axis=1)
        np.testing.assert_array_equal(want[0][ok], ri[ok])
        np.testing.assert_allclose(want[1][ok], rd[ok], atol=1e-12)
        np.testing.assert_allclose(want[2][ok], rn[ok], atol=1e-12)
    assert state[-1][0] == n_eval - 2 and off[-1][0] == 0
    epoch = state[5]
    assert ((epoch >= 0) & (epoch < n_eval - 3)).sum() > n // 4   # answered from older bounds


def test_round_scaled():
    """round_scaled's values are NumPy's rint(x * scale) / scale to the bit, and it flags at
    least every value the NumPy arithmetic would (near a half-integer, or not finite)."""
    rng = np.random.default_rng(3)
    for nd in (3, 5, 6):
        scale = 10.0 ** nd
        ties = (rng.integers(-10 ** 6, 10 ** 6, 3000) + 0.5) / scale
        x = np.concatenate([rng.normal(0, 2, 5000), ties, np.nextafter(ties, np.inf),
                            np.nextafter(ties, -np.inf), [0.0, -0.0, -1e-9, 5e-324, 1e300, -1e307,
                                                          np.inf, -np.inf, np.nan]])
        out, near = np.empty(len(x)), np.empty(len(x), np.bool_)
        k = K.round_scaled(x, scale, out, near)
        r_out, r_near = R.round_scaled(x, scale)
        np.testing.assert_array_equal(out.view(np.int64), r_out.view(np.int64))
        assert not (r_near & ~near).any() and k == near.sum() and near.sum() < 0.7 * len(x)


def test_model_to_data_a_surface_left_out_of_the_mask_costs_nothing():
    """A model sample outside the person mask where the camera saw a surface at the sample's
    own depth (a walker's shanks below a plate, which the segmenter cut off the body) is not
    pulled towards the mask: the camera did see something there. Where it saw the wall behind,
    the sample is pulled as before."""
    from tests.fit.selfrender import render_cloud
    from station.fit.solver import prepare_frame
    body = build_body()
    th = neutral_pose(body.shape)
    cloud = render_cloud(body, th, seed=1)
    fr = prepare_frame(cloud)
    Rk, tk, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, Rk, tk, tw)
    samp = R.points_to_world(Rk, tk, body.sample_seg, body.sample_local)
    nrm = R.vectors_to_world(Rk, body.sample_seg, body.sample_normal_local)
    seg = body.sample_seg
    # the segmenter's mask stops at 0.45 m: the shanks are left out of it
    low_u, low_v = cloud.pixels_uv[cloud.points_floor_m[:, 2] < 0.45].T
    mask = fr.mask.copy()
    mask[low_v, low_u] = False
    d2 = np.empty(mask.shape); nu = np.empty(mask.shape, np.int32); nv = np.empty(mask.shape, np.int32)
    K.distance_transform_nearest(mask, d2, nu, nv)
    facing = np.einsum("ij,ij->i", nrm, fr.cam_pos_floor_m - samp) > 0
    shank = (np.isin(seg, [SEG["shank_l"], SEG["shank_r"]]) & facing
             & (samp[:, 2] > 0.1) & (samp[:, 2] < 0.4))

    def rows_of(depth):
        args = (samp, nrm, seg, fr.cam_pos_floor_m, fr.R_cam_floor, fr.t_cam_floor, fr.fx, fr.fy,
                fr.cx, fr.cy, mask, depth, nu, nv, 0.04, 0.10, 1.0, 0.05, 700.0, 300.0, 0.03)
        ss = np.zeros((N_SEG, 4)); st = np.zeros(2); rec = np.full((len(samp), 4), np.nan)
        K.model_to_data_energy(*args, ss, st, rec)
        Hr, gr, ssr, str_ = R.model_to_data_term(*args, N_SEG)
        np.testing.assert_array_equal(ss, ssr)        # the twin agrees
        return rec

    pulled_seen = (rows_of(fr.depth_m)[shank, 0] == 2).mean()
    wall = fr.depth_m.copy()
    wall[~mask & (wall > 0)] = 6.0                               # only the wall behind them
    pulled_wall = (rows_of(wall)[shank, 0] == 2).mean()
    # seen: only samples at the shanks' outline, whose rays pass them by, are pulled (14 of
    # the 60 facing ones); with only the wall behind, all 60
    assert shank.sum() > 20 and pulled_seen < 0.4 and pulled_wall > 0.9


def _sphere_rays(R_m, centre, n, rng, cam=np.zeros(3)):
    """n rays from cam that hit a sphere (a capsule of one point), and their near hits' depth t."""
    dirs = []
    c_dir = (centre - cam) / np.linalg.norm(centre - cam)
    while len(dirs) < n:
        d = c_dir + rng.normal(0, 0.06, 3)
        d /= np.linalg.norm(d)
        b = d @ (centre - cam)
        disc = b * b - ((centre - cam) @ (centre - cam) - R_m * R_m)
        if disc > 0:
            dirs.append((d, b - np.sqrt(disc)))
    return np.array([d for d, _ in dirs]), np.array([t for _, t in dirs])


def test_ray_surface_sphere():
    """On a sphere the residual is the point's distance to the tangent plane at its ray's hit:
    (t_hit - |p|) cos; cos_min 1 leaves the Euclidean one; and a rim point pushed along its
    ray either way reads outside on average by the Euclidean residual, ~0 along the ray."""
    rng = np.random.default_rng(3)
    R_m, centre, cam = 0.1, np.array([0.02, 2.5, 1.0]), np.array([0.0, 0.0, 1.1])
    d, t = _sphere_rays(R_m, centre, 400, rng, cam)
    off = rng.normal(0, 0.02, len(t))
    pts = cam + d * (t + off)[:, None]
    a, b, r = centre[None], centre[None].copy(), np.array([R_m])
    seg1 = np.zeros(1, np.int32)   # a segment's capsule
    idx, dist, nrm = R.nearest_capsule(pts, a, b, r, r)
    kd, kn, kq = dist.copy(), nrm.copy(), np.empty_like(pts)
    K.ray_surface(pts, cam, idx, a, b, r, r, seg1, 0.12, 0.3, kd, kn, kq)
    hit = cam + d * t[:, None]
    n_hit = (hit - centre) / R_m
    cos = -(n_hit * d).sum(1)
    # the kernel starts from the nearest point's normal: both must face the camera
    on = (cos >= 0.3) & (-(nrm * d).sum(1) >= 0.3) & (np.abs(dist) < 0.12)
    assert on.mean() > 0.7
    # (three Newton steps land within microns of the hit from 3 cm off)
    np.testing.assert_allclose(kd[on], -off[on] * cos[on], atol=1e-5)
    np.testing.assert_allclose(kn[on], n_hit[on], atol=1e-4)
    np.testing.assert_allclose(kq[on] - kd[on, None] * kn[on], hit[on], atol=2e-5)   # rows about the hit
    np.testing.assert_array_equal(kd[~on], dist[~on])
    np.testing.assert_array_equal(kq[~on], pts[~on])
    rd, rn, rq = R.ray_surface(pts, cam, idx, a, b, r, r, seg1, 0.12, 0.3, dist, nrm)
    np.testing.assert_allclose(kd, rd, atol=1e-12)
    np.testing.assert_allclose(kn, rn, atol=1e-12)
    np.testing.assert_allclose(kq, rq, atol=1e-12)
    bar_d, bar_n, bar_q = dist.copy(), nrm.copy(), np.empty_like(pts)    # a capsule of no segment
    K.ray_surface(pts, cam, idx, a, b, r, r, np.full(1, -1, np.int32), 0.12, 0.3, bar_d, bar_n, bar_q)
    np.testing.assert_array_equal(bar_d, dist); np.testing.assert_array_equal(bar_q, pts)
    off_d, off_n, off_q = dist.copy(), nrm.copy(), np.empty_like(pts)    # off
    K.ray_surface(pts, cam, idx, a, b, r, r, seg1, 0.12, 1.0, off_d, off_n, off_q)
    np.testing.assert_array_equal(off_d, dist); np.testing.assert_array_equal(off_q, pts)
    # the rim: rays that meet the surface at cos 0.35-0.45, each point 15 mm either way
    rim = on & (cos > 0.35) & (cos < 0.45)
    assert rim.sum() >= 10
    both = np.concatenate([cam + d[rim] * (t[rim] + s)[:, None] for s in (-0.015, 0.015)])
    i2, e2, n2 = R.nearest_capsule(both, a, b, r, r)
    k2, kn2, kq2 = e2.copy(), n2.copy(), np.empty_like(both)
    K.ray_surface(both, cam, i2, a, b, r, r, seg1, 0.12, 0.3, k2, kn2, kq2)
    # (a point whose nearest normal grazes keeps its Euclidean residual: part of the bias stays)
    assert e2.mean() > 5e-4 and abs(k2.mean()) < 0.5 * e2.mean()


def _ray_hit_bisect(p, cam, c, cap_a, cap_b, cap_ra, cap_rb, r, cos_min, gate_m):
    """The nearest crossing of p's camera ray with capsule c on the side r's sign says
    (stepped 0.5 mm to the first change of sign, then bisected): (residual, hit) or None."""
    def sdf(x):
        return R.capsule_distance(x, cap_a, cap_b, cap_ra, cap_rb, c)
    d = (p - cam) / np.linalg.norm(p - cam)
    step = 5e-4 if r > 0 else -5e-4
    lo, flo, hi = 0.0, r, None
    for k in range(1, int(2 * gate_m / cos_min / 5e-4) + 1):
        fk = sdf(p + k * step * d)[0]
        if np.sign(fk) != np.sign(flo):
            hi = k * step
            break
        lo, flo = k * step, fk
    if hi is None:
        return None
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.sign(sdf(p + mid * d)[0]) == np.sign(flo):
            lo = mid
        else:
            hi = mid
    x = p + 0.5 * (lo + hi) * d
    nh = sdf(x)[1]
    return (nh @ (p - x), x) if -(nh @ d) >= cos_min else None


@pytest.mark.parametrize("seed", [0, 1])
def test_ray_surface_against_twin(seed):
    """The kernel against its twin (the same steps), and both against the hit found by
    bisection, on a posed body's tapered capsules seen from a camera in front."""
    body, tk, _, ca, cb, pts = _posed_cloud(np.random.default_rng(seed), 0.15, 600, 0.07)
    cam = tk[0] + np.array([0.3, -2.4, 0.4])
    idx, dist, nrm = R.nearest_capsule(pts, ca, cb, body.cap_ra, body.cap_rb)
    kd, kn, kq = dist.copy(), nrm.copy(), np.empty_like(pts)
    K.ray_surface(pts, cam, idx, ca, cb, body.cap_ra, body.cap_rb, body.cap_seg, 0.12, 0.3, kd, kn, kq)
    rd, rn, rq = R.ray_surface(pts, cam, idx, ca, cb, body.cap_ra, body.cap_rb, body.cap_seg, 0.12, 0.3, dist, nrm)
    np.testing.assert_allclose(kd, rd, atol=1e-12)
    np.testing.assert_allclose(kn, rn, atol=1e-12)
    np.testing.assert_allclose(kq, rq, atol=1e-12)
    moved = np.nonzero(kd != dist)[0]
    assert len(moved) > 100
    agree = 0
    for i in moved:
        got = _ray_hit_bisect(pts[i], cam, idx[i], ca, cb, body.cap_ra, body.cap_rb, dist[i], 0.3, 0.12)
        # (three Newton steps: within microns near the surface, 0.1-0.2 mm from 5-10 cm off)
        if got is not None and abs(got[0] - kd[i]) < 3e-4 and np.allclose(kq[i] - kd[i] * kn[i], got[1], atol=3e-4):
            agree += 1
    assert agree == len(moved)
