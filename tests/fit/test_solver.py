"""Analytic Jacobians vs finite differences, and convergence from perturbed starts.

The clouds here are rendered from the FITTER'S OWN body model (tests/fit/selfrender.py): a
self-consistency test of the solver. Accuracy against the independent synthetic athlete
(station.sim) is measured separately.
"""
import numpy as np
import pytest

from station.fit import _kernels as K
from station.fit.body_model import (
    DEG, DOF_AXIS, DOF_SEG, DOF_TYPE, DOFS, N_DOF, N_SEG, SEG_CHAIN, SEG_PARENT, build_body, neutral_pose,
)
from station.fit.solver import FitWeights, fit_frame, prepare_frame, skeleton_points_floor
from station.form.angles import contract_angles
from tests.fit.poses import make_pose
from tests.fit.selfrender import render_cloud


def _fk_samples(body, th):
    R, t, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
    out = np.empty((len(body.sample_seg), 3))
    K.points_to_world(R, t, body.sample_seg, body.sample_local, out)
    return out, tw


@pytest.mark.parametrize("seed", range(3))
def test_jacobian_matches_finite_differences(seed):
    """d x / d theta_j = omega_j x x + v_j (twist of DOF j) for every surface sample, per DOF."""
    body = build_body()
    th = neutral_pose(body.shape) + np.random.default_rng(seed).normal(0, 0.4, N_DOF)
    X, tw = _fk_samples(body, th)
    for j in range(N_DOF):
        e = np.zeros(N_DOF); e[j] = 1e-6
        fd = (_fk_samples(body, th + e)[0] - _fk_samples(body, th - e)[0]) / 2e-6
        an = (np.cross(tw[j, :3], X) + tw[j, 3:]) * SEG_CHAIN[body.sample_seg, j][:, None]
        np.testing.assert_allclose(an, fd, atol=1e-7, err_msg=DOFS[j])


