"""One frame's fit: energy terms and damped Gauss-Newton (Levenberg-Marquardt) iterations.

Energy (all residuals in metres or radians, each term a sum of weighted squares):
  data      data -> model: each cloud point's signed distance to the nearest capsule surface
            (point-to-plane along the surface normal), Geman-McClure weighted with scale
            `data_sigma_m`, gated at `data_gate_m`; normalised to `data_ref_points` points.
  silhouette / freespace   model -> data: camera-facing surface samples projected into the
            decimated depth image must fall inside the person mask (else pulled towards the
            nearest mask pixel) and must not float in front of the observed depth.
  limits    soft joint limits (sigma `limit_sigma_rad` outside [lower, upper]).
  prior     weak pull of poorly observed DOFs (twists, rotations) towards neutral; the spine's
            neighbouring bends towards each other (body_model.DOF_PAIRS: a smooth curve).
  temporal  towards the constant-velocity prediction (`temporal_sigma_rad`, `_m`).
  floor     sole points never below the floor; a weak pull onto it when within a band; and a
            person stands on a foot: with both feet fitted well off the floor, the lowest sole
            point is pulled back down (_kernels_energy.SUPPORT_FREE_M).
  collision capsule pairs (forearms/hands vs thighs/pelvis, arms vs torso, shanks, feet)
            must not interpenetrate.
  anchors   (optional) each ankle towards where that foot has been standing (feet rarely
            move during a set; the segmenter removes the floor's neighbourhood, so a foot has
            few points of its own): `anchor_sigma_m`.
  implement (optional, no DOF of its own; it follows the hands):
            "bar"        a bar along the line through the hands: its points count as
                         explained and pull nothing;
            "kettlebell" a bell (sphere) hanging below the hands' grip, in line with the
                         arms (shoulders -> hands): carried by both forearms, its points pull
                         the arms;
            "dumbbells"  one short thick capsule across each hand (along the person's left
                         axis), carried by that forearm.
Normal equations are accumulated per segment in numba (station.fit._kernels) and mapped to
the 33 DOFs; one kernel call evaluates a pose (normal equations and energy,
station.fit._kernels_lm_loop.evaluate: the energy first, the normal equations only for an
accepted trial); the LM loop runs in numba too (lm_iterations; LAPACK solves the rare
damped system Cholesky rejects). Geometry is float64 in the floor frame.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field, fields

import numpy as np

from station.fit import _kernels as K
from station.fit._linalg import solve as _solve   # (np.linalg.solve, faster)
from station.fit.body_model import (
    DOF, SEG, DOF_AXIS, DOF_LOWER, DOF_PAIR_AT_REST, DOF_PAIR_SIGMA, DOF_PAIRS, DOF_PRIOR_SIGMA,
    DOF_SEG, DOF_TYPE, DOF_UPPER, N_DOF, N_SEG, PRISMATIC, SEG_CHAIN, SEG_PARENT, BodyModel,
    StandingRest, draped,
)
from station.frames import invert
from station.model import SKELETON_INDEX, PersonCloud


@dataclass(frozen=True)
class FitWeights:
    """Weights, scales and thresholds of the energy (all arguments, no globals)."""

    data: float = 1.0
    # the robust scale: a point further off the model than this counts less and less. It
    # covers the sensor's noise (~15 mm at 2.5 m) and the model's own shape error on a real
    # body (cloth hanging off the belly and chest, soft tissue: 10-40 mm off round capsules
    # on the mesh athlete's clothed shapes), in quadrature. 0.03 was set on the capsule
    # athlete, whose surface is the model's: on human-shaped bodies it treated the trunk's
    # real shape as outliers (stop 48, 75 mesh dev takes: spine MAE 4.04 -> 3.55 deg with 0.04)
    data_sigma_m: float = 0.04
    # the gate stays a geometric bound (a point this far off is not this body's: a plate, a
    # foreign object), not a multiple of the scale: gated at 0.16 the bar on the back's
    # plates pulled the hands out to them (good_morning_bar_back wrists 50 -> 144-208 mm)
    data_gate_m: float = 0.12
    # the data term can measure a point's residual where its camera ray meets the surface, when
    # the surface faces the camera at least this much (cosine; station.fit._kernels_geometry
    # .ray_surface), and the Euclidean one at a more grazing angle; 1 (the default) keeps the
    # Euclidean residual everywhere. 0.3 is the value to use (chosen on a sphere through the
    # sensor model, bench/sphere_ray.py, not on the body library). Off, measured at stop 64
    # (docs/spine-limits.md "Stop 64"): on the mesh library it puts the joints nearer (dev
    # MPJPE 20.9 -> 20.4 mm; at twice the noise 25.3 -> 23.3) and calls no clean back rounded
    # on the held-out split, but the backs then read ~1 deg flatter at depth, where the women's
    # already read short: rounded backs found 20 -> 16 (dev), macro F1 0.887 -> 0.863. The
    # rim's noise bias had been hiding part of that shortfall; it goes on once the shortfall
    # is mended
    data_ray_cos_min: float = 1.0
    data_ref_points: float = 1000.0
    silhouette: float = 0.3
    freespace: float = 0.3
    silhouette_sigma_m: float = 0.02
    depth_margin_m: float = 0.04
    # a model sample whose pixel saw past it, by this much more than a pixel next to it that
    # saw as far as the sample (within the margin), sits on a depth edge (the bent trunk's
    # rim over the thighs): not pushed back (station.fit._kernels_energy.model_to_data_energy).
    # Set a priori, not swept: beyond a grazing surface's depth step over one decimated pixel
    # and the sensor's noise (a few cm), within a trunk-over-thigh edge (20-40 cm)
    depth_edge_m: float = 0.10
    edge_tol_px: float = 1.0
    huber_m: float = 0.05
    limit_sigma_rad: float = 0.01
    prior: float = 1.0
    temporal_sigma_rad: float = 0.35
    temporal_sigma_m: float = 0.10
    floor_sigma_m: float = 0.005
    floor_contact_band_m: float = 0.04   # and a heel up to SOLE_REACH_M while its toe is in it (_kernels_energy)
    floor_contact_sigma_m: float = 0.03
    collision_sigma_m: float = 0.01
    collision_slack_m: float = 0.01
    floor_unknown_m: float = 0.05      # model samples lower than this: the mask is unknown there
    anchor_sigma_m: float = 0.015
    # an ankle this far off its anchor pulls at half strength (0 = quadratic), if upright
    anchor_release_m: float = 0.05
    anchor_release_max_pitch_rad: float = 0.35
    bar_half_length_m: float = 1.1
    bar_radius_m: float = 0.035
    # kettlebell: bell radius and its centre's distance from the grip (handle + radius);
    # dumbbell: half length and radius (typical 10-25 kg gym implements)
    bar_pull: float = 1.0              # weight of the bar's points on the hands (0 = none)
    level_sigma_m: float = 0.03
    roll_temporal_sigma_rad: float = 0.015
    lateral_sigma_m: float = 0.01      # pelvis sideways from the prediction (0 = off)        # hands on a bar / handle: their height difference
    bell_radius_m: float = 0.10
    bell_drop_m: float = 0.17
    dumbbell_half_length_m: float = 0.09
    dumbbell_radius_m: float = 0.055
    # a knee flexed this far beyond its hip (the heel at the buttock with the thigh down) is
    # no lifting posture: a shank folded behind the thigh hides in the occluded far leg of a
    # person seen side-on. Soft, one-sided, per leg (0 = off)
    knee_fold_margin_rad: float = 1.0
    knee_fold_sigma_rad: float = 0.1
    damping: float = 1e-3
    max_step_rad: float = 0.35
    max_step_m: float = 0.15


@dataclass
class FrameData:
    """One frame prepared for fitting (floor frame, float64)."""

    points_floor_m: np.ndarray      # (n, 3) subsampled person points
    T_floor_cam: np.ndarray
    R_cam_floor: np.ndarray
    t_cam_floor: np.ndarray
    cam_pos_floor_m: np.ndarray
    fx: float
    fy: float
    cx: float
    cy: float
    mask: np.ndarray                # (h, w) bool
    depth_m: np.ndarray             # (h, w) float32
    near_u: np.ndarray              # (h, w) int32 nearest mask pixel
    near_v: np.ndarray


_NO_DIST2 = np.empty((0, 0))   # distance_transform_nearest: no distances wanted


def prepare_frame(cloud: PersonCloud, max_points: int = 1500) -> FrameData:
    """Subsample the cloud's floor-frame points (deterministic stride), distance transform
    of the mask. The points come in the floor frame (the PersonCloud's one transform, float64)."""
    T_floor_cam = cloud.T_floor_cam
    T_cam_floor = invert(T_floor_cam)
    pts = cloud.points_floor_m
    idx = np.empty(min(len(pts), max_points), dtype=np.int64)
    n = K.subsample_indices(len(pts), max_points, idx)
    pts_floor = np.asarray(pts[idx[:n]], np.float64)
    mask = np.ascontiguousarray(cloud.mask, dtype=np.bool_)
    h, w = mask.shape
    nu = np.empty((h, w), dtype=np.int32)
    nv = np.empty((h, w), dtype=np.int32)
    K.distance_transform_nearest(mask, _NO_DIST2, nu, nv)   # the nearest pixels only
    intr = cloud.intrinsics
    return FrameData(
        points_floor_m=np.ascontiguousarray(pts_floor), T_floor_cam=T_floor_cam,
        R_cam_floor=np.ascontiguousarray(T_cam_floor[:3, :3]),
        t_cam_floor=np.ascontiguousarray(T_cam_floor[:3, 3]),
        cam_pos_floor_m=np.ascontiguousarray(T_floor_cam[:3, 3]),
        fx=float(intr.fx), fy=float(intr.fy), cx=float(intr.ppx), cy=float(intr.ppy),
        mask=mask, depth_m=np.ascontiguousarray(cloud.depth_m, dtype=np.float32),
        near_u=nu, near_v=nv)


@dataclass
class Workspace:
    """Preallocated arrays for one body model."""

    seg_R: np.ndarray = field(default_factory=lambda: np.zeros((N_SEG, 3, 3)))
    seg_t: np.ndarray = field(default_factory=lambda: np.zeros((N_SEG, 3)))
    twist: np.ndarray = field(default_factory=lambda: np.zeros((N_DOF, 6)))
    H: np.ndarray = field(default_factory=lambda: np.zeros((N_SEG, 6, 6)))
    g: np.ndarray = field(default_factory=lambda: np.zeros((N_SEG, 6)))
    A: np.ndarray = field(default_factory=lambda: np.zeros((N_DOF, N_DOF)))
    b: np.ndarray = field(default_factory=lambda: np.zeros(N_DOF))
    seg_count: np.ndarray = field(default_factory=lambda: np.zeros(N_SEG))
    seg_stats: np.ndarray = field(default_factory=lambda: np.zeros((N_SEG, 4)))
    data_stats: np.ndarray = field(default_factory=lambda: np.zeros(4))
    m2d_stats: np.ndarray = field(default_factory=lambda: np.zeros(2))
    layouts: dict = field(default_factory=dict, repr=False)   # fit_frame's, by body and weights
    nearest: dict = field(default_factory=dict, repr=False)   # fit_frame's nearest-capsule states
    last_layout: tuple | None = field(default=None, repr=False)   # the last one, with its arguments


@dataclass
class FitResult:
    theta: np.ndarray                 # (N_DOF,)
    points_floor_m: np.ndarray        # (len(SKELETON_POINTS), 3)
    seg_R: np.ndarray
    seg_t: np.ndarray
    seg_point_count: np.ndarray       # inlier data points per segment (last iteration)
    seg_visibility: np.ndarray        # (N_SEG, 4) facing, explained, occluded, outside
    n_points: int
    inlier_fraction: float
    mean_abs_residual_m: float
    energy: float
    iterations: int
    step_norms: list = field(default_factory=list)
    n_rejected: int = 0
    # (N_DOF, N_DOF) Gauss-Newton information of the observations alone (data, silhouette,
    # free space, floor, collisions, feet anchors) at theta: no prior, limit or temporal
    # term, so how well the depth data constrains each DOF (station.fit.confidence)
    info: np.ndarray | None = field(default=None, repr=False)
    dof_twist: np.ndarray | None = field(default=None, repr=False)   # (N_DOF, 6) at theta
    theta_pred: np.ndarray | None = field(default=None, repr=False)  # the temporal term's target


def posed_segments(body: BodyModel, theta: np.ndarray, ws: Workspace) -> None:
    """Forward kinematics of a pose: the segment transforms (ws.seg_R, ws.seg_t, floor frame)
    and the DOF twists (ws.twist)."""
    K.forward_kinematics(theta, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS,
                         ws.seg_R, ws.seg_t, ws.twist)


def body_for_pose(body: BodyModel, theta: np.ndarray, ws: Workspace) -> BodyModel:
    """The body as it is in a pose: with its cloth hanging off the belly when bent over
    (station.fit.body_model.draped; the body itself when it has no drape). Leaves the pose's
    segment transforms in ws when it has one."""
    if body.shape.drape_fwd == 0.0:
        return body
    posed_segments(body, theta, ws)
    return draped(body, ws.seg_R)


def posed_capsules(body: BodyModel, theta: np.ndarray, ws: Workspace,
                   ca: np.ndarray | None = None,
                   cb: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The body's capsule end points (a, b), (n_cap, 3) each, floor frame, for a pose (into
    ca, cb when given); the segment transforms and DOF twists are left in ws."""
    posed_segments(body, theta, ws)
    ca = np.empty_like(body.cap_a_local) if ca is None else ca
    cb = np.empty_like(body.cap_b_local) if cb is None else cb
    K.points_to_world(ws.seg_R, ws.seg_t, body.cap_seg, body.cap_a_local, ca)
    K.points_to_world(ws.seg_R, ws.seg_t, body.cap_seg, body.cap_b_local, cb)
    return ca, cb


def capsule_distances(points_floor_m: np.ndarray, ca: np.ndarray, cb: np.ndarray,
                      ra: np.ndarray, rb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each point's nearest capsule: (index (n,) int32, signed distance to its surface (n,)
    m, negative inside, unit normal (n, 3)); station.fit._kernels_geometry.nearest_capsule."""
    n = len(points_floor_m)
    idx = np.empty(n, dtype=np.int32)
    dist = np.empty(n)
    nrm = np.empty((n, 3))
    K.nearest_capsule(points_floor_m, ca, cb, ra, rb, idx, dist, nrm)
    return idx, dist, nrm


def _norm(v: np.ndarray) -> float:
    return math.sqrt(float(v @ v))     # (np.linalg.norm's own arithmetic, without its overhead)


def implement_layout(implement: str | None, w: FitWeights):
    """The implement's capsules' radius (k,), carrying segment (k,) and second carrying
    segment (k,) (-1: none); k = 0 without an implement. They do not depend on the pose."""
    fl, fr = SEG["forearm_l"], SEG["forearm_r"]
    if implement == "bar":
        return np.array([w.bar_radius_m]), np.array([-1], np.int32), np.array([-1], np.int32)
    if implement == "kettlebell":
        return np.array([w.bell_radius_m]), np.array([fl], np.int32), np.array([fr], np.int32)
    if implement == "dumbbells":
        return (np.full(2, w.dumbbell_radius_m), np.array([fl, fr], np.int32),
                np.array([-1, -1], np.int32))
    return np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.int32)


