"""Confidence from the fit (station.fit.confidence): the angle kernel against the contract's
NumPy definitions, the covariance propagation against finite differences, and the factors
moving the right way (unseen, unconstrained, poorly fitted -> lower)."""
from __future__ import annotations

import numpy as np

from station.fit import _kernels as K
from station.fit import confidence as C
from station.fit.body_model import (
    DOF,
    DOF_AXIS,
    DOF_SEG,
    DOF_TYPE,
    N_DOF,
    N_SEG,
    PRISMATIC,
    SEG,
    SEG_PARENT,
    Shape,
    build_body,
    neutral_pose,
)
from station.fit.solver import skeleton_points_floor
from station.form.angles import contract_angles
from station.model import ANGLES

UP = np.array([0.0, 0.0, 1.0])


def _poses(rng, n=20):
    body = build_body(Shape(1.8))
    out = []
    for _ in range(n):
        th = neutral_pose(Shape(1.8), yaw_rad=rng.uniform(-3, 3))
        for name, lo, hi in (("root_pitch", -0.2, 1.5), ("lumbar_flex", -0.3, 0.6), ("thorax_flex", -0.2, 0.5),
                             ("hip_l_flex", -0.3, 1.6), ("hip_r_flex", -0.3, 1.6), ("knee_l_flex", 0, 1.8),
                             ("knee_r_flex", 0, 1.8), ("root_roll", -0.2, 0.2), ("lumbar_lat", -0.2, 0.2)):
            th[DOF[name]] = rng.uniform(lo, hi)
        out.append(skeleton_points_floor(body, th))
    return body, np.array(out)


def test_contract_angles_kernel_matches_numpy_definitions():
    rng = np.random.default_rng(3)
    _, pts = _poses(rng)
    pts = pts + rng.normal(0, 0.01, pts.shape)   # not only model-shaped skeletons
    out = np.empty((len(pts), len(ANGLES)))
    K.contract_angles_batch(pts, UP, C._ANGLE_POINTS, out)
    ref = contract_angles(pts, UP, 0.0)
    for i, k in enumerate(ANGLES):
        np.testing.assert_allclose(out[:, i], ref[k], atol=1e-9, err_msg=k)


def test_point_jacobians_match_finite_differences():
    body = build_body(Shape(1.7))
    th = neutral_pose(Shape(1.7), yaw_rad=0.4)
    th[DOF["root_pitch"]] = 0.7
    th[DOF["hip_l_flex"]] = 0.6
    th[DOF["knee_r_flex"]] = 0.5
    R, t, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
    p0 = skeleton_points_floor(body, th)
    J = C.point_jacobians(p0, body.point_seg, tw)
    for j in range(N_DOF):
        d = th.copy()
        d[j] += 1e-6
        fd = (skeleton_points_floor(body, d) - p0) / 1e-6
        np.testing.assert_allclose(J[:, :, j], fd, atol=1e-4, err_msg=f"dof {j}")


def test_angle_sd_propagates_the_covariance():
    """A covariance on one DOF shows up in the angles it moves, and only there."""
    body = build_body(Shape(1.75))
    th = neutral_pose(Shape(1.75))
    th[DOF["root_pitch"]] = 0.8
    th[DOF["hip_l_flex"]] = th[DOF["hip_r_flex"]] = 0.8
    th[DOF["knee_l_flex"]] = th[DOF["knee_r_flex"]] = 0.3
    R, t, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
    p = skeleton_points_floor(body, th)
    Jp = C.point_jacobians(p, body.point_seg, tw)
    cov = np.eye(N_DOF) * 1e-10
    cov[DOF["knee_l_flex"], DOF["knee_l_flex"]] = np.radians(5.0) ** 2
    sd = dict(zip(ANGLES, C.angle_sd(p, Jp, cov)))
    assert abs(sd["knee_flexion_l"] - 5.0) < 0.5
    assert sd["knee_flexion_r"] < 0.01 and sd["spine_flexion"] < 0.01 and sd["trunk_inclination"] < 0.01
    cov = np.eye(N_DOF) * 1e-10
    cov[DOF["lumbar_flex"], DOF["lumbar_flex"]] = np.radians(8.0) ** 2
    sd = dict(zip(ANGLES, C.angle_sd(p, Jp, cov)))
    assert abs(sd["spine_flexion"] - 8.0) < 1.0
    assert sd["knee_flexion_l"] < 0.01


