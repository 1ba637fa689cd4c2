"""How sure the fit is of each joint and each contract angle, from the fit itself.

Three kinds of evidence, multiplied (each in 0..1):
  visibility  of the segments a joint or angle rests on: the share of each segment's
              camera-facing surface samples the depth image explains (solver's model-to-data
              statistics); a segment hidden behind another or outside the silhouette counts 0;
  quality     of the whole fit: inlier fraction and mean absolute residual of the data term;
  constraint  how well the observations alone (no prior, limit or temporal term) pin the
              DOFs the joint or angle depends on: the marginal standard deviation from the
              Gauss-Newton information (J^T W J) at the fitted pose, propagated to the joint's
              position (m) and to each angle (deg; shift in m) through their Jacobians.

The marginal covariance is that of the fitter's own model: a body shaped unlike it (loose
clothes, a heavy torso) is not seen there, which is why the residual-based quality and the
visibility terms stay in the product. Thresholds are arguments (ConfidenceScales), set from
bench figures (bench/fitter.py prints the confidence against the angle error per body).

A fourth kind, over time (AngleRateConfidence): a fit that lags a fast motion catches up
through the DOFs that are cheapest to move, and the spine reads a spike no spine can make (a
kettlebell swing's 300 deg/s drive read +33.6 deg of spine flexion for 0.1 s, at 0.97 from
the three factors above, all of which judge one frame). An angle that changes faster than the
body part it measures can move is a fit error, whatever the single frame says.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from station.fit.body_model import DOF_TYPE, N_SEG, PRISMATIC, SEG, SEG_CHAIN
from station.fit import _kernels as K
from station.fit import _kernels_confidence as KC
from station.frames import UP_FLOOR
from station.model import ANGLES, SKELETON_INDEX

# the segments whose surface carries each angle's evidence
ANGLE_SEGS: dict[str, tuple[str, ...]] = {
    "trunk_inclination": ("pelvis", "lumbar", "thorax", "upper_thorax"),
    "hip_flexion_l": ("pelvis", "thorax", "upper_thorax", "thigh_l"),
    "hip_flexion_r": ("pelvis", "thorax", "upper_thorax", "thigh_r"),
    "knee_flexion_l": ("thigh_l", "shank_l"),
    "knee_flexion_r": ("thigh_r", "shank_r"),
    "spine_flexion": ("pelvis", "lumbar", "thorax", "upper_thorax"),
    "pelvis_lateral_shift": ("pelvis", "thigh_l", "thigh_r", "shank_l", "shank_r"),
}
_ANGLE_SEG_IDX = [np.array([SEG[s] for s in ANGLE_SEGS[a]]) for a in ANGLES]
_SHIFT = ANGLES.index("pelvis_lateral_shift")
_ANKLE_ROWS = np.array([SKELETON_INDEX["ankle_l"], SKELETON_INDEX["ankle_r"]])


@dataclass(frozen=True)
class ConfidenceScales:
    """Standard deviations at which the constraint factor is 0.5 (it is 1 / (1 + (sd/s)^4):
    flat while the data pins the DOFs as well as usual, falling fast once it does not), the
    visibility at which a segment counts as fully seen, and the fit-quality ramps.

    The angle scales are about 1.4 x the deviation each angle has at the bottom of a clean
    RDL facing the camera from 1.6 m on the mesh athlete (a real human surface; the capsule
    athlete's deviations are 10-50 % smaller, turned 45 deg or in loose clothes 30-60 %
    larger). The deviation is the model's own, in the energy's units (data normalised to
    data_ref_points points) and at the reference depth noise (the tracker scales the
    information by NoiseAdaptation.info_scale), so it is compared with its usual value, not
    read as degrees of error.
    """

    joint_sd_m: float = 0.06
    # the data term's robust scale the deviations below were measured at (the information is
    # 1 / sigma^2): the tracker puts the fit's information into its units (info_scale), so a
    # wider scale of the fit (FitWeights.data_sigma_m 0.03 -> 0.04, stop 48) leaves the
    # confidence where it was (without: knee dominant not judged on 174 of 416 dev reps, 22)
    data_sigma_m: float = 0.03
    # trunk, hip l, hip r, knee l, knee r, spine (deg), shift (m): station.model.ANGLES order
    # (the spine's is kept at 11.5 deg, though its deviation there is ~9.0 deg since the neck
    # carries the head on the thorax: loosening it, and counting the head's visibility for the
    # spine, judged no more reps right on the mesh dev scenarios, and a coach that is unsure of
    # the spine stays quiet)
    angle_sd: tuple[float, ...] = (1.45, 3.3, 3.3, 4.6, 4.6, 11.5, 0.11)
    # explained share of a segment's facing surface at which it counts as fully seen: low,
    # because the constraint factor already carries what hidden parts cost (no data, a wide
    # deviation); this only marks parts almost entirely hidden (the thighs behind the trunk
    # of a lifter bent over towards the camera are ~30 % seen, and their knees well measured)
    visible_full: float = 0.25
    # a regulariser on the information, so a DOF the data says nothing about has a finite
    # (large) deviation: 1 rad for angles, 1 m for positions, in the energy's units
    reg_rad: float = 1.0
    reg_m: float = 1.0
    inlier_lo: float = 0.4           # quality 0 at this inlier fraction, 1 at lo + span
    inlier_span: float = 0.5
    residual_lo_m: float = 0.015     # quality falls linearly from here...
    residual_span_m: float = 0.045   # ...to 0 this much further


def dof_covariance(info: np.ndarray, scales: ConfidenceScales = ConfidenceScales()) -> np.ndarray:
    """(N_DOF, N_DOF) marginal covariance of the DOFs from the observations' information."""
    reg = _regulariser(scales.reg_m, scales.reg_rad)
    info = np.asarray(info, dtype=np.float64)
    A = np.empty_like(info)
    KC.regularised_information(info, reg, A)   # 0.5 (A + A^T), A = info + diag(reg)
    out = np.empty_like(A)
    if K.spd_inverse(A, out):        # positive definite thanks to the regulariser
        return out
    return np.linalg.pinv(A)