def implement_ends(body: BodyModel, ca: np.ndarray, cb: np.ndarray, seg_R: np.ndarray,
                   implement: str | None, w: FitWeights) -> tuple[np.ndarray, np.ndarray]:
    """The implement's capsules' axis ends a, b (k, 3) for posed body capsules ca, cb (floor
    frame), in implement_layout's order."""
    hl, hr = body.hand_caps
    gl = 0.5 * (ca[hl] + cb[hl])           # grip centres
    gr = 0.5 * (ca[hr] + cb[hr])
    if implement == "bar":
        d = gl - gr
        n = _norm(d)
        d = d / n if n > 1e-6 else np.array([1.0, 0.0, 0.0])
        m = 0.5 * (gl + gr)
        return (m + w.bar_half_length_m * d)[None], (m - w.bar_half_length_m * d)[None]
    if implement == "kettlebell":
        ual, uar = body.upper_arm_caps
        sh = 0.5 * (ca[ual] + ca[uar])
        m = 0.5 * (gl + gr)
        down = m - sh
        n = _norm(down)
        down = down / n if n > 1e-6 else np.array([0.0, 0.0, -1.0])
        c = m + w.bell_drop_m * down
        return c[None], c[None].copy()
    if implement == "dumbbells":
        left = seg_R[0][:, 1]
        a = np.empty((2, 3)); b = np.empty((2, 3))
        for k, (g, cap) in enumerate(((gl, hl), (gr, hr))):
            ax = cb[cap] - ca[cap]
            ax /= max(_norm(ax), 1e-9)
            L = left - float(left @ ax) * ax
            nL = _norm(L)
            L = L / nL if nL > 1e-6 else left
            a[k] = g + w.dumbbell_half_length_m * L
            b[k] = g - w.dumbbell_half_length_m * L
        return a, b
    z = np.zeros((0, 3))
    return z, z.copy()