def test_confidence_falls_with_hidden_parts_poor_fit_and_weak_constraint():
    body = build_body(Shape(1.75))
    th = neutral_pose(Shape(1.75))
    R, t, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
    K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
    p = skeleton_points_floor(body, th)
    segsets = [np.array([s]) for s in body.point_seg]
    vis = np.tile([100.0, 90.0, 0.0, 10.0], (N_SEG, 1))
    info = np.eye(N_DOF) * 1e7
    good = C.fit_confidence(p, body.point_seg, tw, info, vis, segsets, 0.95, 0.01)
    assert min(good.angles.values()) > 0.8 and good.joints.min() > 0.8
    hidden = vis.copy()
    hidden[SEG["shank_l"]] = hidden[SEG["thigh_l"]] = (100.0, 5.0, 95.0, 0.0)
    h = C.fit_confidence(p, body.point_seg, tw, info, hidden, segsets, 0.95, 0.01)
    assert h.angles["knee_flexion_l"] < 0.2 < h.angles["knee_flexion_r"]
    poor = C.fit_confidence(p, body.point_seg, tw, info, vis, segsets, 0.5, 0.05)
    assert max(poor.angles.values()) < 0.3
    weak = info.copy()
    weak[DOF["lumbar_flex"], :] = weak[:, DOF["lumbar_flex"]] = 0.0
    w = C.fit_confidence(p, body.point_seg, tw, weak, vis, segsets, 0.95, 0.01)
    assert w.angles["spine_flexion"] < 0.1 < w.angles["knee_flexion_l"]


def test_spd_inverse_matches_numpy():
    rng = np.random.default_rng(5)
    for n in (1, 5, 32):
        M = rng.normal(size=(n, n))
        A = M @ M.T + n * np.eye(n)
        out = np.empty((n, n))
        assert K.spd_inverse(A, out)
        np.testing.assert_allclose(out, np.linalg.inv(A), rtol=1e-9, atol=1e-12)
    out = np.zeros((2, 2))
    assert not K.spd_inverse(np.array([[1.0, 2.0], [2.0, 1.0]]), out)   # indefinite


def _rate_run(spine, fps=30.0, conf=0.97):
    rc = C.AngleRateConfidence()
    out = []
    for i, s in enumerate(spine):
        c = rc.update(i / fps, {a: 0.0 for a in ANGLES} | {"spine_flexion": float(s)},
                      {a: conf for a in ANGLES})
        out.append(c)
    return out


def test_rate_term_lowers_a_spine_spike_and_spares_real_bending():
    # the fitted spine of kettlebell_swing rep 1 (capsule, before the rate term): a fit
    # catching up with a 300 deg/s drive through the spine
    spike = [0.0] * 10 + [3.4, 8.7, 15.6, 25.4, 33.6, 26.7, 8.1, -3.0] + [0.0] * 10
    out = _rate_run(spike)
    for s, c in zip(spike, out):
        if s > 20.0:          # every frame that would read as a rounded back
            assert c["spine_flexion"] < 0.4, (s, c)
    assert out[9]["spine_flexion"] > 0.95 and out[-1]["spine_flexion"] > 0.95   # before, and after the hold
    # only the spine is limited: the other angles keep the fitter's confidence
    assert all(c["hip_flexion_l"] == 0.97 for c in out)
    # a real rounding: 32 deg over a 0.8 s descent (scripted faults: up to 75 deg/s), and the
    # fastest real spine in the library's motion capture (~180 deg/s over 0.1 s, a toe touch's roll-up)
    slow = list(np.linspace(0, 32, 25)) + [32.0] * 5
    assert min(c["spine_flexion"] for c in _rate_run(slow)) > 0.9
    fast_real = list(np.arange(0, 60, 6.0)) + [60.0] * 5    # 180 deg/s for 0.3 s
    assert min(c["spine_flexion"] for c in _rate_run(fast_real)) > 0.5


def test_rate_term_restarts_after_a_gap_and_passes_truth_through():
    rc = C.AngleRateConfidence()
    a = {k: 0.0 for k in ANGLES}
    assert rc.update(0.0, a, None) is None                  # no confidence (truth): unchanged
    rc.update(0.033, a | {"spine_flexion": 30.0}, {k: 1.0 for k in ANGLES})
    assert rc.factors["spine_flexion"] < 0.1                # 30 deg in one frame
    assert rc.update(0.066, None, None) is None             # lost: starts afresh
    c = rc.update(0.1, a | {"spine_flexion": 30.0}, {k: 1.0 for k in ANGLES})
    assert c["spine_flexion"] == 1.0                        # no rate across a gap


