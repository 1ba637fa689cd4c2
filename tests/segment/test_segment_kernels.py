"""Every segmenter kernel equals its NumPy twin (station.segment.reference): random inputs,
empty images, all-invalid images and size 1."""
from __future__ import annotations

import numpy as np
import pytest

from station import frames
from station.segment import _kernels as K
from station.segment import reference as R
from station.segment.segmenter import sorting_network

SHAPES = [(0, 0), (1, 1), (3, 5), (17, 23), (48, 64)]


def random_raw(rng, shape, invalid_frac=0.3):
    raw = rng.integers(200, 6000, size=shape).astype(np.uint16)
    raw[rng.random(shape) < invalid_frac] = 0
    return raw


def smooth_depth(rng, shape, invalid_frac=0.2):
    """Depth with surfaces and jumps, so the depth-similarity test in components matters."""
    h, w = shape
    steps = rng.normal(0.0, 0.03, size=shape) + (rng.random(shape) < 0.05) * rng.normal(0, 0.5, shape)
    d = (2.0 + np.cumsum(steps, axis=1)).clip(0.3, 8.0).astype(np.float32)
    d[rng.random(shape) < invalid_frac] = 0
    return d


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 5), (13, 29), (48, 64)])
@pytest.mark.parametrize("mode", ["min", "median", "median_blend"])
def test_decimate(rng, factor, shape, mode):
    """median: the lower middle always (same_surface_m 0); median_blend: the two middle
    samples' mean whenever they differ (a 10 m "surface": every even count blends)."""
    same = 10.0 if mode == "median_blend" else 0.0
    for invalid in (0.0, 0.4, 1.0):
        raw = random_raw(rng, shape, invalid)
        h, w = shape[0] // factor, shape[1] // factor
        min_valid = max(1, factor * factor // 4)
        out = np.full((h, w), -1, np.float32)
        if mode == "min":
            K.decimate_min_valid(raw, 0.001, factor, min_valid, out)
            ref = R.decimate_min_valid(raw, 0.001, factor, min_valid)
        else:
            K.decimate_median_valid(raw, 0.001, factor, min_valid, same, sorting_network(factor * factor), out)
            ref = R.decimate_median_valid(raw, 0.001, factor, min_valid, same)
        np.testing.assert_array_equal(out, ref)
        if invalid == 1.0:
            assert not out.any()


def test_decimate_edge_makes_no_flying_points():
    """A block straddling a 1 m / 3 m edge is 1 m or 3 m, never in between."""
    raw = np.full((8, 8), 3000, np.uint16)
    raw[:, :5] = 1000
    for mode in ("min", "median", "median4"):
        out = np.zeros((2, 2), np.float32)
        if mode == "min":
            K.decimate_min_valid(raw, 0.001, 4, 1, out)
        elif mode == "median":
            K.decimate_median_valid(raw, 0.001, 4, 1, 0.05, sorting_network(16), out)
        else:
            K.decimate_median4_valid(raw, 0.001, 1, 0.05, out)
        assert set(np.round(out.ravel(), 3)) <= {1.0, 3.0}


def test_decimate_median_is_not_biased_towards_the_camera():
    """A flat wall 2.5 m away under the D435's disparity noise (16 valid samples a block):
    the station's median (the two middle samples' mean on one surface) reads the wall within
    0.5 mm on average; the lower middle alone reads it nearer by ~0.08 sigma (about 2 mm
    here), a bias that grows with the noise."""
    rng = np.random.default_rng(3)
    z = 2.5 + rng.normal(0.0, 0.025, (400, 800))      # 25 mm per pixel: the library's noise at 2.5 m
    raw = np.round(z * 1000).astype(np.uint16)
    out = np.empty((100, 200), np.float32)
    K.decimate_median4_valid(raw, 0.001, 4, 0.05, out)
    lower = np.empty((100, 200), np.float32)
    K.decimate_median4_valid(raw, 0.001, 4, 0.0, lower)
    assert abs(float(np.mean(out)) - 2.5) < 0.0005
    assert float(np.mean(lower)) - 2.5 < -0.0015


def test_sorting_network_sorts(rng):
    for n in (1, 4, 9, 16, 25):
        pairs = sorting_network(n)
        size = max(1, int(2 ** np.ceil(np.log2(n)))) if n > 1 else 1
        for _ in range(200):
            a = rng.integers(0, 6, size)
            b = a.copy()
            for i, j in pairs:
                if b[i] > b[j]:
                    b[i], b[j] = b[j], b[i]
            np.testing.assert_array_equal(b, np.sort(a))


@pytest.mark.parametrize("shape", SHAPES)
def test_backproject(rng, shape):
    d = smooth_depth(rng, shape)
    out = np.zeros(shape + (3,), np.float32)
    K.backproject(d, 106.25, 106.0, 105.5, 59.6, out)
    np.testing.assert_allclose(out, R.backproject(d, 106.25, 106.0, 105.5, 59.6), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
def test_select_floor_points(rng, shape):
    d = smooth_depth(rng, shape)
    pts = R.backproject(d, 100.0, 100.0, shape[1] / 2, shape[0] / 2)
    ex = rng.random(shape) < 0.2
    out = np.zeros((max(1, d.size), 3), np.float32)
    n = K.select_floor_points(pts, shape[0] // 3, 3.0, ex, out)
    np.testing.assert_array_equal(out[:n], R.select_floor_points(pts, shape[0] // 3, 3.0, ex))


def plane_points(rng, n, height=1.3, pitch=20.0, outliers=0.3):
    T = frames.T_floor_cam_from_mount(height, pitch)
    T_cam_floor = frames.invert(T)
    p_floor = np.column_stack([rng.uniform(-2, 2, n), rng.uniform(1, 5, n), rng.normal(0, 0.005, n)])
    out = rng.random(n) < outliers
    p_floor[out, 2] = rng.uniform(0.1, 2.0, out.sum())
    return frames.apply(T_cam_floor, p_floor).astype(np.float32)


@pytest.mark.parametrize("n", [0, 1, 3, 500])
def test_ransac_plane(rng, n):
    pts = plane_points(rng, n)
    samples = rng.integers(0, max(n, 1), size=(40, 3)).astype(np.int32) if n else np.zeros((0, 3), np.int32)
    out = np.zeros(4)
    best = K.ransac_plane(pts, samples, np.cos(np.radians(50)), 0.3, 3.0, 0.02, 0.004, out)
    ref_best, ref_plane = R.ransac_plane(pts, samples, np.cos(np.radians(50)), 0.3, 3.0, 0.02, 0.004)
    assert best == ref_best
    if n == 500:
        assert best > 250
        np.testing.assert_allclose(out, ref_plane, rtol=1e-12, atol=1e-12)


def test_ransac_plane_rejects_walls_and_ceilings(rng):
    """Points on a wall facing the camera (normal along -z) give no hypothesis."""
    pts = np.column_stack([rng.uniform(-1, 1, 200), rng.uniform(-1, 1, 200), np.full(200, 3.0)]).astype(np.float32)
    samples = rng.integers(0, 200, size=(50, 3)).astype(np.int32)
    out = np.zeros(4)
    assert K.ransac_plane(pts, samples, np.cos(np.radians(50)), 0.3, 3.0, 0.02, 0.004, out) == -1


@pytest.mark.parametrize("n", [0, 1, 400])
def test_plane_inlier_moments(rng, n):
    pts = plane_points(rng, n)
    plane = np.concatenate([frames.floor_plane_from_T(frames.T_floor_cam_from_mount(1.3, 20)).normal_cam, [1.3]])
    out = np.zeros(12)
    count = K.plane_inlier_moments(pts, plane, 0.02, 0.004, 0.003, 0.002, out)
    ref = R.plane_inlier_moments(pts, plane, 0.02, 0.004, 0.003, 0.002)
    assert count == ref[11]
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 400])
def test_plane_inlier_residuals(rng, n):
    pts = plane_points(rng, n)
    plane = np.concatenate([frames.floor_plane_from_T(frames.T_floor_cam_from_mount(1.3, 20)).normal_cam, [1.3]])
    count, rss = K.plane_inlier_residuals(pts, plane, 0.02, 0.004)
    ref_count, ref_rss = R.plane_inlier_residuals(pts, plane, 0.02, 0.004)
    assert count == ref_count
    np.testing.assert_allclose(rss, ref_rss, rtol=1e-9, atol=1e-15)
    # the floor track's count and RMS: plane_inlier_moments' last two sums, to the bit
    out = np.zeros(12)
    assert K.plane_inlier_moments(pts, plane, 0.02, 0.004, 0.003, 0.002, out) == count
    assert out[10] == rss and out[11] == count


@pytest.mark.parametrize("pitch", [0.0, 20.0, 45.0])
@pytest.mark.parametrize("noise_m", [1e-4, 5e-3, 5e-2])
def test_plane_from_moments(rng, pitch, noise_m):
    T = frames.T_floor_cam_from_mount(1.3, pitch, 3.0)
    n = 800
    p_floor = np.column_stack([rng.uniform(-2, 2, n), rng.uniform(0.5, 6, n), rng.normal(0, noise_m, n)])
    pts = frames.apply(frames.invert(T), p_floor).astype(np.float32)
    truth = np.concatenate([frames.floor_plane_from_T(T).normal_cam, [T[2, 3]]])
    m = np.zeros(12)
    K.plane_inlier_moments(pts, truth, 0.5, 0.004, 0.003, 0.002, m)
    out = np.zeros(4)
    assert K.plane_from_moments(m, out)
    ref = R.plane_from_moments(m)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-13)   # Jacobi vs LAPACK: rounding
    assert out[1] < 0 and abs(np.linalg.norm(out[:3]) - 1.0) < 1e-14
    np.testing.assert_allclose(out, truth, atol=max(0.02, 10 * noise_m))   # the floor it came from


def test_plane_from_moments_too_few():
    out = np.full(4, 7.0)
    m = np.zeros(12)
    assert not K.plane_from_moments(m, out) and R.plane_from_moments(m) is None
    m[0], m[11] = 1.0, 2
    assert not K.plane_from_moments(m, out) and R.plane_from_moments(m) is None
    assert (out == 7.0).all()


@pytest.mark.parametrize("shape", SHAPES)
def test_classify_pixels(rng, shape):
    d = smooth_depth(rng, shape)
    pts = R.backproject(d, 80.0, 80.0, shape[1] / 2, shape[0] / 2)
    T = frames.T_floor_cam_from_mount(1.5, 25.0, 2.0)
    bg = (d + rng.uniform(-0.5, 0.5, shape)).astype(np.float32)
    cnt = rng.integers(0, 6, shape).astype(np.int32)
    box = np.array([-0.8, 0.8, 0.5, 3.5])
    args = (np.ascontiguousarray(T[:3, :3]), T[:3, 3].copy(), box, 0.02, 0.003, 2.3, bg, cnt, 3, 0.05, 0.01)
    out_pf = np.full(shape + (3,), 7.0, np.float32)
    out_c = np.zeros(shape, bool)
    n = K.classify_pixels(pts, *args, out_pf, out_c)
    ref_pf, ref_c = R.classify_pixels(pts, *args)
    np.testing.assert_array_equal(out_c, ref_c)
    # floor coordinates at the candidates; every other pixel is left as it was
    np.testing.assert_allclose(out_pf[ref_c], ref_pf[ref_c], atol=1e-6)
    assert (out_pf[~ref_c] == 7.0).all()
    assert n == ref_c.sum()


@pytest.mark.parametrize("shape", SHAPES + [(120, 212)])
@pytest.mark.parametrize("conn8", [False, True])
def test_connected_components_and_stats(rng, shape, conn8):
    for frac in (0.0, 0.5, 0.8, 1.0):
        mask = rng.random(shape) < frac
        d = smooth_depth(rng, shape, invalid_frac=0.0)
        parent = np.zeros(max(1, d.size), np.int32)
        labels = np.zeros(shape, np.int32)
        n = K.connected_components(mask, d, 0.05, 0.04, conn8, parent, labels)
        ref_n, ref_labels = R.connected_components(mask, d, 0.05, 0.04, conn8)
        assert n == ref_n
        np.testing.assert_array_equal(labels, ref_labels)
        pf = rng.normal(size=shape + (3,)).astype(np.float32)
        stats = np.zeros((n, 9))
        K.blob_stats(labels, n, pf, stats)
        np.testing.assert_allclose(stats, R.blob_stats(labels, n, pf), rtol=1e-12, atol=1e-9)


def test_components_split_on_depth_jump():
    mask = np.ones((4, 6), bool)
    d = np.full((4, 6), 2.0, np.float32)
    d[:, 3:] = 2.5  # 50 cm behind: not the same surface
    parent = np.zeros(24, np.int32)
    labels = np.zeros((4, 6), np.int32)
    assert K.connected_components(mask, d, 0.05, 0.04, True, parent, labels) == 2


@pytest.mark.parametrize("shape", SHAPES)
def test_update_background(rng, shape):
    bg = smooth_depth(rng, shape)
    cnt = rng.integers(0, 5, shape).astype(np.int32)
    cnt[bg == 0] = 0
    for step in range(4):
        z = (bg + rng.choice([0.0, 0.01, -0.4, 0.6], size=shape)).astype(np.float32)
        z[rng.random(shape) < 0.2] = 0
        ex = rng.random(shape) < 0.2
        args = (z, ex, 0.03, 0.006, 30, 4, 0.01, 0.1)
        ref_bg, ref_cnt = R.update_background(*args, bg, cnt)
        K.update_background(*args, bg, cnt)
        np.testing.assert_allclose(bg, ref_bg, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(cnt, ref_cnt)


def labelled_scene(rng, shape, frac=0.6):
    mask = rng.random(shape) < frac
    d = smooth_depth(rng, shape, invalid_frac=0.0)
    parent = np.zeros(max(1, d.size), np.int32)
    labels = np.zeros(shape, np.int32)
    n = K.connected_components(mask, d, 0.05, 0.04, True, parent, labels)
    pts = R.backproject(d, 106.25, 106.0, shape[1] / 2, shape[0] / 2)
    return labels, n, pts


# The full decimated image (120 x 212) takes the NumPy twin's per-pixel loop ~8 s of CPU a case
# (~20 s wall on this shared 2-core machine); the smaller shapes take the same code paths, so
# the full size runs with -m slow.
@pytest.mark.parametrize("shape", SHAPES + [pytest.param((120, 212), marks=pytest.mark.slow)])
@pytest.mark.parametrize("max_gap", [0.05, 0.2])
def test_component_gaps(rng, shape, max_gap):
    for frac in (0.0, 0.3, 0.6, 1.0):
        labels, n, pts = labelled_scene(rng, shape, frac)
        for active in (np.ones(n, bool), rng.random(n) < 0.3):
            out = np.full((n, n), -1.0, np.float32)
            pairs = K.component_gaps(labels, pts, n, active, 106.25, 106.0, max_gap, 6, out)
            ref, ref_pairs = R.component_gaps(labels, pts, n, active, 106.25, 106.0, max_gap, 6)
            np.testing.assert_array_equal(out, ref)
            assert pairs == ref_pairs
            np.testing.assert_array_equal(out, out.T)
            assert (out[np.isfinite(out)] <= max_gap).all()


@pytest.mark.parametrize("rows", [(0, 2), (5, 7), (18, 20)])
def test_component_gaps_rows_of_the_active(rows):
    """Only the rows of the active components and max_radius_px around them are walked: a
    component max_radius_px rows above or below one active in a band of rows is found (as
    by the NumPy twin), one a row further is not."""
    h, w, radius = 20, 9, 3
    labels = np.full((h, w), -1, np.int32)
    labels[rows[0]:rows[1], 2:7] = 0                      # the active one
    up, down = rows[0] - radius, rows[1] - 1 + radius
    if up >= 0:
        labels[up, 3] = 1                                 # within reach above
    if up - 1 >= 0:
        labels[up - 1, 5] = 2                             # one row too far
    if down < h:
        labels[down, 4] = 3                               # within reach below
    pts = np.zeros((h, w, 3), np.float32)
    pts[..., 2] = 2.0
    pts[..., 1] = 0.001 * np.arange(h)[:, None]           # 1 mm a row: all within max_gap
    active = np.array([True, False, False, False])
    out = np.empty((4, 4), np.float32)
    pairs = K.component_gaps(labels, pts, 4, active, 1000.0, 1000.0, 0.2, radius, out)
    ref, ref_pairs = R.component_gaps(labels, pts, 4, active, 1000.0, 1000.0, 0.2, radius)
    np.testing.assert_array_equal(out, ref)
    assert pairs == ref_pairs == (up >= 0) + (down < h)
    assert np.isinf(out[0, 2])


def test_component_gaps_degenerate():
    """All-invalid points find nothing; coincident points of two components give gap 0."""
    labels = np.array([[0, 0, 1, 1]], np.int32)
    out = np.zeros((2, 2), np.float32)
    zero = np.zeros((1, 4, 3), np.float32)
    assert K.component_gaps(labels, zero, 2, np.ones(2, bool), 100.0, 100.0, 0.2, 5, out) == 0
    assert np.isinf(out[0, 1]) and out[0, 0] == 0
    same = np.zeros((1, 4, 3), np.float32)
    same[..., 2] = 2.0
    assert K.component_gaps(labels, same, 2, np.ones(2, bool), 100.0, 100.0, 0.2, 5, out) == 1
    assert out[0, 1] == 0.0 and out[1, 0] == 0.0
    # a component 0.5 m behind the other is further than max_gap
    far = same.copy()
    far[0, 2:, 2] = 2.5
    assert K.component_gaps(labels, far, 2, np.ones(2, bool), 100.0, 100.0, 0.2, 5, out) == 0


def test_decimate_median_strided_input(rng):
    """A non-contiguous image (a crop of a wider one) decimates as its contiguous copy: the
    factor-4 path reads block rows four samples at a time."""
    wide = random_raw(rng, (48, 130), 0.3)
    raw = wide[:, 1:129:2]               # (48, 64), strided
    out = np.empty((12, 16), np.float32)
    K.decimate_median_valid(raw, 0.001, 4, 4, 0.05, sorting_network(16), out)
    np.testing.assert_array_equal(out, R.decimate_median_valid(np.ascontiguousarray(raw), 0.001, 4, 4, 0.05))


@pytest.mark.parametrize("seed", range(8))
def test_merge_person(seed):
    """The blob merge kernel against its NumPy twin (the rule the segmenter ran in NumPy):
    random components, some low floor objects, gaps near the thresholds, joined in chains."""
    from station.segment import _kernels_blobs as KB
    from station.segment.person import BlobParams
    rng = np.random.default_rng(seed)
    p = BlobParams()
    n = int(rng.integers(1, 40))
    stats = np.zeros((n, 9))
    stats[:, 0] = rng.integers(0, 400, n)
    cxy = rng.uniform(-1.0, 1.0, (n, 2))
    half = rng.uniform(0.02, 0.3, (n, 2))
    stats[:, 1:3] = cxy * stats[:, [0]]
    stats[:, 3], stats[:, 4] = cxy[:, 0] - half[:, 0], cxy[:, 0] + half[:, 0]
    stats[:, 5], stats[:, 6] = cxy[:, 1] - half[:, 1], cxy[:, 1] + half[:, 1]
    stats[:, 7] = rng.choice([0.0, 0.1, 0.5], n)
    stats[:, 8] = stats[:, 7] + rng.choice([0.3, 1.2], n)
    gap = rng.choice(np.float32([0.01, 0.06, 0.08, 0.1, 0.2, 0.3, np.inf]), (n, n),
                     p=[0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.94])
    gap = np.minimum(gap, gap.T)
    # a few components hide part of others (the legs below a bell): some join through that
    occludes = rng.random((n, n)) < 0.05
    allowed = rng.random(n) < 0.8
    index = int(rng.integers(-1, n))
    if index >= 0:
        allowed[index] = True
    # standing shapes in the last footprint (never allowed) that may rejoin, under a cap on
    # the joined points that some reach
    rejoin = ~allowed & (rng.random(n) < 0.5)
    max_count = float(rng.choice([0.0, 400.0, 1500.0, np.inf]))
    args = (np.float32(p.merge_gap_m), np.float32(p.merge_floor_gap_m), p.merge_footprint_margin_m,
            p.floor_object_bottom_m, p.floor_object_top_m, p.hidden_min_fraction * 120.0,
            p.upright_min_top_m, rejoin, np.float32(p.rejoin_gap_m), max_count, p.hidden_foot_max_m)
    keep = np.empty(n, bool)
    KB.merge_person(stats, gap, occludes, index, allowed, *args, keep)
    ref = R.merge_person(stats, gap, occludes, index, allowed, *args)
    no_occlusion = np.empty(n, bool)
    KB.merge_person(stats, gap, np.zeros((n, n), bool), index, allowed, *args, no_occlusion)
    np.testing.assert_array_equal(no_occlusion, R.merge_person(stats, gap, np.zeros((n, n), bool),
                                                               index, allowed, *args))
    if max_count in (0.0, np.inf):   # (a cap on the rejoined points may let either win)
        assert not (no_occlusion & ~keep).any()   # hiding only ever adds components
    # the segmenter skips the occlusions when nothing is left that they could join
    from station.segment.person import hidden_candidates
    cand = hidden_candidates(stats, no_occlusion, allowed, p, 120)
    np.testing.assert_array_equal(cand, R.hidden_candidates(
        stats, no_occlusion, allowed, p.floor_object_bottom_m, p.floor_object_top_m,
        p.hidden_min_fraction * 120))
    if not cand.any():
        np.testing.assert_array_equal(keep, no_occlusion)
    np.testing.assert_array_equal(keep, ref)
    if index >= 0:
        assert keep[index] and not keep[~allowed & ~rejoin].any()
        # chains of joins and floor objects left out: the rule, not a trivial all-or-nothing
        if seed in (0, 3):
            plain = np.empty(n, bool)
            KB.merge_person(stats, gap, occludes, index, allowed, *args[:7], np.zeros(n, bool),
                            *args[8:], plain)
            assert 1 < plain.sum() < allowed.sum()


@pytest.mark.parametrize("seed", range(24))
def test_choose_person(seed):
    """The lifter's blob (kernel) against its NumPy twin: person-like blobs in and out of the
    zone, a previous lifter near some (the biggest near one wins; their pieces as candidates when no whole
    person is near), a home near some (ranked above the previous lifter's), ties."""
    from station.segment import _kernels_blobs as KB
    from station.segment.person import BlobParams
    rng = np.random.default_rng(100 + seed)
    p = BlobParams()
    n = int(rng.integers(1, 30))
    stats = np.zeros((n, 9))
    stats[:, 0] = rng.choice([0, 30, 60, 150, 400], n)
    cxy = rng.choice([-0.6, -0.2, 0.0, 0.2, 0.6], (n, 2)) + [0.0, 2.5]
    stats[:, 1:3] = cxy * stats[:, [0]]
    stats[:, 8] = rng.choice([0.3, 0.6, 0.9, 1.7], n)
    box = np.array([-0.5, 0.5, 2.0, 3.0])
    prev = seed % 3 != 0
    px, py = (float(rng.choice([-0.2, 0.2])), 2.5) if prev else (0.0, 0.0)
    home = seed % 4 >= 2
    hx, hy = (float(rng.choice([-0.6, 0.0, 0.6])), float(rng.choice([2.1, 2.5]))) if home else (0.0, 0.0)
    args = (box, 0.0, 2.5, 120.0, p.min_top_m, p.y_weight, prev, px, py, p.track_radius_m,
            p.tracked_min_fraction, p.tracked_min_top_m, home, hx, hy, p.home_radius_m)
    like = np.empty(n, bool)
    k = KB.choose_person(stats, *args, like)
    k_ref, like_ref = R.choose_person(stats, *args)
    assert k == k_ref
    np.testing.assert_array_equal(like, like_ref)


@pytest.mark.parametrize("shape", SHAPES)
def test_occlusion_pairs(rng, shape):
    """occlusion_pairs against its NumPy twin on random labelled depth (surfaces with jumps)."""
    for conn8 in (False, True):
        depth = smooth_depth(rng, shape)
        mask = (depth > 0) & (rng.random(shape) < 0.85)
        labels = np.empty(shape, np.int32)
        parent = np.empty(shape[0] * shape[1], np.int32)
        n = K.connected_components(mask, depth, 0.05, 0.04, conn8, parent, labels)
        active = rng.random(n) < 0.7
        for radius in (1, 2):
            out = np.empty((n, n), bool)
            pairs = K.occlusion_pairs(labels, depth, active, 0.05, 0.04, radius, out)
            ref, ref_pairs = R.occlusion_pairs(labels, depth, active, 0.05, 0.04, radius)
            np.testing.assert_array_equal(out, ref)
            assert pairs == ref_pairs
            assert not out[:, ~active].any() and not np.diag(out).any()


def test_occlusion_pairs_front_and_back():
    """A near bar across a far post: the bar hides the post (both halves), not the reverse;
    beyond the radius nothing is hidden."""
    depth = np.zeros((9, 5), np.float32)
    labels = np.full((9, 5), -1, np.int32)
    depth[:, 2] = 3.0                     # the post, far
    labels[:4, 2], labels[5:, 2] = 0, 2
    depth[4, :] = 2.0                     # the bar, near, cuts it in two
    labels[4, :] = 1
    out = np.empty((3, 3), bool)
    assert K.occlusion_pairs(labels, depth, np.ones(3, bool), 0.05, 0.04, 1, out) == 2
    assert out[1, 0] and out[1, 2] and out.sum() == 2
    labels[3, 2] = labels[5, 2] = -1      # the post's ends two pixels from the bar
    assert K.occlusion_pairs(labels, depth, np.ones(3, bool), 0.05, 0.04, 1, out) == 0
    assert K.occlusion_pairs(labels, depth, np.ones(3, bool), 0.05, 0.04, 2, out) == 2


@pytest.mark.parametrize("shape", SHAPES + [(7, 1), (1, 9)])
@pytest.mark.parametrize("radius", [0, 1, 2, 4])
def test_dilate_labels_and_gather_labels(rng, shape, radius):
    """The fused kernels equal the NumPy twins of the two steps they fuse: dilate_labels =
    dilate_mask of mask_from_labels; gather_labels = mask_from_labels then gather_points."""
    labels = rng.integers(-1, 6, size=shape).astype(np.int32)
    labels[rng.random(shape) < 0.5] = -1
    keep = rng.random(6) < 0.5
    mask = R.mask_from_labels(labels, keep)
    out = np.full(shape, True)
    K.dilate_labels(labels, keep, radius, out)
    np.testing.assert_array_equal(out, R.dilate_mask(mask, radius))
    pts = rng.normal(size=(*shape, 3)).astype(np.float32)
    n = int(mask.sum())
    out_mask, out_p, out_uv = np.empty(shape, bool), np.empty((n, 3), np.float32), np.empty((n, 2), np.int32)
    assert K.gather_labels(labels, keep, pts, out_mask, out_p, out_uv) == n
    ref_p, ref_uv = R.gather_points(mask, pts)
    np.testing.assert_array_equal(out_mask, mask)
    np.testing.assert_array_equal(out_p, ref_p)
    np.testing.assert_array_equal(out_uv, ref_uv)


@pytest.mark.parametrize("seed", range(16))
def test_merge_candidates(seed):
    """The merge candidates (kernel) against their NumPy twin: footprints around the reach,
    standing people (and what lies under them), empty components."""
    from station.segment import _kernels_blobs as KB
    from station.segment.person import BlobParams
    rng = np.random.default_rng(200 + seed)
    p = BlobParams()
    n = int(rng.integers(1, 30))
    stats = np.zeros((n, 9))
    stats[:, 0] = rng.choice([0, 1, 50, 150, 400], n)
    cxy = rng.uniform(-1.0, 1.0, (n, 2)) + [0.0, 2.5]
    stats[:, 1:3] = cxy * stats[:, [0]]
    half = rng.choice([0.05, 0.2, 0.5], (n, 2))     # footprints: some wide enough to hold others
    stats[:, 3], stats[:, 4] = cxy[:, 0] - half[:, 0], cxy[:, 0] + half[:, 0]
    stats[:, 5], stats[:, 6] = cxy[:, 1] - half[:, 1], cxy[:, 1] + half[:, 1]
    stats[:, 7] = rng.choice([0.0, 0.2, 0.5], n)
    stats[:, 8] = rng.choice([0.5, 1.0, 1.7], n)
    index = int(rng.integers(0, n))
    out = np.empty(n, bool)
    rejoin = np.empty(n, bool)
    # the last lifter's footprint: none (nan), or a box around the chosen blob
    box = np.array([np.nan] * 4) if seed % 3 == 0 else np.array([-0.5, 0.5, 2.0, 3.0])
    args = (p.merge_reach_m, 120.0, p.upright_min_top_m, p.standing_max_bottom_m, box,
            p.other_person_margin_m)
    KB.merge_candidates(stats, index, *args, out, rejoin)
    ref, ref_rejoin = R.merge_candidates(stats, index, *args)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(rejoin, ref_rejoin)
    assert out[index] and not rejoin[index] and not (out & rejoin).any()
    if seed % 3 == 0:
        assert not rejoin.any()


@pytest.mark.parametrize("shape", [(0, 0), (4, 4), (7, 13), (48, 64), (52, 212 * 4 + 3)])
def test_decimate_median4(rng, shape):
    """The factor-4 median (network in registers, pruned to the 9 smallest) equals the
    reference for every valid count: all, none, some, and min_valid from 1 to 16; with the
    lower middle always (same_surface_m 0), the two middle samples' mean always (10 m) and
    on one surface (50 mm, samples 1 mm apart: some blocks' middles within it)."""
    for invalid in (0.0, 0.3, 0.7, 0.95, 1.0):
        raw = random_raw(rng, shape, invalid)
        near = rng.random(shape) < 0.5            # half the samples on a 1 m surface, 1 mm steps
        raw[near & (raw > 0)] = (1000 + rng.integers(0, 40, shape))[near & (raw > 0)]
        edge = rng.random(shape)
        raw[(edge < 0.03) & (raw > 0)] = 65535   # the extremes of a valid sample
        raw[(edge > 0.97) & (raw > 0)] = 1
        h, w = shape[0] // 4, shape[1] // 4
        for min_valid in (1, 4, 16):
            for same in (0.0, 0.05, 10.0):
                out = np.full((h, w), -1, np.float32)
                K.decimate_median4_valid(raw, 0.001, min_valid, same, out)
                np.testing.assert_array_equal(out, R.decimate_median_valid(raw, 0.001, 4, min_valid, same))
                net = np.full((h, w), -1, np.float32)
                K.decimate_median_valid(raw, 0.001, 4, min_valid, same, sorting_network(16), net)
                np.testing.assert_array_equal(out, net)
    strided = random_raw(rng, (shape[0], 2 * shape[1] + 1), 0.3)[:, 1::2]
    out = np.empty((shape[0] // 4, shape[1] // 4), np.float32)
    K.decimate_median4_valid(strided, 0.001, 4, 0.05, out)
    np.testing.assert_array_equal(out, R.decimate_median_valid(np.ascontiguousarray(strided), 0.001, 4, 4, 0.05))


def test_decimate_median4_backprojects_its_rows(rng):
    """With intrinsics and a points array the factor-4 median also back-projects: the same
    points as backproject of its depth, to the bit."""
    raw = random_raw(rng, (96, 130), 0.3)
    depth = np.empty((24, 32), np.float32)
    pts = np.full((24, 32, 3), np.nan, np.float32)
    K.decimate_median4_valid(raw, 0.001, 4, 0.05, depth, np.array([106.25, 106.0, 15.5, 11.6]), pts)
    ref_depth = np.empty_like(depth)
    K.decimate_median4_valid(raw, 0.001, 4, 0.05, ref_depth)
    ref_pts = np.empty_like(pts)
    K.backproject(ref_depth, 106.25, 106.0, 15.5, 11.6, ref_pts)
    np.testing.assert_array_equal(depth, ref_depth)
    np.testing.assert_array_equal(pts, ref_pts)