def implement_capsules(body: BodyModel, ca: np.ndarray, cb: np.ndarray, seg_R: np.ndarray,
                       implement: str | None, w: FitWeights):
    """The implement's capsules for posed body capsules ca, cb (floor frame):
    (a (k, 3), b (k, 3), radius (k,), seg (k,), seg2 (k,)); k = 0 without an implement."""
    return implement_ends(body, ca, cb, seg_R, implement, w) + implement_layout(implement, w)


def skeleton_points_floor(body: BodyModel, theta: np.ndarray) -> np.ndarray:
    """The SKELETON_POINTS (model.py order) in the floor frame for a pose."""
    ws = Workspace()
    posed_segments(body, theta, ws)
    out = np.empty((len(body.point_seg), 3))
    K.points_to_world(ws.seg_R, ws.seg_t, body.point_seg, body.point_local, out)
    return out


_ANGLE = DOF_TYPE != PRISMATIC
_FINITE_LO = np.isfinite(DOF_LOWER)
_FINITE_HI = np.isfinite(DOF_UPPER)
_HAS_PRIOR = DOF_PRIOR_SIGMA > 0
_DIAG = np.diag_indices(N_DOF)
_ROLL = 4  # root_roll (body_model._DOF_TABLE)
_NECK = DOF["neck_flex"]

