"""The fitter's life cycle: find an upright person, initialise and size them, track, report
per-joint confidence, detect loss and re-initialise.

States:
  searching     nobody tracked yet (or after reset)
  initialising  an upright person was found; fitting while their height and build are
                estimated over the first `init_frames` frames (about one second); a skeleton
                is already reported
  tracking      shape fixed; a few LM iterations per frame from the constant-velocity
                prediction
  lost          the person left (no usable cloud for `lost_after_frames`) or the fit
                diverged (residual too high / too few points explained for `diverged_frames`).
                For `reacquire_window_frames` after the loss, every frame with a cloud tries
                a few restart poses from the last good one (moved with the cloud, and pitched
                to a few hinge depths): the same person is taken up again in whatever pose
                they are in (bent over, half locked out), keeping their size, implement, feet
                and track id. Otherwise (or after the window) an upright start, which gives a
                new track id.

Every tracked frame reports per-joint and per-angle confidence (station.fit.confidence).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from station.fit import _kernels as K
from station.fit.body_model import (
    DOF, DOF_AXIS, DOF_SEG, DOF_TYPE, SEG, SEG_PARENT, BodyModel, Shape, build_body, neutral_pose,
)
from station.fit.confidence import ConfidenceScales, FitConfidence, fit_confidence
from station.fit.solver import (
    FitResult, FitWeights, FrameData, Workspace, bar_support, depth_noise_m, fit_frame,
    implement_support,
    prepare_frame,
)
from station.frames import apply, invert
from station.model import SKELETON_INDEX, SKELETON_POINTS, PersonCloud, Skeleton

# Segments whose visibility decides each skeleton point's confidence.
_POINT_SEGS: dict[str, tuple[str, ...]] = {
    "head": ("head",), "neck": ("thorax",),
    "shoulder_l": ("thorax", "upper_arm_l"), "shoulder_r": ("thorax", "upper_arm_r"),
    "elbow_l": ("upper_arm_l", "forearm_l"), "elbow_r": ("upper_arm_r", "forearm_r"),
    "wrist_l": ("forearm_l",), "wrist_r": ("forearm_r",),
    "pelvis": ("pelvis",), "hip_l": ("pelvis", "thigh_l"), "hip_r": ("pelvis", "thigh_r"),
    "knee_l": ("thigh_l", "shank_l"), "knee_r": ("thigh_r", "shank_r"),
    "ankle_l": ("shank_l", "foot_l"), "ankle_r": ("shank_r", "foot_r"),
    "spine_low": ("pelvis", "lumbar"), "spine_mid": ("lumbar", "thorax"),
}
_POINT_SEG_IDX = [np.array([SEG[s] for s in _POINT_SEGS[p]]) for p in SKELETON_POINTS]
_ANKLE_L = SKELETON_INDEX["ankle_l"]
_ANKLE_R = SKELETON_INDEX["ankle_r"]
# limb configurations tried when (re)initialising: (flexion, abduction[, knee/elbow]) radians
_LIMB_DOFS = {
    "arm_l": ("shoulder_l_flex", "shoulder_l_abd", "elbow_l_flex"),
    "arm_r": ("shoulder_r_flex", "shoulder_r_abd", "elbow_r_flex"),
    "leg_l": ("hip_l_flex", "hip_l_abd", "knee_l_flex"),
    "leg_r": ("hip_r_flex", "hip_r_abd", "knee_r_flex"),
}
_D = math.pi / 180
_LIMB_HYPOTHESES = {
    "arm": tuple((f * _D, a * _D, e * _D) for f, a, e in (
        (0, 6, 8), (0, 45, 8), (0, 90, 8), (0, 135, 8), (60, 10, 8), (95, 10, 8), (150, 10, 8),
        (40, 10, 90), (-30, 10, 8), (60, 45, 30), (25, -20, 15), (10, -15, 40),
        (0, 30, 40), (-30, 40, 40), (30, 30, 10), (120, 40, 20),
        (90, -25, 10), (120, -20, 10))),   # reaching across the body (a twisting toe touch)
    # both arms at once, hands together at the midline (a kettlebell's grip): swing heights
    "arms": tuple((f * _D, a * _D, e * _D) for f, a, e in (
        (15, -10, 10), (40, -8, 10), (70, -6, 10), (100, -5, 10), (-10, -10, 10))),
    "leg": tuple((f * _D, a * _D, k * _D) for f, a, k in (
        (0, 0, 0), (0, 15, 0), (0, 30, 0), (25, 5, 10), (-15, 5, 5), (60, 5, 60))),
}
# capsules used to estimate the build (radius scale): trunk and thighs, not hands/head
_BUILD_CAPS = ("pelvis", "abdomen", "chest_low", "chest_high", "thigh_l", "thigh_r")


@dataclass(frozen=True)
class TrackerConfig:
    max_points: int = 1500
    init_frames: int = 30
    init_iterations: int = 15
    track_iterations: int = 6
    min_points: int = 150
    lost_after_frames: int = 30
    diverged_residual_m: float = 0.045
    diverged_inlier_fraction: float = 0.5
    diverged_frames: int = 4              # (re-acquisition takes it up again in a few frames)
    upright_height_range_m: tuple[float, float] = (1.2, 2.3)
    upright_max_head_ratio: float = 0.14   # the top cap's horizontal extent / height
    upright_max_lean_ratio: float = 0.06   # head's horizontal offset from the hips / height
    upright_surface_ratio: float = 0.04    # extra allowance, head further from the camera
                                           # than the hips' visible surface (seen side-on)
    upright_radius_m: float = 0.45         # points this far from the head: not the person
    init_yaw_offsets_deg: tuple[float, ...] = (0.0, -35.0, 35.0)
    init_coarse_sigma_m: float = 0.08      # robust scale of the first (coarse) init fit
    anchor_max_height_ratio: float = 0.065  # ankles higher than this x stature: not standing
    anchor_max_pitch_rad: float = 0.35     # pelvis pitch beyond which anchors stay put
    anchor_rate: float = 0.03              # per frame: the feet anchors follow the fit slowly
    bar_min_points: int = 12               # points along the hands' line beyond the hands
    partial_cloud_fraction: float = 0.5    # fewer points than this x usual: coast this frame
    probe_iterations: int = 3              # one limb hypothesis per frame (0 = off)
    bar_on_frames: int = 6                 # support in this many frames in a row: a bar
    bar_keep_frames: int = 90              # frames without support before a bar is dropped
    held_min_points: int = 25              # points only a kettlebell / dumbbells explain
    start_frames: int = 2                  # upright and whole over this many frames (3 views)
    start_max_step_m: float = 0.10         # head moved less than this per frame (3 m/s):
                                           # the same person, walking in or standing
    start_walk_step_m: float = 0.03        # faster: walking, the heading is a facing hypothesis
    border_margin_px: int = 2              # a blob touching the image's side: not whole yet
    reseed_after_frames: int = 15          # poor fit this long while upright: start afresh
    reseed_residual_m: float = 0.024
    reseed_inlier_fraction: float = 0.8
    recover_inlier_drop: float = 0.08      # inlier fraction this far below usual: re-seed limbs
    recover_residual_m: float = 0.025
    recover_every_frames: int = 8          # at most one limb search per this many frames
    recover_max_every_frames: int = 64     # a search that finds nothing doubles the wait, to this
    search_per_frame: int = 1              # > 0: a limb search's hypotheses tried per frame
                                           # (spread over frames); 0: all in one frame
    search_per_frame_poor: int = 2         # the same when the fit is poor (measured: 5 gave
                                           # p99 13 ms and lost rdl_clean_top_cam for a while)
    recover_hidden_fraction: float = 0.7   # an arm this hidden (of its facing surface) is suspect
    velocity_factor: float = 0.7           # constant-velocity prediction, damped
    # re-acquisition: a track lost mid-set (occlusion, a fit that diverged) is taken up again
    # from the last good pose, in whatever pose the lifter is in, for this long after the loss
    # (after that, or for someone new, only an upright start)
    reacquire_window_frames: int = 300
    reacquire_per_frame: int = 2           # hypotheses fitted per frame while lost
    reacquire_pitches_deg: tuple[float, ...] = (0.0, 30.0, 55.0, 80.0)
    reacquire_inlier_fraction: float = 0.75  # (or the track's usual less recover_inlier_drop)
    reacquire_residual_m: float = 0.022
    # depth noise: the weights and residual thresholds are set for the noise of a D435 at
    # ~2.5 m (`noise_ref_m`, the depth image's own second-difference estimate); noisier
    # depth (further away, a worse unit) widens them: the data term's robust scale in
    # quadrature, the free-space margin and the residual thresholds by the excess
    noise_ref_m: float = 0.015
    noise_rate: float = 0.1                # per frame: the estimate's smoothing
    height_offset_m: float = 0.0           # blob top minus stature (hair, shoes), if known
    weights: FitWeights = field(default_factory=FitWeights)
    confidence: ConfidenceScales = field(default_factory=ConfidenceScales)


@dataclass
class TrackResult:
    tracked: bool
    skeleton: Skeleton | None
    state: str
    timings_ms: dict
    shape: dict | None
    residual_m: float = math.nan
    inlier_fraction: float = math.nan
    theta: np.ndarray | None = None
    # contract angle -> 0..1 (station.fit.confidence); None when not tracked
    angle_confidence: dict | None = None
    angle_sd: dict | None = None        # the constraint's standard deviations (deg; shift m)
    # which person: a new id at each upright start (a re-acquired track keeps its id)
    track_id: int = 0


def _upright_height(points_floor: np.ndarray, cfg: TrackerConfig,
                    person_height_m: float | None,
                    cam_pos_floor_m: np.ndarray | None = None) -> float | None:
    """Stature estimate when the blob looks like a person standing upright, else None.

    Upright = the top of the blob is head-sized (not the back or hips of someone bent over)
    and lies above the hips within `upright_max_lean_ratio` x height horizontally (about
    10 degrees of trunk lean). The head is the cap of points in the top 10 % within 0.25 m of
    the highest points (a hand raised to the side does not move it); only points within
    `upright_radius_m` of the head count as the hips, so a bar, plates or a kettlebell do not
    matter. Stance (feet apart, staggered) does not either.

    Both are visible surfaces, biased towards the camera by the body's half-thickness along
    the ray: a person seen side-on (walking in) shows the side of the hips, about 7 cm
    nearer the camera than the hip centre, and the narrower head only about 4 cm. With the
    camera position given, the head may lie `upright_surface_ratio` x height further from
    the camera than the hips on top of the lean allowance (a lean towards the camera, the
    hinge facing the mirror, gets none).
    """
    if len(points_floor) < cfg.min_points:
        return None
    z = points_floor[:, 2]
    h = float(person_height_m) if person_height_m else float(np.mean(np.sort(z)[-3:]))
    h -= cfg.height_offset_m
    lo, hi = cfg.upright_height_range_m
    if not (lo <= h <= hi):
        return None
    top_xy = points_floor[np.argsort(z)[-3:], :2].mean(axis=0)
    horiz = np.linalg.norm(points_floor[:, :2] - top_xy, axis=1)
    cap = points_floor[(z > 0.90 * h) & (horiz < 0.25)]
    if len(cap) < 5:
        return None
    head_xy = np.median(cap[:, :2], axis=0)
    xy = cap[:, :2] - head_xy
    _, evecs = np.linalg.eigh(xy.T @ xy)
    pr = xy @ evecs
    if float(np.max(np.percentile(pr, 98, axis=0) - np.percentile(pr, 2, axis=0))) > cfg.upright_max_head_ratio * h:
        return None
    near = np.linalg.norm(points_floor[:, :2] - head_xy, axis=1) < cfg.upright_radius_m
    hips = points_floor[near & (z > 0.50 * h) & (z < 0.62 * h)]
    if len(hips) < 15:
        return None
    lean = head_xy - np.median(hips[:, :2], axis=0)
    if cam_pos_floor_m is not None:
        ray = head_xy - np.asarray(cam_pos_floor_m, dtype=float)[:2]
        n = float(np.linalg.norm(ray))
        if n > 1e-6:
            ray /= n
            along = float(lean @ ray)     # > 0: the head further from the camera
            if along > 0:
                lean = lean - ray * min(along, cfg.upright_surface_ratio * h)
    if float(np.linalg.norm(lean)) > cfg.upright_max_lean_ratio * h:
        return None
    return h


def initial_pose(points_floor: np.ndarray, shape: Shape, radius_m: float = 0.45) -> np.ndarray:
    """An upright pose roughly placed on the cloud: position from the chest band below the
    head, yaw from the band's principal horizontal axis (assumed to face the camera's
    half-space). Points further than radius_m from the head's column (a bar's ends, plates)
    are ignored."""
    H = shape.height_m
    z = points_floor[:, 2]
    top = points_floor[z > 0.88 * H]
    if len(top) >= 5:
        head_xy = np.median(top[:, :2], axis=0)
        near = np.linalg.norm(points_floor[:, :2] - head_xy, axis=1) < radius_m
    else:
        near = np.ones(len(points_floor), dtype=bool)
    trunk = points_floor[near & (z > 0.55 * H) & (z < 0.80 * H)]
    if len(trunk) < 10:
        trunk = points_floor[near] if np.count_nonzero(near) >= 10 else points_floor
    xy = trunk[:, :2] - np.median(trunk[:, :2], axis=0)
    cov = xy.T @ xy / max(len(xy), 1)
    evals, evecs = np.linalg.eigh(cov)
    left = evecs[:, 1]
    if left[0] < 0:
        left = -left
    yaw = math.atan2(left[1], left[0]) - math.pi / 2
    fwd = np.array([math.cos(yaw), math.sin(yaw)])
    # lateral centre: the middle of the band's extent; depth: its front surface + a half body
    lat = xy @ left
    c = np.median(trunk[:, :2], axis=0) + left * 0.5 * float(np.percentile(lat, 95) + np.percentile(lat, 5))
    centre = c - fwd * 0.05 * H  # the visible surface is in front of the joint centres
    return neutral_pose(shape, x_m=float(centre[0]), y_m=float(centre[1]), yaw_rad=yaw)


class Tracker:
    """Skeleton tracking over a stream of PersonClouds (see module docstring)."""

    def __init__(self, config: TrackerConfig | None = None, shape: Shape | None = None):
        self.config = config or TrackerConfig()
        self._fixed_shape = shape
        self.track_id = 0
        self.reset()

    def reset(self) -> None:
        self.state = "searching"
        self.body: BodyModel | None = None
        self.theta: np.ndarray | None = None
        self.theta_prev: np.ndarray | None = None
        self._missing = 0
        self._bad = 0
        self._init_count = 0
        self._heights: list[float] = []
        self._build_ratios: list[float] = []
        self._ws = Workspace()
        self._conf_ws = Workspace()
        self.anchors: np.ndarray | None = None
        self._bar = False
        self._bar_miss = 0
        self._bar_seen = 0
        self._probe_i = 0
        self._reseeded: set = set()
        self._n_ref = 0.0
        self._held: str | None = None        # "kettlebell" / "dumbbells" for this track
        self._held_votes: dict = {}
        self._since_search = 0
        self._search_every = self.config.recover_every_frames
        self._suspect_poor = False
        self._search_poor = False
        self._search: list = []              # (limb, hypothesis) still to try, in order
        self._noise_m: float | None = None
        self._weights = self.config.weights   # for the current depth noise
        self._extra_resid_m = 0.0
        self._inlier_ref = 1.0
        self._heads: list = []
        self._poor = 0
        self._last_good: tuple | None = None   # (theta, cloud centroid xy, anchors, held, bar)
        self._lost_frames = 0
        self._reacq: list = []                  # hypotheses still to try this cycle

    @property
    def shape(self) -> Shape | None:
        return self.body.shape if self.body is not None else None

    # -- helpers -----------------------------------------------------------------------------
    def _result(self, tracked, skeleton, timings, fit: FitResult | None = None,
                conf: FitConfidence | None = None) -> TrackResult:
        return TrackResult(
            tracked=tracked, skeleton=skeleton, state=self.state, timings_ms=timings,
            shape=self.body.shape.as_dict() if self.body is not None else None,
            residual_m=fit.mean_abs_residual_m if fit else math.nan,
            inlier_fraction=fit.inlier_fraction if fit else math.nan,
            theta=None if self.theta is None else self.theta.copy(),
            angle_confidence=None if conf is None else conf.angles,
            angle_sd=None if conf is None else conf.angle_sd, track_id=self.track_id)

    def _confidence(self, fit: FitResult) -> FitConfidence:
        """Joint and angle confidence (station.fit.confidence) of the frame's final fit."""
        body = self.body
        ws = self._conf_ws
        K.forward_kinematics(fit.theta, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS,
                             ws.seg_R, ws.seg_t, ws.twist)
        info = fit.info if fit.info is not None else np.zeros((len(fit.theta), len(fit.theta)))
        conf = fit_confidence(fit.points_floor_m, body.point_seg, ws.twist, info,
                              fit.seg_visibility, _POINT_SEG_IDX, fit.inlier_fraction,
                              fit.mean_abs_residual_m, self.config.confidence,
                              self._extra_resid_m)
        if self.state == "initialising":
            # the shape is still being estimated
            conf.joints *= 0.8
            conf.angles = {k: 0.8 * v for k, v in conf.angles.items()}
        return conf

    def _skeleton(self, fit: FitResult, frame: FrameData, conf: FitConfidence) -> Skeleton:
        T_cam_floor = invert(frame.T_floor_cam)
        return Skeleton(points_cam_m=apply(T_cam_floor, fit.points_floor_m),
                        confidence=conf.joints)

    def _collect_build(self, frame: FrameData) -> None:
        """Median signed distance of trunk/thigh points to their capsules -> radius scale."""
        body = self.body
        from station.fit.solver import _posed
        ca, cb = _posed(body, self.theta, self._ws)
        n = len(frame.points_floor_m)
        idx = np.empty(n, dtype=np.int32)
        dist = np.empty(n)
        nrm = np.empty((n, 3))
        K.nearest_capsule(frame.points_floor_m, ca, cb, body.cap_ra, body.cap_rb, idx, dist, nrm)
        caps = [body.cap_names.index(c) for c in _BUILD_CAPS]
        sel = np.isin(idx, caps) & (np.abs(dist) < 0.06)
        # the sides (the silhouette's edges: surface normal across the camera ray) measure
        # the radius; the front does not, as the pose shifts the model onto it (a thick
        # person fitted thin is placed too near the camera)
        ray = frame.points_floor_m - frame.cam_pos_floor_m
        ray /= np.maximum(np.linalg.norm(ray, axis=1, keepdims=True), 1e-9)
        side = sel & (np.abs(np.sum(ray * nrm, axis=1)) < 0.5)
        if np.sum(side) >= 30:
            sel = side
        elif np.sum(sel) < 50:
            return
        r_mean = float(np.mean((body.cap_ra[caps] + body.cap_rb[caps]) / 2))
        self._build_ratios.append(body.shape.build * (1.0 + float(np.median(dist[sel])) / r_mean))

    def _start(self, frame: FrameData, height_m: float) -> FitResult:
        """Place an upright model on the blob: a few facing directions, each fitted with a
        wide robust scale first (coarse), the best by energy refined at the normal scale."""
        cfg = self.config
        shape = self._fixed_shape or Shape(height_m=height_m)
        self.body = build_body(shape)
        base = initial_pose(frame.points_floor_m, shape)
        w = self._weights
        coarse = replace(w, data_sigma_m=cfg.init_coarse_sigma_m,
                         data_gate_m=max(w.data_gate_m, 3 * cfg.init_coarse_sigma_m))
        self._bar = self._bar_present(frame, base)
        self._held = None
        self._held_votes = {}
        self._search = []
        self._search_every = cfg.recover_every_frames
        best = None
        yaws = [base[DOF["root_yaw"]] + math.radians(d) for d in cfg.init_yaw_offsets_deg]
        heading = self._walk_heading()
        if heading is not None:
            yaws.append(heading)     # someone walking in faces where they are going
        for yaw in yaws:
            th = base.copy()
            th[DOF["root_yaw"]] = yaw
            r = fit_frame(self.body, frame, th, None, coarse, n_iter=6, ws=self._ws, bar=self._bar)
            r = fit_frame(self.body, frame, r.theta, None, w, n_iter=4, ws=self._ws, bar=self._bar)
            if best is None or r.energy < best.energy:
                best = r
        self.theta = self._limb_search(frame, best.theta, None)
        if not self._bar:
            self._held = self._choose_held(frame, self.theta)
        self.theta_prev = None
        self.anchors = None
        self._heights = [height_m]
        self._build_ratios = []
        self._init_count = 0
        self._bad = 0
        self.state = "initialising"
        return fit_frame(self.body, frame, self.theta, None, w,
                         n_iter=cfg.init_iterations, ws=self._ws, implement=self.implement)

    def _walk_heading(self) -> float | None:
        """The yaw of the head's motion over the start frames when it moves at a walking
        pace (more than `start_walk_step_m` per frame), else None."""
        hist = self._heads
        if len(hist) < 2:
            return None
        d = np.asarray(hist[-1]) - np.asarray(hist[0])
        if float(np.linalg.norm(d)) < self.config.start_walk_step_m * (len(hist) - 1):
            return None
        return math.atan2(float(d[1]), float(d[0]))

    def _limb_search(self, frame: FrameData, theta: np.ndarray, theta_pred: np.ndarray | None,
                     limbs: tuple[str, ...] = ("arm_l", "arm_r", "leg_l", "leg_r"),
                     n_iter: int = 6) -> np.ndarray:
        """Try a few standard configurations of each limb in turn (the rest of the pose
        fixed), each refined by a couple of LM steps; keep what lowers the energy. Escapes
        the local minima of limbs far from where the previous pose put them (an arm raised
        to the side at the start, an arm swung fast)."""
        w = self._weights
        kw = dict(ws=self._ws, implement=self.implement, anchors_floor_m=self.anchors)
        cur = fit_frame(self.body, frame, theta, theta_pred, w, n_iter=0, **kw)
        # with a bar, a hypothesis must keep the bar where its evidence is (a bar that does
        # not pull can otherwise be swung through the body to "explain" it)
        bar_need = (0.5 * bar_support(self.body, theta, frame.points_floor_m, self._ws, w)
                    if self._bar else 0.0)
        for limb in limbs:
            e_cur = None   # the current pose's energy without this limb's temporal term
            for vals in _LIMB_HYPOTHESES["arms" if limb == "arms" else limb[:3]]:
                r, e_cur = self._try_limb(frame, cur, theta_pred, limb, vals, n_iter, bar_need,
                                          e_cur)
                if r is not None:
                    cur, e_cur = r, None
        return cur.theta

    def _try_limb(self, frame: FrameData, cur: FitResult, pred: np.ndarray | None, limb: str,
                  vals: tuple, n_iter: int, bar_need: float = 0.0,
                  e_cur: float | None = None) -> tuple[FitResult | None, float]:
        """Fit `cur` with one limb set to a hypothesis; (the fit if it lowers the energy
        else None, cur's comparable energy: pass it back for the same limb and cur).

        The limb's own DOFs are left out of the temporal term on both sides of the
        comparison: the hypothesis is a re-seed, not a motion, and an arm that really
        swung 2 rad since the last frame would otherwise never be taken back (the temporal
        cost of the jump outweighs the points it explains). Re-seeded DOFs are remembered
        (self._reseeded) so that their velocity is reset."""
        w = self._weights
        kw = dict(ws=self._ws, implement=self.implement, anchors_floor_m=self.anchors)
        idx = [DOF[d] for part in (("arm_l", "arm_r") if limb == "arms" else (limb,))
               for d in _LIMB_DOFS[part]]
        th = cur.theta.copy()
        th[idx] = np.tile(vals, len(idx) // len(vals))
        if pred is not None:
            pred_h = pred.copy()
            pred_h[idx] = th[idx]
            if e_cur is None:
                pred_c = pred.copy()
                pred_c[idx] = cur.theta[idx]
                e_cur = fit_frame(self.body, frame, cur.theta, pred_c, w, n_iter=0, **kw).energy
        else:
            pred_h, e_cur = None, cur.energy
        r = fit_frame(self.body, frame, th, pred_h, w, n_iter=n_iter, **kw)
        if r.energy >= e_cur:
            return None, e_cur
        if self._bar and bar_support(self.body, r.theta, frame.points_floor_m, self._ws,
                                     w) < bar_need:
            return None, e_cur
        self._reseeded.update(idx)
        return r, e_cur

    def _probe(self, frame: FrameData, fit: FitResult, pred: np.ndarray) -> FitResult:
        """One limb hypothesis per frame, in turn (arms, legs; both arms together when a
        kettlebell is held), kept when it lowers the energy: a limb stuck in a wrong local
        minimum (parked behind the torso, swung past its points) is found again within about
        a second, at a steady small cost per frame instead of a costly search now and then."""
        probes = self._probes()
        limb, vals = probes[self._probe_i % len(probes)]
        self._probe_i += 1
        need = (0.5 * bar_support(self.body, fit.theta, frame.points_floor_m, self._ws,
                                  self._weights) if self._bar else 0.0)
        r, _ = self._try_limb(frame, fit, pred, limb, vals, self.config.probe_iterations, need)
        return fit if r is None else r

    def _adapt_to_noise(self, frame: FrameData) -> None:
        """Smoothed depth-noise estimate -> this frame's weights and residual thresholds."""
        cfg = self.config
        n = depth_noise_m(frame.depth_m, frame.mask)
        if not math.isfinite(n):
            return
        self._noise_m = n if self._noise_m is None else self._noise_m + cfg.noise_rate * (n - self._noise_m)
        w = cfg.weights
        excess = max(0.0, self._noise_m - cfg.noise_ref_m)
        if excess <= 0.0:
            self._weights, self._extra_resid_m = w, 0.0
            return
        sigma = math.sqrt(w.data_sigma_m ** 2 + self._noise_m ** 2 - cfg.noise_ref_m ** 2)
        self._weights = replace(w, data_sigma_m=sigma,
                                data_gate_m=w.data_gate_m * sigma / w.data_sigma_m,
                                depth_margin_m=w.depth_margin_m + 2.0 * excess)
        self._extra_resid_m = 0.8 * excess     # mean |residual| of a Gaussian: 0.8 sigma

    def _search_step(self, frame: FrameData, fit: FitResult, pred: np.ndarray) -> FitResult:
        """The next `search_per_frame` hypotheses of the pending limb search, each kept when
        it lowers the energy (a limb search of all four limbs, ~50 hypotheses, takes about
        25 frames; it used to take 50-150 ms in one frame)."""
        cfg = self.config
        need = (0.5 * bar_support(self.body, fit.theta, frame.points_floor_m, self._ws,
                                  self._weights) if self._bar else 0.0)
        e_cur, last = None, None
        per = cfg.search_per_frame_poor if self._search_poor else cfg.search_per_frame
        for _ in range(min(per, len(self._search))):
            limb, vals = self._search.pop(0)
            if limb != last:
                e_cur, last = None, limb
            r, e_cur = self._try_limb(frame, fit, pred, limb, vals, 3, need, e_cur)
            if r is not None:
                fit, e_cur = r, None
        return fit

    def _probes(self) -> list:
        out = []
        for limb in ("arm_l", "arm_r", "leg_l", "leg_r"):
            out += [(limb, v) for v in _LIMB_HYPOTHESES[limb[:3]]]
        if self._held == "kettlebell":
            out += [("arms", v) for v in _LIMB_HYPOTHESES["arms"]] * 2
        return out

    def _ready_to_start(self, frame: FrameData, cloud: PersonCloud, h: float) -> bool:
        """Upright and whole (not cut by the image's sides) over a few frames in a row, the
        head moving no more than a walking pace between them: someone walking into the zone
        starts as they arrive (the feet anchors are only set once tracking, about a second
        later, from feet on the floor), a blob that jumps (another person, a segmentation
        glitch) does not."""
        cfg = self.config
        u = cloud.pixels_uv[:, 0]
        w = cloud.mask.shape[1]
        z = frame.points_floor_m[:, 2]
        head = np.median(frame.points_floor_m[z > 0.9 * h, :2], axis=0)
        whole = len(u) > 0 and u.min() >= cfg.border_margin_px and u.max() < w - cfg.border_margin_px
        hist = self._heads
        step_ok = bool(hist) and float(np.linalg.norm(head - hist[-1])) < cfg.start_max_step_m
        if not (whole and (step_ok or cfg.start_frames == 0)):
            hist.clear()
            if not whole:
                return False
        hist.append(head)
        del hist[:-(cfg.start_frames + 1)]
        return len(hist) >= cfg.start_frames + 1

    def _suspect_limbs(self, fit: FitResult) -> tuple[str, ...]:
        """Limbs worth re-seeding: all when the fit explains the cloud poorly; an arm whose
        camera-facing surface is almost all hidden behind observed points (an arm 'parked'
        behind the torso while its points are explained by something else)."""
        cfg = self.config
        # relative to this track's usual inlier fraction: plates, a bench or a rack in the
        # blob lower it for good, and that is no reason to search
        self._suspect_poor = (fit.inlier_fraction < self._inlier_ref - cfg.recover_inlier_drop
                              or fit.mean_abs_residual_m > cfg.recover_residual_m + self._extra_resid_m)
        if self._suspect_poor:
            if self._held == "kettlebell":   # both hands on the handle: move them together
                return ("arms", "arm_l", "arm_r", "leg_l", "leg_r")
            return ("arm_l", "arm_r", "leg_l", "leg_r")
        vis = fit.seg_visibility
        out = []
        for limb, seg in (("arm_l", "forearm_l"), ("arm_r", "forearm_r")):
            facing, _, occluded, _ = vis[SEG[seg]]
            if facing >= 5 and occluded > cfg.recover_hidden_fraction * facing:
                out.append(limb)
        if out and self._held == "kettlebell":
            out.insert(0, "arms")
        return tuple(out)

    @property
    def implement(self) -> str | None:
        """The implement modelled in the hands: a bar when one is seen this frame, else the
        kettlebell or dumbbells found while initialising (kept for the track: it is the arms
        that locate them, and a lost arm would lose the evidence)."""
        return "bar" if self._bar else self._held

    def _held_vote(self, frame: FrameData, theta: np.ndarray) -> str | None:
        """Which hand-held implement (if any) explains the most points the body does not."""
        best, best_n = None, self.config.held_min_points - 1
        for imp in ("kettlebell", "dumbbells"):
            n = implement_support(self.body, theta, frame.points_floor_m, self._ws, imp,
                                  self._weights)
            if n > best_n:
                best, best_n = imp, n
        return best

    def _choose_held(self, frame: FrameData, theta: np.ndarray) -> str | None:
        """Fit each hand-held implement (arms from the current pose and from a two-handed
        grip) and keep the one that lowers the energy most, if it explains enough points the
        body alone does not."""
        cfg = self.config
        kw = dict(ws=self._ws, anchors_floor_m=self.anchors)
        none = fit_frame(self.body, frame, theta, None, self._weights, n_iter=0, **kw)
        best, best_E, best_theta = None, none.energy, theta
        for imp in ("kettlebell", "dumbbells"):
            self._held = imp
            th = self._limb_search(frame, theta, None, limbs=("arms",) if imp == "kettlebell"
                                   else ("arm_l", "arm_r"), n_iter=4)
            r = fit_frame(self.body, frame, th, None, self._weights, n_iter=4, implement=imp, **kw)
            if (r.energy < best_E and implement_support(self.body, r.theta, frame.points_floor_m,
                                                        self._ws, imp, self._weights)
                    >= cfg.held_min_points):
                best, best_E, best_theta = imp, r.energy, r.theta
        self._held = best
        self.theta = best_theta
        return best

    def _update_bar(self, frame: FrameData, theta: np.ndarray) -> None:
        """The bar, once seen, stays for `bar_keep_frames` frames without support: its support
        is measured from the hands, and a hand that strays would otherwise lose the bar, and
        then the bar's points (40 % of the cloud with plates) pull the body apart."""
        cfg = self.config
        if self._held is not None:
            self._bar = False
            return
        if self._bar_present(frame, theta):
            # switched on only after a few frames in a row (or from the start): arms fitted
            # wrong can line up body points for a frame or two
            self._bar_seen += 1
            if self._bar or self._bar_seen >= cfg.bar_on_frames or self.state == "initialising":
                self._bar = True
            self._bar_miss = 0
        else:
            self._bar_seen = 0
            self._bar_miss += 1
            if self._bar_miss > cfg.bar_keep_frames:
                self._bar = False

    def _bar_present(self, frame: FrameData, theta: np.ndarray) -> bool:
        return bar_support(self.body, theta, frame.points_floor_m, self._ws,
                           self._weights) >= self.config.bar_min_points

    def _update_anchors(self, fit: FitResult) -> None:
        ank = fit.points_floor_m[[_ANKLE_L, _ANKLE_R]]
        if self.anchors is None:
            # only from feet on the floor: a foot fitted in the air would be held there
            if float(ank[:, 2].max()) > self.config.anchor_max_height_ratio * self.body.shape.height_m:
                return
            self.anchors = ank.copy()
        else:
            self.anchors += self.config.anchor_rate * (ank - self.anchors)

    def _finish_init(self, frame: FrameData) -> None:
        if self._fixed_shape is None:
            H = float(np.median(self._heights))
            b = float(np.clip(np.median(self._build_ratios), 0.75, 1.5)) if self._build_ratios else 1.0
            old = self.body
            self.body = build_body(Shape(height_m=H, build=b))
            # keep the pose; the root height follows the new leg length
            self.theta = self.theta.copy()
            self.theta[DOF["root_tz"]] += (self.body.seg_offset[SEG["foot_l"], 2]
                                           - old.seg_offset[SEG["foot_l"], 2]
                                           + self.body.seg_offset[SEG["shank_l"], 2]
                                           - old.seg_offset[SEG["shank_l"], 2]) * -1.0
        self.theta_prev = None
        self.state = "tracking"

    # -- losing and re-acquiring a track ----------------------------------------------------------
    def _lose(self) -> None:
        self.state = "lost"
        self._lost_frames = 0
        self._reacq = []
        self.theta_prev = None
        self._search = []

    def _good(self, fit: FitResult) -> bool:
        """A fit good enough to restart from."""
        cfg = self.config
        return (fit.mean_abs_residual_m <= cfg.reacquire_residual_m + self._extra_resid_m
                and fit.inlier_fraction >= min(cfg.reacquire_inlier_fraction,
                                               self._inlier_ref - cfg.recover_inlier_drop))

    def _reacquire_hypotheses(self, frame: FrameData) -> list:
        """Poses to restart from: the last good pose moved with the cloud's centroid, as it
        was and with the trunk pitched to a few hinge depths (the thighs kept where they
        were: a hinge turns the pelvis over the hips), the limbs as they were."""
        cfg = self.config
        theta, c_xy, _, _, _ = self._last_good
        base = theta.copy()
        d = frame.points_floor_m[:, :2].mean(axis=0) - c_xy
        base[DOF["root_tx"]] += float(d[0])
        base[DOF["root_ty"]] += float(d[1])
        hyps = [base, theta.copy()]
        p0 = float(theta[DOF["root_pitch"]])
        for deg in cfg.reacquire_pitches_deg:
            th = base.copy()
            p = math.radians(deg)
            th[DOF["root_pitch"]] = p
            for side in ("l", "r"):
                th[DOF[f"hip_{side}_flex"]] += p - p0
            hyps.append(th)
        return hyps

    def _reacquire(self, frame: FrameData) -> FitResult | None:
        """Try the next few restart poses (_reacquire_hypotheses, cycled over frames); the
        first whose fit explains the cloud as well as a good track does is taken: tracking
        resumes with the same body, implement and feet, and a limb search follows."""
        cfg = self.config
        _, _, anchors, held, bar = self._last_good
        if not self._reacq:
            self._reacq = self._reacquire_hypotheses(frame)
        self._held, self._bar = held, bar
        w = self._weights
        coarse = replace(w, data_sigma_m=cfg.init_coarse_sigma_m,
                         data_gate_m=max(w.data_gate_m, 3 * cfg.init_coarse_sigma_m))
        best = None
        for _ in range(min(cfg.reacquire_per_frame, len(self._reacq))):
            th = self._reacq.pop(0)
            r = fit_frame(self.body, frame, th, None, coarse, n_iter=4, ws=self._ws,
                          anchors_floor_m=anchors, implement=self.implement)
            r = fit_frame(self.body, frame, r.theta, None, w, n_iter=4, ws=self._ws,
                          anchors_floor_m=anchors, implement=self.implement)
            if best is None or r.energy < best.energy:
                best = r
        if best is None or not self._good(best):
            return None
        self.state = "tracking"
        self.anchors = anchors
        self.theta = best.theta
        self.theta_prev = None
        self._reacq = []
        self._bad = self._poor = 0
        # the limbs may be anywhere: search them over the next frames
        self._search = [(limb, v) for limb in ("arm_l", "arm_r", "leg_l", "leg_r")
                        for v in _LIMB_HYPOTHESES[limb[:3]]]
        self._search_poor = True
        return best

    # -- the public step -------------------------------------------------------------------------
    def update(self, cloud: PersonCloud | None, person_height_m: float | None = None) -> TrackResult:
        cfg = self.config
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        if cloud is None or len(cloud.points_cam_m) < cfg.min_points:
            self._missing += 1
            if self.state == "lost":
                self._lost_frames += 1
            if self.state in ("tracking", "initialising") and self._missing >= cfg.lost_after_frames:
                self._lose()
            self.theta_prev = None  # velocity unknown after a gap
            timings["total"] = (time.perf_counter() - t0) * 1e3
            return self._result(False, None, timings)
        frame = prepare_frame(cloud, cfg.max_points)
        self._adapt_to_noise(frame)
        t1 = time.perf_counter()
        timings["prepare"] = (t1 - t0) * 1e3

        partial = False
        pred = None
        self._reseeded = set()
        if self.state in ("searching", "lost"):
            fit = None
            if self.state == "lost":
                self._lost_frames += 1
                if self._last_good is not None and self._lost_frames <= cfg.reacquire_window_frames:
                    fit = self._reacquire(frame)
            if fit is None:
                h = _upright_height(frame.points_floor_m, cfg, person_height_m, frame.cam_pos_floor_m)
                if h is None:
                    self._heads.clear()       # upright in consecutive frames only
                if h is None or not self._ready_to_start(frame, cloud, h):
                    timings["total"] = (time.perf_counter() - t0) * 1e3
                    return self._result(False, None, timings)
                self.track_id += 1            # a new person (or the same, started afresh)
                fit = self._start(frame, h)
            self._missing = 0
        else:
            if self._missing >= cfg.lost_after_frames:
                self._lose()
                return self.update(cloud, person_height_m)
            self._missing = 0
            if self.theta_prev is not None:
                pred = self.theta + cfg.velocity_factor * (self.theta - self.theta_prev)
            else:
                pred = self.theta.copy()
            n_iter = cfg.track_iterations
            if self.state == "initialising":
                h = _upright_height(frame.points_floor_m, cfg, person_height_m, frame.cam_pos_floor_m)
                if h is not None:
                    self._heights.append(h)
                n_iter = max(n_iter, 8)
            anchors = self.anchors if self.state == "tracking" else None
            n_now = len(frame.points_floor_m)
            partial = (self.state == "tracking" and self._n_ref > 0
                       and n_now < cfg.partial_cloud_fraction * self._n_ref)
            if partial:
                # a cloud suddenly much smaller than usual (the segmenter lost part of the
                # person for a frame): fitting the rest folds the body onto it. Coast on the
                # prediction instead.
                fit = fit_frame(self.body, frame, pred, pred, self._weights, n_iter=0, ws=self._ws,
                                anchors_floor_m=anchors, implement=self.implement)
            else:
                self._update_bar(frame, pred)
                fit = fit_frame(self.body, frame, pred, pred, self._weights, n_iter=n_iter, ws=self._ws,
                                anchors_floor_m=anchors, implement=self.implement)
                self._n_ref = (n_now if self._n_ref <= 0
                               else self._n_ref + 0.1 * (n_now - self._n_ref))
        t2 = time.perf_counter()
        timings["fit"] = (t2 - t1) * 1e3
        if (self.state in ("tracking", "initialising") and not partial and pred is not None
                and cfg.search_per_frame <= 0 and self._since_search >= self._search_every):
            limbs = self._suspect_limbs(fit)
            if limbs:
                th = self._limb_search(frame, fit.theta, pred, limbs=limbs, n_iter=3)
                # a search for a hidden forearm that found nothing is not repeated as
                # often: the forearms stay hidden under the torso seen from a high camera
                # through every hinge, and each search costs 50-150 ms. A poor fit is
                # searched at the normal rate.
                self._search_every = (min(2 * self._search_every, cfg.recover_max_every_frames)
                                      if np.array_equal(th, fit.theta) and not self._suspect_poor
                                      else cfg.recover_every_frames)
                if not np.array_equal(th, fit.theta):
                    pred2 = pred.copy()
                    ix = sorted(self._reseeded)
                    pred2[ix] = th[ix]
                    fit = fit_frame(self.body, frame, th, pred2, self._weights, n_iter=2,
                                    ws=self._ws, anchors_floor_m=self.anchors,
                                    implement=self.implement)
                self._since_search = 0
                t2 = time.perf_counter()
                timings["fit"] = (t2 - t1) * 1e3
        if self.state in ("tracking", "initialising") and not partial:
            if (cfg.search_per_frame > 0 and pred is not None and not self._search
                    and self._since_search >= cfg.recover_every_frames):
                limbs = self._suspect_limbs(fit)
                self._search = [(limb, v) for limb in limbs
                                for v in _LIMB_HYPOTHESES["arms" if limb == "arms" else limb[:3]]]
                self._search_poor = self._suspect_poor
            if self._search and pred is not None:
                fit = self._search_step(frame, fit, pred)
                self._since_search = 0 if not self._search else -1
            if cfg.probe_iterations > 0:
                fit = self._probe(frame, fit, pred)
            t2 = time.perf_counter()
            timings["fit"] = (t2 - t1) * 1e3
        self._since_search += 1
        if partial:
            pass
        elif self.state == "tracking":
            self._inlier_ref += 0.05 * (fit.inlier_fraction - self._inlier_ref)
        else:
            self._inlier_ref = fit.inlier_fraction
        self.theta_prev = self.theta.copy() if self.state == "tracking" else None
        if self.theta_prev is not None and self._reseeded:
            ix = sorted(self._reseeded)      # re-seeded limbs: no velocity to extrapolate
            self.theta_prev[ix] = fit.theta[ix]
        self.theta = fit.theta

        if self.state == "initialising":
            self._init_count += 1
            self._collect_build(frame)

            if self._init_count >= cfg.init_frames:
                self._finish_init(frame)
        elif (self.state == "tracking" and not partial
              and abs(fit.theta[DOF["root_pitch"]]) < cfg.anchor_max_pitch_rad):
            # the feet anchors follow the fit only while the trunk is nearly upright: bent
            # over, the fitted ankles are pulled about by the hinge and the anchors would
            # drift with them
            self._update_anchors(fit)
        # a poor fit for a while, and the person stands upright: start afresh
        if self.state == "tracking" and not partial:
            # inliers relative to this track's usual too: a barbell's plates are never
            # explained, and would otherwise re-seed every few seconds of standing
            poor = (fit.mean_abs_residual_m > cfg.reseed_residual_m + self._extra_resid_m
                    or fit.inlier_fraction < min(cfg.reseed_inlier_fraction,
                                                 self._inlier_ref - cfg.recover_inlier_drop))
            self._poor = self._poor + 1 if poor else 0
            if self._poor >= cfg.reseed_after_frames:
                h = _upright_height(frame.points_floor_m, cfg, person_height_m, frame.cam_pos_floor_m)
                if h is not None:
                    self._poor = 0
                    fit = self._start(frame, h)
                    self.theta = fit.theta
        if self.state == "tracking" and not partial and self._good(fit):
            self._last_good = (fit.theta.copy(), frame.points_floor_m[:, :2].mean(axis=0),
                               None if self.anchors is None else self.anchors.copy(),
                               self._held, self._bar)
        # divergence
        if (fit.mean_abs_residual_m > cfg.diverged_residual_m + self._extra_resid_m
                or fit.inlier_fraction < cfg.diverged_inlier_fraction):
            self._bad += 1
        else:
            self._bad = 0
        if self._bad >= cfg.diverged_frames:
            self._lose()
            self._bad = 0
            timings["total"] = (time.perf_counter() - t0) * 1e3
            return self._result(False, None, timings, fit)
        t3 = time.perf_counter()
        conf = self._confidence(fit)
        skel = self._skeleton(fit, frame, conf)
        t4 = time.perf_counter()
        timings["confidence"] = (t4 - t3) * 1e3
        timings["total"] = (t4 - t0) * 1e3
        return self._result(True, skel, timings, fit, conf)