def _fitted_like(rng, n=12):
    """Poses with their skeleton points and DOF twists, and noisy information matrices."""
    body = build_body(Shape(1.8))
    out = []
    for _ in range(n):
        th = neutral_pose(Shape(1.8), yaw_rad=rng.uniform(-3, 3))
        th += rng.normal(0, 0.3, th.shape) * (DOF_TYPE != PRISMATIC)
        R, t, tw = np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((N_DOF, 6))
        K.forward_kinematics(th, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
        G = rng.normal(0, 30, (80, N_DOF))
        info = G.T @ G
        info[rng.integers(0, N_DOF, 5), rng.integers(0, N_DOF, 5)] = -0.0   # signed zeros too
        out.append((body, skeleton_points_floor(body, th), tw, info))
    return out


def test_confidence_kernels_are_their_numpy_twins_to_the_bit():
    """The numba kernels of the confidence (point Jacobians, the regularised information, the
    angles' gradients) give exactly the NumPy twins' numbers (station.fit.reference)."""
    from station.fit import _kernels_confidence as KC
    from station.fit import reference as ref
    from station.fit.body_model import SEG_CHAIN

    rng = np.random.default_rng(12)
    reg = rng.uniform(0.5, 2.0, N_DOF)
    for body, p, tw, info in _fitted_like(rng):
        J = np.empty((len(p), 3, N_DOF))
        KC.point_jacobians(p, body.point_seg, tw, SEG_CHAIN, J)
        Jr = ref.point_jacobians(p, body.point_seg, tw, SEG_CHAIN)
        assert np.array_equal(J, Jr) and np.array_equal(np.signbit(J), np.signbit(Jr))
        A = np.empty_like(info)
        KC.regularised_information(info, reg, A)
        Ar = ref.regularised_information(info, reg)
        assert np.array_equal(A, Ar) and np.array_equal(np.signbit(A), np.signbit(Ar))
        for h in (2e-3, 1e-4):
            Gr = ref.angle_point_gradients(p, UP, C._ANGLE_POINTS, h, C._SHIFT, C._ANKLE_ROWS,
                                           K.contract_angles_batch)
            assert np.array_equal(C.angle_point_gradients(p, h), Gr)
        assert np.array_equal(C.point_jacobians(p, body.point_seg, tw), Jr)


def test_propagated_confidence_is_its_numpy_twin_to_rounding():
    """The confidence's tail in one kernel (sd propagation, visibility, clipped products)
    against the NumPy code it replaced (station.fit.reference.propagated_confidence): the
    same terms, BLAS's summation order aside, so equal to rounding; NaN where NumPy's is."""
    from station.fit import _kernels_confidence as KC
    from station.fit import reference as ref
    from station.fit.tracker import _POINT_SEG_IDX

    rng = np.random.default_rng(5)
    scales = C.ConfidenceScales()
    ascale = np.asarray(scales.angle_sd, np.float64)
    avg_j, avg_a = C._averaging(_POINT_SEG_IDX), C._averaging(C._ANGLE_SEG_IDX)
    for body, p, tw, info in _fitted_like(rng):
        cov = C.dof_covariance(info * rng.uniform(0.01, 100.0), scales)
        Jp = C.point_jacobians(p, body.point_seg, tw)
        G = C.angle_point_gradients(p)
        vis = np.column_stack([rng.integers(0, 40, N_SEG).astype(float), rng.uniform(0, 30, N_SEG),
                               rng.uniform(0, 10, N_SEG), rng.uniform(0, 10, N_SEG)])
        vis[0, 0] = 0.0      # a segment facing away: 0
        for q in (0.0, 0.37, 1.0):
            n_pt, n_ang = len(p), len(ANGLES)
            out = [np.empty(n_pt), np.empty(n_ang), np.empty(n_pt), np.empty(n_ang)]
            KC.propagated_confidence(Jp, cov, G, vis, scales.visible_full, avg_j, avg_a, q,
                                     scales.joint_sd_m, ascale, out[0], out[1], out[2], out[3])
            want = ref.propagated_confidence(Jp, cov, G, vis, scales.visible_full, avg_j, avg_a, q,
                                             scales.joint_sd_m, ascale)
            for got, w in zip(out, want):
                np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)
    # a NaN in the visibility stays NaN (np.clip's), as before
    vis[3, 1] = np.nan
    KC.propagated_confidence(Jp, cov, G, vis, scales.visible_full, avg_j, avg_a, 0.5,
                             scales.joint_sd_m, ascale, out[0], out[1], out[2], out[3])
    want = ref.propagated_confidence(Jp, cov, G, vis, scales.visible_full, avg_j, avg_a, 0.5,
                                     scales.joint_sd_m, ascale)
    assert np.array_equal(np.isnan(out[2]), np.isnan(want[2]))
    assert np.array_equal(np.isnan(out[3]), np.isnan(want[3]))