_IMPLEMENT_KIND = {None: K.NO_IMPLEMENT, "bar": K.BAR, "kettlebell": K.KETTLEBELL,
                   "dumbbells": K.DUMBBELLS}

# a fit of this many iterations or more keeps its points' nearest capsules' candidates and
# bounds over its evaluations (K.nearest_capsule_within_fit: the same results; on rdl_clean's
# fits a first evaluation costs ~1.25 times nearest_capsule's, a later one ~0.5 times: from 4
# evaluations on (a limb probe's 3 iterations) it pays); shorter fits search anew every
# evaluation
_NEAREST_STATE_MIN_ITER = 3
_NO_NEAREST_STATE = K.nearest_capsule_state(0, 0, 0, enabled=False)   # (read only)

_KNEE_HIP = np.array([(DOF[f"knee_{s}_flex"], DOF[f"hip_{s}_flex"]) for s in ("l", "r")], np.int64)


def temporal_weights(w: FitWeights) -> np.ndarray:
    """(N_DOF,) weights of the temporal term: (theta - theta_pred)^2 each."""
    temporal_w = np.where(_ANGLE, 1.0 / w.temporal_sigma_rad ** 2, 1.0 / w.temporal_sigma_m ** 2)
    if w.roll_temporal_sigma_rad > 0:
        # the pelvis's roll tilts the hip axis, which the hip-shift angle projects onto: 1 deg
        # of roll noise is ~15 mm of shift; roll changes slowly in these lifts
        temporal_w[_ROLL] = 1.0 / w.roll_temporal_sigma_rad ** 2
    return temporal_w


