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
                diverged (residual too high / too few points explained for `diverged_frames`);
                re-initialises as soon as an upright person is seen again
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from station.fit import _kernels as K
from station.fit.body_model import (
    DOF, N_DOF, SEG, BodyModel, Shape, build_body, neutral_pose,
)
from station.fit.solver import FitResult, FitWeights, FrameData, Workspace, fit_frame, prepare_frame
from station.frames import apply, invert
from station.model import SKELETON_POINTS, PersonCloud, Skeleton

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
    diverged_frames: int = 10
    upright_height_range_m: tuple[float, float] = (1.2, 2.3)
    upright_max_depth_ratio: float = 0.42  # horizontal extent / height of an upright blob
    velocity_factor: float = 0.7           # constant-velocity prediction, damped
    height_offset_m: float = 0.0           # blob top minus stature (hair, shoes), if known
    weights: FitWeights = field(default_factory=FitWeights)


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


def _upright_height(points_floor: np.ndarray, cfg: TrackerConfig,
                    person_height_m: float | None) -> float | None:
    """Stature estimate when the blob looks like a person standing upright, else None."""
    if len(points_floor) < cfg.min_points:
        return None
    z = points_floor[:, 2]
    h = float(person_height_m) if person_height_m else float(np.mean(np.sort(z)[-3:]))
    h -= cfg.height_offset_m
    lo, hi = cfg.upright_height_range_m
    if not (lo <= h <= hi):
        return None
    xy = points_floor[:, :2]
    extent = np.percentile(xy, 98, axis=0) - np.percentile(xy, 2, axis=0)
    if float(np.max(extent)) > cfg.upright_max_depth_ratio * h:
        return None
    # most of the mass above the knees, and the top is near the centre (not bent over)
    top = points_floor[z > 0.8 * h]
    if len(top) < 5:
        return None
    if np.linalg.norm(np.median(top[:, :2], 0) - np.median(xy, 0)) > 0.25 * h:
        return None
    return h


def initial_pose(points_floor: np.ndarray, shape: Shape) -> np.ndarray:
    """An upright pose roughly placed on the cloud: position from the hip band, yaw from the
    principal horizontal axis of the trunk (assumed to face the camera's half-space)."""
    H = shape.height_m
    z = points_floor[:, 2]
    trunk = points_floor[(z > 0.55 * H) & (z < 0.80 * H)]
    hips = points_floor[(z > 0.45 * H) & (z < 0.62 * H)]
    if len(trunk) < 10:
        trunk = points_floor
    if len(hips) < 10:
        hips = points_floor
    c = np.median(hips[:, :2], axis=0)
    xy = trunk[:, :2] - np.median(trunk[:, :2], axis=0)
    cov = xy.T @ xy / max(len(xy), 1)
    evals, evecs = np.linalg.eigh(cov)
    left = evecs[:, 1]
    if left[0] < 0:
        left = -left
    yaw = math.atan2(left[1], left[0]) - math.pi / 2
    fwd = np.array([math.cos(yaw), math.sin(yaw)])
    centre = c - fwd * 0.05 * H  # the visible surface is in front of the joint centres
    return neutral_pose(shape, x_m=float(centre[0]), y_m=float(centre[1]), yaw_rad=yaw)