_REG_CACHE: dict = {}


def _regulariser(reg_m: float, reg_rad: float) -> np.ndarray:
    """(N_DOF,) the information's regulariser: 1 / reg^2 per DOF (metres or radians)."""
    reg = _REG_CACHE.get((reg_m, reg_rad))
    if reg is None:
        reg = _REG_CACHE[(reg_m, reg_rad)] = np.where(DOF_TYPE == PRISMATIC, 1.0 / reg_m ** 2,
                                                      1.0 / reg_rad ** 2)
    return reg


def point_jacobians(points_floor_m: np.ndarray, point_seg: np.ndarray, dof_twist: np.ndarray,
                    seg_chain: np.ndarray = SEG_CHAIN) -> np.ndarray:
    """(P, 3, N_DOF): d point / d theta for points rigid with their segments, from the DOF
    twists at the pose (a point x moves with omega x x + v for the twist [omega, v]).
    The kernel station.fit._kernels_confidence.point_jacobians (NumPy twin in
    station.fit.reference)."""
    out = np.empty((points_floor_m.shape[0], 3, dof_twist.shape[0]))
    KC.point_jacobians(np.asarray(points_floor_m, np.float64), point_seg, dof_twist, seg_chain, out)
    return out


# the points the contract angles are defined from (the others have zero gradient)
_ANGLE_POINTS = np.array([SKELETON_INDEX[n] for n in (  # contract_angles_batch's idx order
    "neck", "pelvis", "hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r",
    "spine_low", "spine_mid")])


def angle_point_gradients(points_floor_m: np.ndarray, h_m: float = 2e-3) -> np.ndarray:
    """(len(ANGLES), P*3): d angle / d point coordinate (deg/m; m/m for the shift), by forward
    differences of the contract's angle definitions (station.form.angles; the numba kernel
    contract_angles_batch is tested against it) over the points the angles read. A secant
    over h_m (2 mm, about a joint's uncertainty) rather than the derivative: an unsigned
    angle near zero (a straight knee, an upright trunk) has an unbounded derivative there
    and a bounded secant."""
    P = points_floor_m.shape[0]
    nb_ = 3 * len(_ANGLE_POINTS) + 1
    out = np.empty((len(ANGLES), 3 * P))
    # the shift is read against its value at the rep's start, and the feet stay put through
    # a set (the fit anchors them): the ankles' uncertainty is constant over a rep and
    # cancels, so the shift's deviation is the pelvis's alone (its row is 0 at the ankles)
    KC.angle_point_gradients(np.asarray(points_floor_m, np.float64), UP_FLOOR, _ANGLE_POINTS, h_m,
                             _SHIFT, _ANKLE_ROWS, np.empty((nb_, P, 3)),
                             np.empty((nb_, len(ANGLES))), out)
    return out