_ZERO3 = np.zeros(3)
_FOREARM_L, _FOREARM_R = SEG["forearm_l"], SEG["forearm_r"]
_ANKLE_IDX = np.array([SKELETON_INDEX["ankle_l"], SKELETON_INDEX["ankle_r"]])
_ANCHOR_ROWS = np.array([0, 0, 0, 1, 1, 1])


class _Layout:
    """What fit_frame's arrays hold that depends only on the body, the implement, the
    weights and which optional rows there are (anchors, lateral): built once per such key
    (_layout), not per call. Rows: the soles, the capsule pairs, the anchors, the level row,
    the lateral row. Read-only once built, but for work(): the work arrays every call with
    this layout reuses (a Workspace serves one fit at a time)."""

    def __init__(self, body: BodyModel, implement: str | None, w: FitWeights, n_anchor: int,
                 n_lat: int):
        self.body = body
        up = np.array([0.0, 0.0, 1.0])
        pairs = body.collision_pairs
        n_pairs = len(pairs)
        ns = len(body.sole_seg)
        # a bar or a kettlebell's handle keeps the hands level: one row, z(grip_l) - z(grip_r)
        n_level = 1 if implement in ("bar", "kettlebell") else 0
        self.n_rows = n_rows = ns + n_pairs + n_anchor + n_level + n_lat
        na0 = ns + n_pairs
        nl0 = na0 + n_anchor
        nt0 = nl0 + n_level
        self.n_samp, self.n_pairs, self.ns = len(body.sample_seg), n_pairs, ns
        self.ankle_seg = body.point_seg[_ANKLE_IDX]
        self.ankle_local = body.point_local[_ANKLE_IDX]
        seg1 = np.empty(n_rows, dtype=np.int32)
        seg2 = np.full(n_rows, -1, dtype=np.int32)
        n1 = np.empty((n_rows, 3))
        rw = np.zeros(n_rows)
        seg1[:ns] = body.sole_seg
        n1[:ns] = up
        if n_level:
            seg1[nl0], seg2[nl0] = _FOREARM_L, _FOREARM_R
            n1[nl0] = up
            rw[nl0] = 1.0 / w.level_sigma_m ** 2
        seg1[ns:na0] = body.cap_seg[pairs[:, 0]]
        seg2[ns:na0] = body.cap_seg[pairs[:, 1]]
        if n_anchor:
            seg1[na0:nl0] = np.repeat(self.ankle_seg, 3)
            n1[na0:nl0] = np.tile(np.eye(3), (2, 1))   # their weights: per call (anchor_target)
        if n_lat:
            seg1[nt0] = 0
            rw[nt0] = 1.0 / w.lateral_sigma_m ** 2
        self.seg1, self.seg2, self.n1, self.rw = seg1, seg2, n1, rw
        self.n2 = np.zeros((n_rows, 3))
        if n_level:
            self.n2[nl0] = -up
        self.level_row = nl0 if n_level else -1
        self.lat_row = nt0 if n_lat else -1
        # implement: extra capsules carried by the forearms (or by no segment: a bar)
        self.n_cap = n_cap = len(body.cap_seg)
        imp_r, imp_seg, imp_seg2 = implement_layout(implement, w)
        self.n_cap_x = n_cap + len(imp_r)   # the body's capsules, then the implement's
        self.cap_seg_x = np.concatenate([body.cap_seg, imp_seg]).astype(np.int32)
        self.cap_seg2_x = np.concatenate([np.full(n_cap, -1, np.int32), imp_seg2]).astype(np.int32)
        self.ra_x = np.concatenate([body.cap_ra, imp_r])
        self.rb_x = np.concatenate([body.cap_rb, imp_r])
        self.hand_l, self.hand_r = (int(c) for c in body.hand_caps)
        self.ua_l, self.ua_r = (int(c) for c in body.upper_arm_caps)
        self.bar_cap = n_cap if (implement == "bar" and w.bar_pull > 0) else -1
        self.implement_kind = _IMPLEMENT_KIND[implement]
        self.w_sil = w.silhouette / w.silhouette_sigma_m ** 2
        self.w_fs = w.freespace / w.silhouette_sigma_m ** 2
        # diagonal priors (constant per frame)
        self.prior_w = np.zeros(N_DOF)
        self.prior_w[_HAS_PRIOR] = w.prior / DOF_PRIOR_SIGMA[_HAS_PRIOR] ** 2
        self.pair_w = w.prior / DOF_PAIR_SIGMA ** 2      # smoothness pairs (body_model.DOF_PAIRS)
        # the same while the person's standing rest is being learned (StandingRest): the
        # neck's prior loose, the pairs centred on the rest off
        self.prior_w_learning = self.prior_w.copy()
        self.prior_w_learning[_NECK] = w.prior / StandingRest.LEARNING_SIGMA_RAD ** 2
        self.pair_w_learning = np.where(DOF_PAIR_AT_REST, 0.0, self.pair_w)
        self.temporal_w = temporal_weights(w)
        self.limit_w = 1.0 / w.limit_sigma_rad ** 2
        self.knee_w = 1.0 / w.knee_fold_sigma_rad ** 2 if w.knee_fold_sigma_rad > 0 else 0.0
        self.w_below = 1.0 / w.floor_sigma_m ** 2
        self.w_band = 1.0 / w.floor_contact_sigma_m ** 2
        self.w_collision = 1.0 / w.collision_sigma_m ** 2
        self.step_cap = np.where(_ANGLE, w.max_step_rad, w.max_step_m)
        self.neg_step_cap = -self.step_cap

    def work(self) -> tuple:
        """scratch(), then the rows' normals n1 and weights rw (their preset parts copied
        from the layout; a call writes only what every call writes), made once and reused:
        no call reads what an earlier call left in them."""
        w = getattr(self, "_work", None)
        if w is None:
            w = self._work = self.scratch() + (self.n1.copy(), self.rw.copy())
        return w

    def scratch(self) -> tuple:
        """A call's work arrays: samples and their normals, the pairs' closest points,
        normals and depths, the soles, the ankles, the capsule ends, the rows' x1, x2, n2,
        residuals, the per-DOF energies, the observations' normal matrix, the rows' energies,
        the model -> data rows' records (K.model_to_data_energy)."""
        e = np.empty
        n, k = self.n_rows, self.n_pairs
        return (e((self.n_samp, 3)), e((self.n_samp, 3)), e((k, 3)), e((k, 3)), e((k, 3)), e(k),
                e((self.ns, 3)), e((2, 3)), e((self.n_cap_x, 3)), e((self.n_cap_x, 3)), e((n, 3)),
                np.zeros((n, 3)), self.n2.copy(), np.zeros(n), e(N_DOF), e(N_DOF),
                e(len(_KNEE_HIP)), e((N_DOF, N_DOF)), e(n), e((self.n_samp, 4)))