def test_normal_equations_gradient_matches_energy():
    """b = J^T W r of the data term equals half the finite-difference gradient of its
    Gauss-Newton energy sum w r^2 with the weights and correspondences frozen."""
    body = build_body()
    th = make_pose("hinge")
    fr = prepare_frame(render_cloud(body, th, seed=2))
    th0 = th + np.random.default_rng(0).normal(0, 0.03, N_DOF)
    pts = fr.points_floor_m

    def residuals(theta, idx_fixed=None):
        R, t, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
        K.forward_kinematics(theta, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
        ca = np.empty_like(body.cap_a_local); cb = np.empty_like(body.cap_b_local)
        K.points_to_world(R, t, body.cap_seg, body.cap_a_local, ca)
        K.points_to_world(R, t, body.cap_seg, body.cap_b_local, cb)
        if idx_fixed is None:
            idx = np.empty(len(pts), np.int32); d = np.empty(len(pts)); n = np.empty((len(pts), 3))
            K.nearest_capsule(pts, ca, cb, body.cap_ra, body.cap_rb, idx, d, n)
            return idx, d, n, tw
        one = np.empty(1, np.int32); d1 = np.empty(1); n1 = np.empty((1, 3)); d = np.empty(len(pts))
        for i, c in enumerate(idx_fixed):
            K.nearest_capsule(pts[i:i + 1], ca[c:c + 1], cb[c:c + 1], body.cap_ra[c:c + 1],
                              body.cap_rb[c:c + 1], one, d1, n1)
            d[i] = d1[0]
        return d
    idx, d, n, tw = residuals(th0)
    keep = np.abs(d) < 0.1
    H = np.zeros((N_SEG, 6, 6)); g = np.zeros((N_SEG, 6))
    w_sigma = 1e3  # huge sigma: weights ~ 1/sigma^2 constant, so the energy is sum r^2 / sigma^2
    K.data_rows(pts[keep], idx[keep], d[keep], n[keep], body.cap_seg, np.full(len(body.cap_seg), -1, np.int32), 0.1, w_sigma, 1.0, H, g)
    A = np.zeros((N_DOF, N_DOF)); b = np.zeros(N_DOF)
    K.assemble_normal_equations(H, g, tw, SEG_CHAIN, A, b)
    for j in range(N_DOF):
        e = np.zeros(N_DOF); e[j] = 1e-6
        Ep = np.sum(residuals(th0 + e, idx)[keep] ** 2) / w_sigma ** 2
        Em = np.sum(residuals(th0 - e, idx)[keep] ** 2) / w_sigma ** 2
        fd = (Ep - Em) / 2e-6
        assert abs(b[j] - fd / 2) <= 1e-6 * max(1.0, abs(fd)) + 1e-9, DOFS[j]


POSES = ["standing", "turned30", "hinge", "hinge_deep", "squat"]


@pytest.mark.parametrize("pose", POSES)
def test_converges_from_perturbed_start(pose):
    """From the true pose perturbed by up to +-5 deg per joint and +-2.5 cm on the root, 15
    LM iterations return within 2 cm per joint and 3 deg per contract angle -- in most starts.

    Measured (self-consistency, 6 starts per pose): standing/hinge/squat mostly converge;
    a minority of starts stop in a local minimum with an arm or a foot 3-5 cm off. From
    +-10 deg on every joint at once most starts do NOT converge in 15 iterations (see the
    report): the tracker relies on small frame-to-frame motion and the upright start.
    """
    body = build_body()
    th = make_pose(pose)
    fr = prepare_frame(render_cloud(body, th, seed=3))
    P = skeleton_points_floor(body, th)
    up = np.array([0.0, 0.0, 1.0])
    A0 = contract_angles(P, up, 0.0)
    ok = 0
    n = 6
    for seed in range(n):
        rng = np.random.default_rng(seed)
        th0 = th.copy()
        th0[3:] += rng.uniform(-5 * DEG, 5 * DEG, N_DOF - 3)
        th0[:3] += rng.uniform(-0.025, 0.025, 3)
        r = fit_frame(body, fr, th0, n_iter=15)
        err = np.linalg.norm(r.points_floor_m - P, axis=1)
        A = contract_angles(r.points_floor_m, up, 0.0)
        ang = max(abs(float(A[k] - A0[k])) for k in A if k not in ("pelvis_lateral_shift", "spine_flexion"))
        # the deep hinge's pelvis is seen by a few points under the bent trunk: from one frame,
        # how the bend splits between the pelvis's pitch and the lumbar is the prior's. Since
        # the thighs turn about the femoral heads (behind the pelvis capsule's centre line),
        # 15 iterations from a start 5 deg off leave the spine 3.5-6.4 deg off there (every
        # joint within 8 mm on 2 of 6 starts); over the mesh library's sequences the spine's
        # error fell 5.8 -> 4.6 deg with that change
        spine_tol = 7.0 if pose == "hinge_deep" else 3.0
        ok += (err.max() < 0.02 and ang < 3.0 and abs(float(A["spine_flexion"] - A0["spine_flexion"])) < spine_tol)
    # deep hinge: forearms end-on to the camera, and the feet have no silhouette term within
    # floor_unknown_m of the floor (the segmenter removes it): wrists/ankles stop 3-4 cm off
    # in most starts of a single frame (the tracker's feet anchors hold them in a sequence)
    # hinge and turned30: an arm stopping with its elbow ~10 deg too bent (a wrist 3-4 cm off)
    # is the common local minimum, made by the silhouette term (without it 5 of 6 hinge
    # starts converge); the upper arm's length (0.186 -> 0.165 H, the arms branch) moved one
    # start of each from 3/6 to 2/6 (standing 3/6 -> 5/6): every other joint converges
    need = 1 if pose == "hinge_deep" else (n // 3 if pose in ("hinge", "turned30") else n // 2)
    assert ok >= need, f"{pose}: only {ok}/{n} starts converged"


def test_fit_from_truth_stays():
    body = build_body()
    for pose in POSES:
        th = make_pose(pose)
        fr = prepare_frame(render_cloud(body, th, seed=5))
        r = fit_frame(body, fr, th, n_iter=6)
        assert np.linalg.norm(r.points_floor_m - skeleton_points_floor(body, th), axis=1).max() < 0.01


def test_implement_capsules_geometry():
    """Kettlebell: one sphere below the grips, on the shoulders -> hands line, carried by both
    forearms; dumbbells: a capsule across each hand, perpendicular to its forearm; bar: the
    line through the grips, carried by no segment."""
    from station.fit.body_model import SEG
    from station.fit.solver import Workspace, posed_capsules, implement_capsules
    body = build_body()
    th = make_pose("hinge")
    w = FitWeights()
    ws = Workspace()
    ca, cb = posed_capsules(body, th, ws)
    hl, hr = body.hand_caps
    gl, gr = 0.5 * (ca[hl] + cb[hl]), 0.5 * (ca[hr] + cb[hr])
    a, b, r, s1, s2 = implement_capsules(body, ca, cb, ws.seg_R, "kettlebell", w)
    assert a.shape == (1, 3) and np.allclose(a, b) and r[0] == w.bell_radius_m
    assert (s1[0], s2[0]) == (SEG["forearm_l"], SEG["forearm_r"])
    sh = 0.5 * (ca[body.upper_arm_caps[0]] + ca[body.upper_arm_caps[1]])
    m = 0.5 * (gl + gr)
    d = (m - sh) / np.linalg.norm(m - sh)
    np.testing.assert_allclose(a[0], m + w.bell_drop_m * d, atol=1e-12)
    a, b, r, s1, s2 = implement_capsules(body, ca, cb, ws.seg_R, "dumbbells", w)
    assert a.shape == (2, 3) and list(s1) == [SEG["forearm_l"], SEG["forearm_r"]] and list(s2) == [-1, -1]
    for k, cap in enumerate((hl, hr)):
        fore = cb[cap] - ca[cap]
        assert abs(np.dot(a[k] - b[k], fore)) < 1e-9
        np.testing.assert_allclose(0.5 * (a[k] + b[k]), (gl, gr)[k], atol=1e-12)
    a, b, r, s1, s2 = implement_capsules(body, ca, cb, ws.seg_R, "bar", w)
    assert s1[0] == -1 and np.linalg.norm(np.cross(a[0] - b[0], gl - gr)) < 1e-9
    assert implement_capsules(body, ca, cb, ws.seg_R, None, w)[0].shape == (0, 3)


def test_bar_support_needs_a_level_grip():
    """Points beyond the hands on their line count as a bar only if the hands are level (a
    wrongly fitted arm must not conjure a bar out of body points)."""
    from station.fit.body_model import DOF
    from station.fit.implement_support import bar_support
    from station.fit.solver import Workspace, posed_capsules
    body = build_body()
    th = make_pose("hinge")
    ws = Workspace()
    ca, cb = posed_capsules(body, th, ws)
    hl, hr = body.hand_caps
    gl, gr = 0.5 * (ca[hl] + cb[hl]), 0.5 * (ca[hr] + cb[hr])
    d = (gl - gr) / np.linalg.norm(gl - gr)
    s = np.concatenate([np.linspace(0.35, 0.9, 20), -np.linspace(0.35, 0.9, 20)])
    pts = 0.5 * (gl + gr) + s[:, None] * d
    assert bar_support(body, th, pts, ws) == 40
    tilted = th.copy()
    tilted[DOF["shoulder_l_flex"]] += 60 * DEG       # one hand far above the other
    assert bar_support(body, tilted, pts, ws) == 0


def test_depth_noise_estimate():
    """The depth image's own noise estimate (second differences inside the mask): a tilted,
    gently curved surface with Gaussian noise of known sigma; the slope and curvature do not
    count, pixels outside the mask (a depth jump to the background) do not either."""
    from station.fit.noise import depth_noise_m
    rng = np.random.default_rng(0)
    h, w = 120, 212
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    surface = 2.5 + 0.004 * u + 0.002 * v + 1e-5 * (u - 100) ** 2
    mask = np.zeros((h, w), bool)
    mask[20:110, 80:140] = True
    for sigma in (0.005, 0.015, 0.04):
        depth = (surface + rng.normal(0, sigma, (h, w))).astype(np.float32)
        depth[~mask] = 6.0
        est = depth_noise_m(depth, mask)
        assert abs(est - sigma) < 0.15 * sigma, (sigma, est)
    assert np.isnan(depth_noise_m(depth, np.zeros((h, w), bool)))


def test_noise_adaptation_info_scale():
    """Noisier depth widens the data term's sigma, and info_scale is what that takes off the
    information (1 / sigma^2) relative to the reference noise: (sigma / base sigma)^2, and 1
    at or below the reference noise."""
    from station.fit.noise import NoiseAdaptation
    from station.fit.solver import FitWeights
    w = FitWeights()
    rng = np.random.default_rng(1)
    mask = np.ones((60, 60), bool)
    noisy = NoiseAdaptation(w, 0.015, 1.0)
    noisy.update((2.5 + rng.normal(0, 0.03, (60, 60))).astype(np.float32), mask)
    assert noisy.weights.data_sigma_m > w.data_sigma_m
    assert noisy.info_scale == pytest.approx((noisy.weights.data_sigma_m / w.data_sigma_m) ** 2)
    assert noisy.info_scale > 1.2
    quiet = NoiseAdaptation(w, 0.015, 1.0)
    quiet.update((2.5 + rng.normal(0, 0.005, (60, 60))).astype(np.float32), mask)
    assert quiet.weights is w and quiet.info_scale == 1.0
    # a base scale wider than the one the confidence's scales were measured at counts too,
    # so the confidence reads the same information whatever the fit's own robust scale
    from station.fit.confidence import ConfidenceScales
    ref = ConfidenceScales().data_sigma_m
    wide = NoiseAdaptation(w, 0.015, 1.0, ref)
    wide.update((2.5 + rng.normal(0, 0.005, (60, 60))).astype(np.float32), mask)
    assert wide.info_scale == pytest.approx((w.data_sigma_m / ref) ** 2)
    assert w.data_sigma_m > ref and wide.info_scale > 1.5


def test_solve_is_numpys():
    """The LM step's solve gives np.linalg.solve's result to the bit, and its LinAlgError
    for a singular system."""
    from station.fit.solver import _solve
    rng = np.random.default_rng(0)
    M = rng.normal(size=(32, 32))
    A, b = M @ M.T + 1e-3 * np.eye(32), rng.normal(size=32)
    np.testing.assert_array_equal(_solve(A, b), np.linalg.solve(A, b))
    with pytest.raises(np.linalg.LinAlgError):
        _solve(np.zeros((32, 32)), b)


def test_workspace_reuse_gives_the_same_fit():
    """fit_frame keeps what depends only on the body, the implement, the weights and the
    optional rows in the Workspace (_Layout): one Workspace shared across two bodies, every
    implement, with and without anchors and prediction, and other weights gives bit for bit
    what a fresh Workspace gives."""
    from dataclasses import replace
    from station.fit.body_model import Shape
    from station.fit.solver import Workspace
    bodies = [build_body(), build_body(Shape(height_m=1.85))]
    th = make_pose("hinge")
    frame = prepare_frame(render_cloud(bodies[0], th, seed=4))
    pred = th + 0.02
    anchors = np.array([[0.1, 0.1, 0.0], [-0.1, 0.1, 0.0]])
    shared = Workspace()
    # every weight changed on its own (so a field missing from the cache's key shows)
    from dataclasses import fields
    base = FitWeights()
    variants = [base] + [replace(base, **{f.name: 1.5 * getattr(base, f.name) + 0.01})
                         for f in fields(FitWeights)]
    cases = [(b, imp, base, a, p) for b in bodies for imp in (None, "bar", "kettlebell", "dumbbells")
             for a, p in ((None, None), (anchors, pred))]
    cases += [(bodies[0], imp, w, anchors, pred) for imp in ("bar", "kettlebell", "dumbbells")
              for w in variants]
    for body, imp, w, a, p in cases + cases[::-1]:
        kw = dict(theta_pred=p, weights=w, n_iter=2, anchors_floor_m=a, implement=imp)
        got = fit_frame(body, frame, th, ws=shared, **kw)
        want = fit_frame(body, frame, th, ws=Workspace(), **kw)
        assert got.energy == want.energy, (imp, a is None, p is None)
        np.testing.assert_array_equal(got.theta, want.theta)
        np.testing.assert_array_equal(got.info, want.info)


@pytest.mark.parametrize("case", ["track", "implement", "lapack"])
def test_lm_loop_is_the_python_loop(case, monkeypatch):
    """fit_frame's LM loop in numba (_kernels_lm_loop.lm_iterations) gives to the bit what the
    Python loop it replaced gives (station.fit.reference.lm_iterations, on the same
    evaluations): the best pose, its energy, normal equations, information and statistics,
    the rejections; "lapack": a damping that makes Cholesky fail, so the loop hands those
    steps to LAPACK and resumes."""
    import inspect
    from dataclasses import replace

    from station.fit import reference as R
    from station.fit.body_model import DOF, Shape

    body = build_body(Shape(height_m=1.75))
    body.standing_rest.samples = [(0.1, 0.05)] * body.standing_rest.frames   # learned: the priors recentre
    th = make_pose("hinge")
    frame = prepare_frame(render_cloud(body, th, seed=11))
    # far: some steps are rejected (seed 3 stopped rejecting any once the arms may overlap the
    # trunk 2 cm more, seed 8 once the data term's robust scale widened to 0.04 m)
    start = th + np.random.default_rng(5).normal(0.0, 0.3, N_DOF)
    pred = th + 0.01
    kw = dict(theta_pred=pred, n_iter=10)
    if case == "implement":
        kw.update(implement="kettlebell", anchors_floor_m=np.array([[0.1, 0.1, 0.0], [-0.1, 0.1, 0.0]]))
    if case == "lapack":
        kw.update(weights=replace(FitWeights(), damping=-1.5))
    calls = []
    real = K.lm_iterations

    def spy(theta, it, n_iter, state, *args):
        calls.append((theta.copy(), it, n_iter, state.copy(), args))
        return real(theta, it, n_iter, state, *args)
    monkeypatch.setattr(K, "lm_iterations", spy)
    got = fit_frame(body, frame, start, **kw)
    theta0, it0, n_iter, state0, args = calls[0]
    assert it0 == 0 and n_iter == 10
    damping, neck, neck_mu, neck_w, step_lo, step_hi = args[:6]
    ev = args[-1]
    assert neck == DOF["neck_flex"] and neck_mu == 0.1
    ev_ref = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in ev)
    names = list(inspect.signature(K.pose_energy.py_func).parameters)[1:]   # after theta
    A, b, A_obs, data_stats, seg_count, seg_stats = (
        ev_ref[names.index(n)] for n in ("out_A", "out_b", "out_A_obs", "out_data_stats",
                                         "out_seg_count", "out_seg_stats"))

    def evaluate(t):
        E = K.evaluate(t, *ev_ref)
        return E, A, b, A_obs, data_stats, seg_count, seg_stats
    ref = R.lm_iterations(theta0, n_iter, damping, neck, neck_mu, neck_w, step_lo, step_hi, evaluate)
    best_theta, best_E, best_A, best_b, best_info, stats, n_reject, steps = ref
    np.testing.assert_array_equal(got.theta, best_theta)
    assert got.energy == best_E
    np.testing.assert_array_equal(got.info, best_info)
    np.testing.assert_array_equal(got.seg_point_count, stats[1])
    np.testing.assert_array_equal(got.seg_visibility, stats[2])
    assert got.inlier_fraction == float(stats[0][1] / len(frame.points_floor_m))
    assert got.n_rejected == n_reject
    np.testing.assert_allclose(got.step_norms, steps, rtol=1e-12)
    if case == "lapack":
        assert len(calls) > 1           # Cholesky failed and the loop resumed after LAPACK
    else:
        assert len(calls) == 1 and 0 < n_reject < 10


@pytest.mark.parametrize("n_iter", [0, 3])
def test_fit_from_a_pose_that_is_not_a_number_says_so(n_iter):
    """A start whose energy is NaN is never accepted: fit_frame raises instead of handing back
    an unset pose."""
    body = build_body()
    th = make_pose("hinge")
    frame = prepare_frame(render_cloud(body, th, seed=2))
    bad = th.copy()
    bad[5] = np.nan
    with pytest.raises(FloatingPointError):
        fit_frame(body, frame, bad, n_iter=n_iter)


def test_the_ray_residual_keeps_a_noisy_body_at_its_depth():
    """The fitter's own body rendered with noisy depth (2 cm a decimated pixel at 2.5 m) and
    fitted from its true pose: with the Euclidean residual the rims' noisy points lie
    outside the capsules whichever way the noise went, and the skeleton sits nearer the
    camera (-2.6 mm, mean over the joints and 4 seeds); measured along the camera ray
    (FitWeights.data_ray_cos_min 0.3) the offset is under half of that (-0.7 mm)."""
    from dataclasses import replace
    from station.frames import invert
    from tests.fit.selfrender import default_camera
    body = build_body()
    th = neutral_pose(body.shape)
    R_cam_floor = invert(default_camera())[:3, :3]
    truth = skeleton_points_floor(body, th)

    def depth_offset_m(cos_min: float) -> float:
        w = replace(FitWeights(), data_ray_cos_min=cos_min)
        offs = []
        for seed in range(4):
            frame = prepare_frame(render_cloud(body, th, noise_m=0.02, seed=seed))
            fit = skeleton_points_floor(body, fit_frame(body, frame, th, None, w, n_iter=12).theta)
            offs.append(float(((fit - truth) @ R_cam_floor.T)[:, 2].mean()))   # + away from the camera
        return float(np.mean(offs))

    euclid, ray = depth_offset_m(1.0), depth_offset_m(0.3)
    assert euclid < -1.5e-3, euclid
    assert abs(ray) < 0.5 * abs(euclid), (ray, euclid)