class Tracker:
    """Skeleton tracking over a stream of PersonClouds (see module docstring)."""

    def __init__(self, config: TrackerConfig | None = None, shape: Shape | None = None):
        self.config = config or TrackerConfig()
        self._fixed_shape = shape
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

    @property
    def shape(self) -> Shape | None:
        return self.body.shape if self.body is not None else None

    # -- helpers -----------------------------------------------------------------------------
    def _result(self, tracked, skeleton, timings, fit: FitResult | None = None) -> TrackResult:
        return TrackResult(
            tracked=tracked, skeleton=skeleton, state=self.state, timings_ms=timings,
            shape=self.body.shape.as_dict() if self.body is not None else None,
            residual_m=fit.mean_abs_residual_m if fit else math.nan,
            inlier_fraction=fit.inlier_fraction if fit else math.nan,
            theta=None if self.theta is None else self.theta.copy())

    def _confidence(self, fit: FitResult) -> np.ndarray:
        vis = fit.seg_visibility
        facing = vis[:, 0]
        seg_conf = np.where(facing > 0, vis[:, 1] / np.maximum(facing, 1.0), 0.0)
        cfg = self.config
        quality = float(np.clip((fit.inlier_fraction - 0.4) / 0.5, 0.0, 1.0)
                        * np.clip(1.0 - (fit.mean_abs_residual_m - 0.015) / cfg.diverged_residual_m,
                                  0.0, 1.0))
        conf = np.array([float(np.mean(seg_conf[i])) for i in _POINT_SEG_IDX]) * quality
        if self.state == "initialising":
            conf *= 0.8
        return np.clip(conf, 0.0, 1.0)

    def _skeleton(self, fit: FitResult, frame: FrameData) -> Skeleton:
        T_cam_floor = invert(frame.T_floor_cam)
        return Skeleton(points_cam_m=apply(T_cam_floor, fit.points_floor_m),
                        confidence=self._confidence(fit))

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
        if np.sum(sel) < 50:
            return
        r_mean = float(np.mean((body.cap_ra[caps] + body.cap_rb[caps]) / 2))
        self._build_ratios.append(body.shape.build * (1.0 + float(np.median(dist[sel])) / r_mean))

    def _start(self, frame: FrameData, height_m: float) -> FitResult:
        shape = self._fixed_shape or Shape(height_m=height_m)
        self.body = build_body(shape)
        self.theta = initial_pose(frame.points_floor_m, shape)
        self.theta_prev = None
        self._heights = [height_m]
        self._build_ratios = []
        self._init_count = 0
        self._bad = 0
        self.state = "initialising"
        return fit_frame(self.body, frame, self.theta, None, self.config.weights,
                         n_iter=self.config.init_iterations, ws=self._ws)

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

    # -- the public step -------------------------------------------------------------------------
    def update(self, cloud: PersonCloud | None, person_height_m: float | None = None) -> TrackResult:
        cfg = self.config
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        if cloud is None or len(cloud.points_cam_m) < cfg.min_points:
            self._missing += 1
            if self.state in ("tracking", "initialising") and self._missing >= cfg.lost_after_frames:
                self.state = "lost"
            self.theta_prev = None  # velocity unknown after a gap
            timings["total"] = (time.perf_counter() - t0) * 1e3
            return self._result(False, None, timings)
        frame = prepare_frame(cloud, cfg.max_points)
        t1 = time.perf_counter()
        timings["prepare"] = (t1 - t0) * 1e3

        if self.state in ("searching", "lost"):
            h = _upright_height(frame.points_floor_m, cfg, person_height_m)
            if h is None:
                timings["total"] = (time.perf_counter() - t0) * 1e3
                return self._result(False, None, timings)
            self._missing = 0
            fit = self._start(frame, h)
        else:
            if self._missing >= cfg.lost_after_frames:
                self.state = "lost"
                return self.update(cloud, person_height_m)
            self._missing = 0
            if self.theta_prev is not None:
                pred = self.theta + cfg.velocity_factor * (self.theta - self.theta_prev)
            else:
                pred = self.theta.copy()
            n_iter = cfg.track_iterations
            if self.state == "initialising":
                h = _upright_height(frame.points_floor_m, cfg, person_height_m)
                if h is not None:
                    self._heights.append(h)
                n_iter = max(n_iter, 8)
            fit = fit_frame(self.body, frame, pred, pred, cfg.weights, n_iter=n_iter, ws=self._ws)
        t2 = time.perf_counter()
        timings["fit"] = (t2 - t1) * 1e3
        self.theta_prev = self.theta if self.state == "tracking" else None
        self.theta = fit.theta

        if self.state == "initialising":
            self._init_count += 1
            self._collect_build(frame)
            if self._init_count >= cfg.init_frames:
                self._finish_init(frame)
        # divergence
        if (fit.mean_abs_residual_m > cfg.diverged_residual_m
                or fit.inlier_fraction < cfg.diverged_inlier_fraction):
            self._bad += 1
        else:
            self._bad = 0
        if self._bad >= cfg.diverged_frames:
            self.state = "lost"
            self._bad = 0
            timings["total"] = (time.perf_counter() - t0) * 1e3
            return self._result(False, None, timings, fit)
        skel = self._skeleton(fit, frame)
        timings["total"] = (time.perf_counter() - t0) * 1e3
        return self._result(True, skel, timings, fit)