# FitWeights fields fit_frame reads itself on every call (the depth noise adapts some of
# them every frame); every other field keys the _Layout, so a new field is keyed by default
_PER_CALL_FIELDS = {"data", "data_sigma_m", "data_gate_m", "data_ref_points", "depth_margin_m",
                    "depth_edge_m",
                    "edge_tol_px", "huber_m", "floor_unknown_m", "floor_contact_band_m",
                    "collision_slack_m", "bar_half_length_m", "bell_drop_m",
                    "dumbbell_half_length_m", "knee_fold_margin_rad", "damping", "anchor_sigma_m",
                    "anchor_release_m", "anchor_release_max_pitch_rad"}
_LAYOUT_FIELDS = tuple(f.name for f in fields(FitWeights) if f.name not in _PER_CALL_FIELDS)
_LAYOUT_VALUES = operator.attrgetter(*_LAYOUT_FIELDS)   # read in C (noisy frames: every call)


def _nearest_state(ws: Workspace, n_pts: int, n_cap: int, n_evaluations: int) -> tuple:
    """K.nearest_capsule_state's arrays, reused by this workspace's fits of that shape (the
    kernel writes a point's slots before reading them; only its counter is reset)."""
    hit = ws.nearest.get(n_evaluations)   # (one per iteration count: bounded)
    if hit is None or hit[0] != (n_pts, n_cap):
        hit = ws.nearest[n_evaluations] = ((n_pts, n_cap), K.nearest_capsule_state(n_pts, n_cap, n_evaluations))
    hit[1][-1][0] = 0
    return hit[1]


def _layout(ws: Workspace, body: BodyModel, implement: str | None, w: FitWeights,
            n_anchor: int, n_lat: int) -> _Layout:
    """The _Layout for this key, kept in the workspace (a tracker's body and weights change
    rarely: at resizing, and with the depth noise's estimate). The last one is remembered by
    the identity of its arguments (FitWeights is frozen: the same object, the same fields),
    which spares most calls the key's thirty-odd field reads."""
    last = ws.last_layout
    if (last is not None and last[0] is w and last[1] is body and last[2] == implement
            and last[3] == n_anchor and last[4] == n_lat):
        return last[5]
    key = (id(body), implement, n_anchor, n_lat) + _LAYOUT_VALUES(w)
    lay = ws.layouts.get(key)
    if lay is None or lay.body is not body:
        if len(ws.layouts) >= 16:
            ws.layouts.clear()
        lay = ws.layouts[key] = _Layout(body, implement, w, n_anchor, n_lat)
    ws.last_layout = (w, body, implement, n_anchor, n_lat, lay)   # (holds w and body: ids stay theirs)
    return lay