def angle_sd(points_floor_m: np.ndarray, Jp: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(len(ANGLES),) standard deviation of each contract angle (deg; shift in m)."""
    G = angle_point_gradients(points_floor_m)
    Ja = G @ Jp.reshape(-1, Jp.shape[-1])
    return np.sqrt(np.maximum(np.sum((Ja @ cov) * Ja, axis=1), 0.0))


def joint_sd_m(Jp: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(P,) RMS positional standard deviation of each point (m): sqrt(trace(J cov J^T) / 3)."""
    J = Jp.reshape(-1, Jp.shape[-1])
    v = np.sum((J @ cov) * J, axis=1).reshape(Jp.shape[0], 3).sum(axis=1)
    return np.sqrt(np.maximum(v, 0.0) / 3.0)


def fit_quality(inlier_fraction: float, mean_abs_residual_m: float,
                scales: ConfidenceScales = ConfidenceScales(), extra_residual_m: float = 0.0) -> float:
    q_in = min(max((inlier_fraction - scales.inlier_lo) / scales.inlier_span, 0.0), 1.0)
    q_res = min(max(1.0 - (mean_abs_residual_m - scales.residual_lo_m - extra_residual_m)
                    / scales.residual_span_m, 0.0), 1.0)
    return float(q_in * q_res)


def segment_visibility(seg_visibility: np.ndarray) -> np.ndarray:
    """(N_SEG,) share of each segment's camera-facing samples the data explains (0 if none face)."""
    facing = seg_visibility[:, 0]
    return np.where(facing > 0, seg_visibility[:, 1] / np.maximum(facing, 1.0), 0.0)


_AVG_CACHE: dict = {}
_SCALE_CACHE: dict = {}


def _angle_scale(angle_sd: tuple) -> np.ndarray:
    """ConfidenceScales.angle_sd as a float64 array, made once per tuple."""
    a = _SCALE_CACHE.get(angle_sd)
    if a is None:
        a = _SCALE_CACHE[angle_sd] = np.asarray(angle_sd, dtype=np.float64)
    return a


def _averaging(seg_sets: list) -> np.ndarray:
    """(len(seg_sets), N_SEG): each row averages the visibility of its segments."""
    key = id(seg_sets)
    hit = _AVG_CACHE.get(key)
    if hit is None or hit[0] is not seg_sets:
        M = np.zeros((len(seg_sets), N_SEG))
        for r, idx in enumerate(seg_sets):
            M[r, np.asarray(idx)] = 1.0 / len(idx)
        hit = _AVG_CACHE[key] = (seg_sets, M)
    return hit[1]


def constraint_factor(sd: np.ndarray | float, scale: np.ndarray | float) -> np.ndarray | float:
    """0..1: how far a value spread (or moving) by sd is to be believed (0.5 at scale, falling
    steeply past it)."""
    return 1.0 / (1.0 + (sd / scale) ** 4)


@dataclass
class FitConfidence:
    joints: np.ndarray          # (len(SKELETON_POINTS),) 0..1
    angles: dict[str, float]    # contract angle -> 0..1
    joint_sd_m: np.ndarray      # (len(SKELETON_POINTS),)
    angle_sd: dict[str, float]  # deg (shift: m)
    quality: float


def fit_confidence(points_floor_m: np.ndarray, point_seg: np.ndarray, dof_twist: np.ndarray,
                   info: np.ndarray, seg_visibility: np.ndarray, point_seg_sets: list,
                   inlier_fraction: float, mean_abs_residual_m: float,
                   scales: ConfidenceScales = ConfidenceScales(),
                   extra_residual_m: float = 0.0) -> FitConfidence:
    """Joint and angle confidence of one fitted frame (module docstring).

    point_seg_sets: per skeleton point, the segment indices whose visibility it rests on.
    """
    cov = dof_covariance(info, scales)
    Jp = point_jacobians(points_floor_m, point_seg, dof_twist)
    q = fit_quality(inlier_fraction, mean_abs_residual_m, scales, extra_residual_m)
    # joint_sd_m, angle_sd, the segments' visibility and the confidences in one kernel (the
    # NumPy twin station.fit.reference.propagated_confidence: equal to rounding)
    n_pt, n_ang = Jp.shape[0], len(ANGLES)
    jsd, jconf = np.empty(n_pt), np.empty(n_pt)
    asd, aconf = np.empty(n_ang), np.empty(n_ang)
    KC.propagated_confidence(Jp, cov, angle_point_gradients(points_floor_m),
                             np.asarray(seg_visibility, np.float64), float(scales.visible_full),
                             _averaging(point_seg_sets), _averaging(_ANGLE_SEG_IDX), float(q),
                             float(scales.joint_sd_m), _angle_scale(scales.angle_sd), jsd, asd,
                             jconf, aconf)
    return FitConfidence(
        joints=jconf, angles={a: float(c) for a, c in zip(ANGLES, aconf)}, joint_sd_m=jsd,
        angle_sd={a: float(s) for a, s in zip(ANGLES, asd)}, quality=q)



@dataclass(frozen=True)
class RateLimits:
    """How fast each contract angle can really change, and how a faster change is read.

    max_deg_s: angle -> rate (deg/s over span_s) at which its rate factor is 0.5 (the factor
    is 1 / (1 + (rate / max)^4): ~1 for real motion, falling fast beyond). Only the spine is
    limited. The fastest spine flexion in the library's real motion capture (CMU toe touch,
    warm-up, squats) is 110-180 deg/s over 0.1 s (the toe touch's roll-up, on the mesh rig's
    bones), the scripted faults' rounding 20-75 deg/s; a spine that rounds 30 deg and back in
    0.2 s (250-370 deg/s) is the fit, not the lifter. Hips, knees and the trunk really move at
    270-320 deg/s in a swing or a fast RDL (the truth traces), so a rate says nothing about
    them; their lag shows in the residual (fit_quality).
    span_s: the rate is taken over this span (3 frames at 30 fps): over one frame, the fit's
    frame-to-frame jitter alone (2-4 deg) reads as 60-120 deg/s.
    hold_s: the factor is the lowest over this long: the value just after a jump is as
    suspect as the jump (the fit is still catching up), and a spike comes back down fast.
    back_s: a change past the limit also makes the frames this long before it suspect, once
    it is seen (station.form.confidence_gate.ConfidenceTracker lowers what it recorded): a fit
    that lags a motion bends the cheap DOFs slowly first, and its snap back is the fast part.
    Seen on the mesh library with the depth noise doubled (mesh_D_faults4, a 4 deg back): the
    fitted hips stalled at 20-24 deg for 0.3 s while the truth's went 33 -> 60, the spine rose
    5 -> 24 deg at 100-165 deg/s over the sure frames, under the limit, and the snap (hips +33
    deg in two frames, spine -25 in one) came after them; the rep was called rounded. Twice
    span_s: the lag's last frames, where it has bent the spine most.
    """

    max_deg_s: tuple[tuple[str, float], ...] = (("spine_flexion", 200.0),)
    span_s: float = 0.1
    hold_s: float = 0.1
    back_s: float = 0.2


def rate_factor(rate_deg_s: float, max_deg_s: float) -> float:
    """0..1: how believable a change at this rate is (0.5 at max_deg_s)."""
    return constraint_factor(abs(rate_deg_s), max_deg_s)


class AngleRateConfidence:
    """Per-frame angle confidence lowered where an angle changes faster than it physically
    can (RateLimits): a stateful filter over the stream of fitted angles.

        rc = AngleRateConfidence()
        conf = rc.update(t_s, angles, angle_confidence)   # the fitter's confidence, scaled

    A frame not tracked (angles None) starts afresh; a frame with no confidence (None: truth
    angles) passes through unchanged.
    """

    def __init__(self, limits: RateLimits = RateLimits()):
        self.limits = limits
        self._max = dict(limits.max_deg_s)
        self._values: deque = deque()     # (t, {angle: value}) over the last span_s
        self._rates: deque = deque()      # (t, {angle: |rate|}) over the last hold_s
        self.factors: dict[str, float] = {a: 1.0 for a in self._max}   # the last frame's

    def reset(self) -> None:
        self._values.clear()
        self._rates.clear()
        self.factors = {a: 1.0 for a in self._max}

    def update(self, t_s: float, angles: dict[str, float] | None,
               conf: dict[str, float] | None) -> dict[str, float] | None:
        if angles is None:
            self.reset()
            return conf
        lim = self.limits
        now = {a: float(angles[a]) for a in self._max if a in angles}
        v, r = self._values, self._rates
        while v and t_s - v[0][0] > lim.span_s + 1e-6:
            v.popleft()
        rates = {}
        if v:   # the oldest sample within span_s (a frame back at least)
            t0, old = v[0]
            dt = t_s - t0
            if dt > 1e-6:
                rates = {a: abs(x - old[a]) / dt for a, x in now.items() if a in old}
        v.append((t_s, now))
        r.append((t_s, rates))
        while r and t_s - r[0][0] > lim.hold_s + 1e-6:
            r.popleft()
        self.factors = {a: rate_factor(max((x.get(a, 0.0) for _, x in r), default=0.0), m)
                        for a, m in self._max.items()}
        if conf is None:
            return None
        out = dict(conf)
        for a, f in self.factors.items():
            if a in out:
                out[a] = out[a] * f
        return out