def fit_frame(body: BodyModel, frame: FrameData, theta_init: np.ndarray,
              theta_pred: np.ndarray | None = None, weights: FitWeights = FitWeights(),
              n_iter: int = 6, ws: Workspace | None = None,
              use_model_to_data: bool = True, anchors_floor_m: np.ndarray | None = None,
              bar: bool = False, implement: str | None = None,
              observe_rest: bool = True) -> FitResult:
    """Fit the body to one frame's points starting from theta_init.

    theta_pred: the temporal prior's target (constant-velocity prediction); None = no
    temporal term. Levenberg-Marquardt: n_iter linearisations after the first; a step that
    raises the energy is undone and the damping raised (the next linearisation is reused,
    so a rejection costs one evaluation, no extra solve). Returns the best pose and the
    statistics of its linearisation (used for confidence and loss detection).
    anchors_floor_m: (2, 3) targets of ankle_l, ankle_r (floor frame) or None.
    bar: model a bar through the hands (points it explains pull nothing); the same as
    implement="bar". implement: None, "bar", "kettlebell" or "dumbbells" (module docstring).
    observe_rest: the fitted pose teaches the body's standing rest while it is learning
    (StandingRest.observe); False for a frame read again out of its time (Tracker.reread).
    """
    if bar and implement is None:
        implement = "bar"
    ws = ws or Workspace()
    w = weights
    theta = np.array(theta_init, dtype=np.float64)
    pts = frame.points_floor_m
    n_pts = len(pts)
    n_anchor = 0 if anchors_floor_m is None else 6
    # the pelvis's sideways motion, from the prediction: a stiffer temporal term than the
    # per-DOF one (the round pelvis capsule's lateral position is noisy, the coach's
    # hip-shift rule thresholds it)
    n_lat = 1 if (theta_pred is not None and w.lateral_sigma_m > 0) else 0
    lay = _layout(ws, body, implement, w, n_anchor, n_lat)
    cap_idx = np.empty(n_pts, dtype=np.int32)
    dist = np.empty(n_pts)
    normal = np.empty((n_pts, 3))
    ray_q = np.empty((n_pts, 3))
    data_weight = w.data * w.data_ref_points / max(n_pts, 1)
    anchor_target = np.empty((n_anchor, 5))
    # the work arrays: the rows' preset parts (the kernel writes their points, residuals
    # and the rest) and scratch
    (samp, samp_n, cp1, cp2, cn, cdepth, sole, ankle_w, ca, cb, x1, x2, n2, res, e_prior,
     e_temporal, e_knee, A_obs, row_energy, m2d_rec, n1, rw) = lay.work()
    if n_anchor:
        anchor_target[:, :3] = np.asarray(anchors_floor_m, np.float64)[_ANCHOR_ROWS]   # (np.repeat's)
        # let go upright: held, a 0.5 m knee raise cost 1100 against the leg's ~70 of data
        upright = abs(theta[DOF["root_pitch"]]) < w.anchor_release_max_pitch_rad
        anchor_target[:, 3:] = (1.0 / w.anchor_sigma_m ** 2, w.anchor_release_m if upright else 0.0)
    if n_lat:
        _ix, _iy, _iyaw = DOF["root_tx"], DOF["root_ty"], DOF["root_yaw"]
        lat_dir = np.array([-np.sin(theta_pred[_iyaw]), np.cos(theta_pred[_iyaw]), 0.0])
        lat_target = theta_pred[_ix] * lat_dir[0] + theta_pred[_iy] * lat_dir[1]
        n1[lay.lat_row] = lat_dir
    else:
        lat_dir, lat_target = _ZERO3, 0.0
    bar_weight = data_weight * w.bar_pull
    # the neck's prior centres on this person's own rest once learned, loose until then, and
    # the lumbar-thorax pair on theirs, off until then (body_model.StandingRest); the layout
    # holds both sets of weights
    rest = body.standing_rest
    neck_mu, pair_mu = rest.neck_rad, rest.pair_mu
    prior_w, pair_w = (lay.prior_w, lay.pair_w) if rest.learned else (lay.prior_w_learning, lay.pair_w_learning)
    pred_x = theta if theta_pred is None else np.asarray(theta_pred, np.float64)
    step_cap = lay.step_cap
    # evaluate's arguments after the pose: the pose, its capsules and the implement's, data,
    # model -> data, the map to the DOFs, floor, collisions, anchors, level and lateral rows,
    # the bar's pull, the per-DOF terms (limits, prior, knee fold, temporal) and the energy,
    # one kernel (station.fit._kernels_lm_loop.evaluate); A_obs: the observations' normal
    # matrix; m2d_rec: the model -> data rows between its two passes; last, the nearest
    # capsules' state over this fit's evaluations (K.nearest_capsule_state)
    ev = (SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, body.cap_seg,
          body.cap_a_local, body.cap_b_local, lay.implement_kind, lay.ua_l, lay.ua_r,
          w.bar_half_length_m, w.bell_drop_m, w.dumbbell_half_length_m, lat_dir, lat_target,
          pts, ca, cb, lay.ra_x, lay.rb_x, lay.cap_seg_x, lay.cap_seg2_x, w.data_gate_m,
          w.data_sigma_m,
          data_weight, w.data_ray_cos_min, use_model_to_data, ws.seg_R, ws.seg_t, ws.twist, SEG_CHAIN,
          body.sample_seg, body.sample_local, body.sample_normal_local,
          frame.cam_pos_floor_m, frame.R_cam_floor, frame.t_cam_floor, frame.fx, frame.fy,
          frame.cx, frame.cy, frame.mask, frame.depth_m, frame.near_u, frame.near_v,
          w.depth_margin_m, w.depth_edge_m, w.edge_tol_px, w.huber_m, lay.w_sil, lay.w_fs,
          w.floor_unknown_m,
          lay.n_cap, body.cap_ra, body.cap_rb, body.collision_pairs, body.sole_seg,
          body.sole_local, body.collision_slack_m, w.collision_slack_m, lay.w_below,
          w.floor_contact_band_m, lay.w_band, lay.w_collision, lay.ankle_seg, lay.ankle_local,
          anchor_target, n_anchor, lay.hand_l, lay.hand_r, lay.level_row, lay.lat_row,
          lay.bar_cap, bar_weight, _FOREARM_L, _FOREARM_R, cap_idx, dist, normal, ray_q, samp,
          samp_n, sole, cp1, cp2, cn, cdepth, ankle_w, lay.seg1, x1, n1, lay.seg2, x2, n2, res,
          rw, ws.H, ws.g, ws.seg_count, ws.data_stats, ws.seg_stats, ws.m2d_stats, ws.A, ws.b,
          pred_x, theta_pred is not None, DOF_LOWER, DOF_UPPER, _FINITE_LO, _FINITE_HI,
          lay.limit_w, prior_w, lay.temporal_w, _KNEE_HIP, w.knee_fold_margin_rad,
          lay.knee_w, e_prior, e_knee, e_temporal, row_energy, A_obs, m2d_rec, DOF_PAIRS,
          pair_w, pair_mu,
          _nearest_state(ws, n_pts, lay.n_cap_x, n_iter + 1) if n_iter >= _NEAREST_STATE_MIN_ITER
          else _NO_NEAREST_STATE)
    e = np.empty
    best_theta, best_A, best_b, best_info = e(N_DOF), e((N_DOF, N_DOF)), e(N_DOF), e((N_DOF, N_DOF))
    data_stats, seg_count, seg_stats = e(4), e(N_SEG), e((N_SEG, 4))
    chol, delta, steps = e((N_DOF, N_DOF)), e(N_DOF), e(max(n_iter, 1))
    state = np.array([w.damping, np.inf, 0.0, 0.0])   # lam, best energy, rejections, accepted
    it = 0
    while True:
        # the LM loop (station.fit._kernels_lm_loop.lm_iterations): it returns here only to have
        # a damped matrix that is not positive definite solved by LAPACK
        it, status = K.lm_iterations(
            theta, it, n_iter, state, w.damping, _NECK, neck_mu, float(prior_w[_NECK]),
            lay.neg_step_cap, step_cap, chol, delta, best_theta, best_A, best_b, best_info,
            data_stats, seg_count, seg_stats, steps, ws.A, ws.b, A_obs, ws.data_stats,
            ws.seg_count, ws.seg_stats, ev)
        if status == K.LM_DONE:
            break
        lam = state[0]
        Ad = best_A.copy()                   # A + lam diag(diag(A) + 1e-6)
        Ad.reshape(-1)[::N_DOF + 1] += lam * (best_A.reshape(-1)[::N_DOF + 1] + 1e-6)
        try:
            step = -_solve(Ad, best_b)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(Ad, best_b, rcond=None)[0]
        np.maximum(step, lay.neg_step_cap, out=step)   # np.clip's result, cheaper
        np.minimum(step, step_cap, out=step)
        theta[:] = best_theta + step
        steps[it] = _norm(step)
        it += 1
    if state[3] == 0.0:   # (the Python loop failed here too, less clearly)
        raise FloatingPointError("fit_frame: the starting pose's energy is not a number")
    theta = best_theta
    energy = float(state[1])
    n_reject = int(state[2])
    out = np.empty((len(body.point_seg), 3))
    posed_segments(body, theta, ws)
    K.points_to_world(ws.seg_R, ws.seg_t, body.point_seg, body.point_local, out)
    n_in = data_stats[1]
    if observe_rest and n_iter > 0 and n_pts > 0 and not rest.learned:   # key: the frame's points (fitted from several starts)
        key = (n_pts, float(pts[0, 0]), float(pts[0, 1]), float(pts[-1, 2]))
        rest.observe(theta, float(n_in / n_pts), key)
    return FitResult(
        theta=theta, points_floor_m=out, seg_R=ws.seg_R.copy(), seg_t=ws.seg_t.copy(),
        seg_point_count=seg_count, seg_visibility=seg_stats, n_points=n_pts,
        inlier_fraction=float(n_in / max(n_pts, 1)),
        mean_abs_residual_m=float(data_stats[2] / max(n_in, 1.0)), energy=energy,
        iterations=n_iter, step_norms=steps[:n_iter].tolist(), n_rejected=n_reject, info=best_info,
        dof_twist=ws.twist.copy(), theta_pred=None if theta_pred is None else pred_x.copy())
