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
                diverged (residual too high / too few points explained for `diverged_frames`;
                the points far from every body and implement capsule, a foreign object the
                segmenter joined to the lifter, are left out of that count: far_point_count).
                A cloud back after a gap of `gap_frames` counts as a loss too (the lifter
                may have moved on). For `reacquire_window_frames` after the loss, every frame
                with a cloud tries a few restart poses from the last good one (moved with the
                cloud, pitched to the hinge depth the cloud's top shows, and to a few more):
                the same person is taken up again in whatever pose they are in (bent over,
                half locked out, mid-swing), keeping their size, implement, feet and track
                id, once a restarted fit explains the cloud as this track usually does and
                its top is where the cloud's is (station.fit.reacquire). Otherwise (or after
                the window) an upright start, which gives a new track id.

Every tracked frame reports per-joint and per-angle confidence (station.fit.confidence).

The parts: station.fit.start (is an upright person there, where to place the model, their
size), station.fit.limb_search (re-seeding stuck limbs), station.fit.implements (bar,
kettlebell, dumbbells), station.fit.noise (weights for the depth noise), station.fit.solver
(one frame's fit). The result type, TrackResult, is in station.model (re-exported here).
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from station.fit.body_model import DOF, OPEN_HAND_REACH, SEG, BodyModel, Shape, build_body
from station.fit.confidence import ConfidenceScales, FitConfidence, fit_confidence
from station.fit.implement_support import hand_clutter, plate_point_count
from station.fit.implements import ImplementState
from station.fit.limb_search import FitContext, LimbSearch
from station.fit.noise import NoiseAdaptation
from station.fit.personal import STILL_M_PER_FRAME, ArmBuild, ArmLength, BellyDepth, DrapeDepth, LegLength
from station.fit.reacquire import (
    LastGood,
    best_restart,
    cloud_centre_xy_m,
    reacquire_hypotheses,
    restart_poses,
    restart_worthy,
)
from station.fit.solver import (FitResult, FitWeights, FrameData, Workspace, capsule_distances,
                                implement_capsules, posed_capsules, prepare_frame)
from station.fit.start import StartGate, build_ratio, feet_seen, initial_pose, resized, upright_height
from station.frames import UP_FLOOR
from station.form.angles import spine_flexion_raw_from_segments_deg, trunk_inclination_deg
from station.model import SKELETON_INDEX, SKELETON_POINTS, PersonCloud, Skeleton, TrackResult

__all__ = ["Tracker", "TrackerConfig", "TrackResult", "initial_pose", "upright_height"]

# Segments whose visibility decides each skeleton point's confidence.
_POINT_SEGS: dict[str, tuple[str, ...]] = {
    "head": ("head",), "neck": ("upper_thorax",),
    "shoulder_l": ("upper_thorax", "upper_arm_l"), "shoulder_r": ("upper_thorax", "upper_arm_r"),
    "elbow_l": ("upper_arm_l", "forearm_l"), "elbow_r": ("upper_arm_r", "forearm_r"),
    "wrist_l": ("forearm_l",), "wrist_r": ("forearm_r",),
    "pelvis": ("pelvis",), "hip_l": ("pelvis", "thigh_l"), "hip_r": ("pelvis", "thigh_r"),
    "knee_l": ("thigh_l", "shank_l"), "knee_r": ("thigh_r", "shank_r"),
    "ankle_l": ("shank_l", "foot_l"), "ankle_r": ("shank_r", "foot_r"),
    "spine_low": ("pelvis", "lumbar"), "spine_mid": ("lumbar", "thorax"),
}
_POINT_SEG_IDX = [np.array([SEG[s] for s in _POINT_SEGS[p]]) for p in SKELETON_POINTS]
_ANKLES = [SKELETON_INDEX["ankle_l"], SKELETON_INDEX["ankle_r"]]
_PELVIS, _UPPER_THORAX = SEG["pelvis"], SEG["upper_thorax"]


def _spine_raw_deg(fit: FitResult) -> float:
    """spine_flexion's raw reading from a fit's segments (TrackResult.spine_raw_deg)."""
    return spine_flexion_raw_from_segments_deg(fit.seg_R[_PELVIS], fit.seg_R[_UPPER_THORAX])


_PELVIS_POINT, _NECK_POINT = SKELETON_INDEX["pelvis"], SKELETON_INDEX["neck"]
_WRISTS = [SKELETON_INDEX["wrist_l"], SKELETON_INDEX["wrist_r"]]
_TRUNK_POINTS = [_PELVIS_POINT, _NECK_POINT]
_HIPS = [SKELETON_INDEX["hip_l"], SKELETON_INDEX["hip_r"]]


def _standing_still(points_floor_m: np.ndarray, prev_floor_m: np.ndarray | None,
                    cam_pos_floor_m: np.ndarray, max_tilt_deg: float) -> bool:
    """The fitted skeleton stands facing the camera with the front of its trunk in view: the
    trunk still since the frame before (the pelvis and the neck moved under
    STILL_M_PER_FRAME: not walking in; the limbs jitter more in noisy depth), within
    max_tilt_deg of vertical, the hip line within 30 deg of square to the camera (not side-on:
    an arm then hangs over the trunk's side), and both wrists below a quarter of the way from
    the pelvis up to the neck (not behind the arms or a bell: a kettlebell swing's top, hands
    on the chest)."""
    if prev_floor_m is None:
        return False
    moved = points_floor_m[_TRUNK_POINTS] - prev_floor_m[_TRUNK_POINTS]
    if float(np.max(np.linalg.norm(moved, axis=1))) >= STILL_M_PER_FRAME:
        return False
    if float(trunk_inclination_deg(points_floor_m, UP_FLOOR)) > max_tilt_deg:
        return False
    pelvis, neck = points_floor_m[_PELVIS_POINT], points_floor_m[_NECK_POINT]
    if float(np.max(points_floor_m[_WRISTS, 2])) >= pelvis[2] + 0.25 * (neck[2] - pelvis[2]):
        return False
    hips = points_floor_m[_HIPS[1], :2] - points_floor_m[_HIPS[0], :2]
    ray = pelvis[:2] - cam_pos_floor_m[:2]
    den = float(np.linalg.norm(hips) * np.linalg.norm(ray))
    return den > 0 and abs(float(hips @ ray)) / den < 0.5


def _skeleton_cam_m(fit: FitResult, frame: FrameData) -> np.ndarray:
    """A fit's skeleton points back in the camera frame, with the frame's T_cam_floor inverted
    once (prepare_frame): apply(invert(frame.T_floor_cam), .)'s arithmetic."""
    return fit.points_floor_m @ frame.R_cam_floor.T + frame.t_cam_floor


@dataclass(frozen=True)
class TrackerConfig:
    max_points: int = 1500
    init_frames: int = 30
    # every Nth initialising frame measures the lifter's belly (station.fit.personal
    # BellyDepth: each candidate refitted, ~40 ms on that frame; 4 frames of a 1 s start
    # read the same depth as 8 on the library's takes); 0 = the table's abdomen
    belly_every_frames: int = 8
    # bent frames sampled to measure how far the lifter's top hangs off the belly (station.fit
    # .personal.DrapeDepth); 0 = never. Off at stop 59 (alone it traded five verdicts gained
    # for seven lost, two of them false faults); on since stop 60, with the arms' own build
    # measured: dev spine 2.98 -> 2.73 deg, rounded backs found 19 -> 21 with none false,
    # five verdicts gained and three lost, no clean rep given a fault (docs/spine-limits.md)
    drape_sample_frames: int = 6
    init_iterations: int = 15
    track_iterations: int = 6
    min_points: int = 150
    lost_after_frames: int = 30
    diverged_residual_m: float = 0.045
    diverged_inlier_fraction: float = 0.5
    diverged_frames: int = 4              # (re-acquisition takes it up again in a few frames)
    # a foreign object in the cloud (a box joined to the lifter's blob through a plate): the
    # points further than this from every body and implement capsule do not count against
    # the fit's inliers when judging it diverged or poor, as long as they are fewer than
    # foreign_max_share of the cloud (more than that: the fit has left the person)
    foreign_m: float = 0.3
    foreign_max_share: float = 0.5
    upright_height_range_m: tuple[float, float] = (1.2, 2.3)
    upright_max_head_ratio: float = 0.14   # the top cap's horizontal extent / height
    upright_max_lean_ratio: float = 0.06   # head's horizontal offset from the hips / height
    upright_surface_ratio: float = 0.04    # extra allowance, head further from the camera
                                           # than the hips' visible surface (seen side-on)
    upright_max_trunk_tilt_deg: float = 15.0  # or: the chest over the hips within this (a
                                           # relaxed stance; bent over at the start: 25+)
    upright_radius_m: float = 0.45         # points this far from the head: not the person
    upright_column_radius_m: float = 0.35  # the head is over the legs and hips, within this
    init_yaw_offsets_deg: tuple[float, ...] = (0.0, -35.0, 35.0)
    # a fit facing further than this from the camera (a lifter standing tall and still) or
    # from where a walker just arriving goes, for this many frames in a row, is started
    # afresh turned round (Tracker._facing): depth alone does not tell a standing person's
    # front from their back
    away_deg: float = 100.0
    away_frames: int = 5
    still_m_per_frame: float = 0.005       # the pelvis slower than this (0.15 m/s): standing still
    walk_m_per_frame: float = 0.015        # faster than this (0.45 m/s): walking
    init_coarse_sigma_m: float = 0.08      # robust scale of the first (coarse) init fit
    anchor_max_height_ratio: float = 0.065  # ankles higher than this x stature: not standing
    anchor_max_pitch_rad: float = 0.35     # pelvis pitch beyond which anchors stay put
    anchor_rate: float = 0.03              # per frame: the feet anchors follow the fit slowly
    anchor_replant_m: float = 0.04         # a standing ankle this far (horizontally) off its
    anchor_replant_frames: int = 4         # anchor for this many frames running: the foot has
                                           # stepped, its anchor is moved onto the ankle
    bar_min_points: int = 12               # points along the hands' line beyond the hands
    bar_far_min_points: int = 4            # ...of them past where a dumbbell's heads reach
    partial_cloud_fraction: float = 0.5    # fewer points than this x usual: coast this frame
    probe_iterations: int = 3              # one limb hypothesis per frame (0 = off)
    probe_every_frames: int = 1            # the probe runs on every Nth frame only (2: -0.3 ms
                                           # a frame, but measured on bench/fitter.py's 8
                                           # scenarios: capsule MPJPE +1.7 mm, spine +1.1 deg,
                                           # mesh -1.3 mm; not taken as the default)
    bar_on_frames: int = 6                 # support in this many frames in a row: a bar
    bar_keep_frames: int = 90              # frames without support before a bar is dropped
    # a kettlebell or dumbbells are held when they explain, of the points the body alone does
    # not (implement_support), this share of the frame's cloud and at least held_min_points:
    # the implement's share of a person's visible surface does not change with distance, a
    # count does (25 points, the rule before: 3 % of a 1.68 m lifter's cloud, whose bell
    # explained 24 at the start and was never found; a 1.6 m lifter seen from a 1.3 m mount
    # holding a bell in both hands, 14 of 599). Measured at the start (both bodies): empty hands
    # 0-11 points, 0.7-1.3 % (dumbbells the best of the trials: sleeves and fingers); held
    # 2.1-8 %
    held_min_share: float = 0.02
    held_min_points: int = 12
    # the arms are measured with open hands (ArmLength.open_hand) after this many frames in a row
    # with no implement and at most hands_empty_max_points points about the hands that the body
    # leaves unexplained (implement_support.hand_clutter); closed after hands_full_frames with more
    hands_empty_frames: int = 10
    hands_empty_max_points: int = 20
    hands_full_frames: int = 3
    start_frames: int = 2                  # upright and whole over this many frames (3 views)
    start_max_step_m: float = 0.10         # head moved less than this per frame (3 m/s):
                                           # the same person, walking in or standing
    start_walk_step_m: float = 0.02        # faster (0.6 m/s): walking, the heading is the facing
    border_margin_px: int = 2              # a blob touching the image's side: not whole yet
    reseed_after_frames: int = 15          # poor fit this long while upright: start afresh
    reseed_residual_m: float = 0.024
    reseed_inlier_fraction: float = 0.8
    recover_inlier_drop: float = 0.08      # inlier fraction this far below usual: re-seed limbs
    recover_residual_m: float = 0.025
    recover_every_frames: int = 8          # at most one limb search per this many frames
    search_per_frame: int = 1              # a limb search's hypotheses tried per frame
    search_per_frame_poor: int = 2         # the same when the fit is poor (measured: 5 gave
                                           # p99 13 ms and lost rdl_clean_top_cam for a while)
    recover_hidden_fraction: float = 0.7   # an arm this hidden (of its facing surface) is suspect
    arm_evidence_margin: float = 100.0     # an arm re-seeded to where it is hidden needs this
                                           # energy drop (limb_search.arm_evidence_ok; 0 = off)
    reach_min_points: int = 12             # unexplained points near a shoulder: point that arm
                                           # at them (station.fit.arm_reach; 0 = off)
    velocity_factor: float = 0.7           # constant-velocity prediction, damped
    # re-acquisition: a track lost mid-set (occlusion, a fit that diverged) is taken up again
    # from the last good pose, in whatever pose the lifter is in, for this long after the loss
    # (after that, or for someone new, only an upright start)
    reacquire_window_frames: int = 300
    reacquire_per_frame: int = 3           # hypotheses fitted per frame while lost
    reacquire_pitches_deg: tuple[float, ...] = (0.0, 30.0, 55.0, 80.0)
    reacquire_inlier_fraction: float = 0.75  # (or the track's usual less recover_inlier_drop)
    reacquire_residual_m: float = 0.022      # (or 1.3 x the track's usual)
    reacquire_residual_ratio: float = 1.3
    reacquire_top_below_m: float = 0.10    # a restarted model's top this far under the cloud's
    reacquire_top_above_m: float = 0.20    # or over it: a bent fit on someone standing (or not)
    # the lost lifter bent over is not someone new: an upright-looking person shorter than
    # this share of the lost lifter's stature, within start_defer_radius_m of where they were,
    # is not started while re-acquisition has tried fewer than start_defer_frames frames
    # (the top of a bent back passes for a short person's head: rdl_clean@capsule at a
    # rep's bottom, trunk 53 deg, read as 1.40 m standing for a 1.78 m lifter)
    start_defer_stature_ratio: float = 0.88
    start_defer_radius_m: float = 0.6
    start_defer_frames: int = 45
    gap_frames: int = 4                    # no cloud this long (0.13 s): the lifter may have
                                           # moved on; the track restarts as after a loss
    # depth noise: the weights and residual thresholds are set for the noise of a D435 at
    # ~2.5 m (`noise_ref_m`, the depth image's own second-difference estimate); noisier
    # depth (further away, a worse unit) widens them: the data term's robust scale in
    # quadrature, the free-space margin and the residual thresholds by the excess
    noise_ref_m: float = 0.015
    noise_rate: float = 0.1                # per frame: the estimate's smoothing
    # depth this much noisier than the reference is too noisy to coach from
    # (TrackResult.depth_too_noisy; NoiseAdaptation.too_noisy), until it is back under
    # noise_clear_ratio. Where the wrong calls start (stop 75, docs/spine-limits.md "Depth
    # noise"): the library's takes read 0.8-1.1x, with the sensor's noise doubled 1.3-2.4x
    # (peaks 2.83x) and still judged well; the far take noisy_far reads 2.5x and calls one
    # clean lockout incomplete on the capsule body; from 3.2x (mesh) and 3.4x (capsule) clean
    # reps are called rounded, short or too fast
    noise_too_noisy_ratio: float = 3.0
    noise_clear_ratio: float = 2.6
    # ... once past the ratio this many frames in a row: a person walking in reads noisy on
    # their first frames at the edge of the view (session_walk_in_out@mesh with the noise
    # doubled: 3.11, 3.02, then under 3)
    noise_too_noisy_frames: int = 10
    # the window estimate (station.fit.noise.window_noise_m: past the patches a stereo
    # matcher's errors come in, which the second differences miss), read on the frames the
    # fitted skeleton stands still in, facing the camera, its trunk within
    # noise_window_max_tilt_deg of vertical and the hands below the waist (a trunk bending
    # towards the camera read up to 4.3x on the plain noise, a kettlebell swing's top 4.5x, a
    # lifter just in from the side 3.1-3.4x), and held through the reps.
    # Its own line: on the plain noise it reads 1.04-1.2x the second differences (a body's
    # shape in the windows; up to 1.5x on the women's shapes at the library's noise), so the
    # first wrong calls above (3.2-3.4x) sit at ~3.4-3.6x in its units; noisy_far reads up to
    # 2.89x and is judged well, and in 2 px patches 4.1-4.3x (second differences 2.8x: four
    # clean backs called rounded on the capsule body, one on the mesh body)
    noise_window_too_noisy_ratio: float = 3.5
    noise_window_clear_ratio: float = 3.05
    noise_window_on_readings: int = 3      # window estimates in a row (each a median of 9)
    noise_window_max_tilt_deg: float = 10.0
    height_offset_m: float = 0.0           # blob top minus stature (hair, shoes), if known
    weights: FitWeights = field(default_factory=FitWeights)
    confidence: ConfidenceScales = field(default_factory=ConfidenceScales)

    def __post_init__(self) -> None:
        if self.search_per_frame < 1 or self.search_per_frame_poor < 1:
            raise ValueError("search_per_frame and search_per_frame_poor must be >= 1, got "
                             f"{self.search_per_frame}, {self.search_per_frame_poor}")


def coarse_weights(w: FitWeights, sigma_m: float) -> FitWeights:
    """The weights of a first, coarse fit from a rough start: a wide robust scale."""
    return replace(w, data_sigma_m=sigma_m, data_gate_m=max(w.data_gate_m, 3 * sigma_m))


def followed_anchors(anchors: np.ndarray | None, fit: FitResult, height_m: float,
                     cfg: TrackerConfig, away: np.ndarray) -> np.ndarray | None:
    """The feet anchors (2, 3), floor frame, after this fit: set from feet on the floor (a
    foot fitted in the air would be held there), then following the fitted ankles slowly.
    A foot that has stepped: its ankle standing (floor height) more than anchor_replant_m
    from its anchor, horizontally, for anchor_replant_frames frames running (one wobble
    does not count), is re-planted: its anchor moves over the ankle, at the lower of the
    two heights (a foot is re-planted while it is still settling, a little raised; and an
    anchor that followed a raised knee is above the foot). The slowly following anchor held
    the fitted ankle back, several cm inside a side step, for the rest of a set. away (2,):
    each foot's frames running off its anchor, updated in place."""
    ank = fit.points_floor_m[_ANKLES]
    standing = ank[:, 2] <= cfg.anchor_max_height_ratio * height_m
    if anchors is None:
        away[:] = 0
        return ank.copy() if bool(standing.all()) else None
    anchors += cfg.anchor_rate * (ank - anchors)
    r2 = cfg.anchor_replant_m ** 2
    for j, (x, y, z) in enumerate(ank.tolist()):       # (scalars: a few us a frame)
        dx, dy = x - anchors[j, 0], y - anchors[j, 1]
        away[j] = away[j] + 1 if standing[j] and dx * dx + dy * dy > r2 else 0
        if away[j] >= cfg.anchor_replant_frames:
            anchors[j] = x, y, min(z, anchors[j, 2])
            away[j] = 0
    return anchors


def frame_confidence(fit: FitResult, body: BodyModel, scales: ConfidenceScales,
                     extra_resid_m: float, initialising: bool, info_scale: float = 1.0,
                     inlier_fraction: float | None = None) -> FitConfidence:
    """Joint and angle confidence (station.fit.confidence) of a frame's final fit; info_scale
    multiplies the fit's information (NoiseAdaptation.info_scale); inlier_fraction: the
    share the fit's quality is read from (None: the fit's own)."""
    info = (fit.info * info_scale if fit.info is not None
            else np.zeros((len(fit.theta), len(fit.theta))))
    inl = fit.inlier_fraction if inlier_fraction is None else inlier_fraction
    conf = fit_confidence(fit.points_floor_m, body.point_seg, fit.dof_twist, info,
                          fit.seg_visibility, _POINT_SEG_IDX, inl,
                          fit.mean_abs_residual_m, scales, extra_resid_m)
    if initialising:
        # the shape is still being estimated
        conf.joints *= 0.8
        conf.angles = {k: 0.8 * v for k, v in conf.angles.items()}
    return conf


def far_point_count(body: BodyModel, theta: np.ndarray, points_floor_m: np.ndarray, ws: Workspace,
                    implement: str | None, weights: FitWeights, far_m: float) -> int:
    """How many points lie further than far_m from every capsule of the posed body and its
    implement (what no pose near this one explains: not the lifter)."""
    if len(points_floor_m) == 0:
        return 0
    ca, cb = posed_capsules(body, theta, ws)
    _, d_body, _ = capsule_distances(points_floor_m, ca, cb, body.cap_ra, body.cap_rb)
    far = d_body > far_m
    ia, ib, ir, _, _ = implement_capsules(body, ca, cb, ws.seg_R, implement, weights)
    if len(ir):
        _, d_imp, _ = capsule_distances(points_floor_m, ia, ib, ir, ir)
        far &= d_imp > far_m
    return int(np.count_nonzero(far))


def body_inlier_fraction(fit: FitResult, n_far: int, cfg: TrackerConfig) -> float:
    """The fit's inlier share of the points that are the body's: all but n_far points that no
    capsule of the body explains (a foreign object's beyond foreign_m of the model, a bar's
    plates), all of them outliers; its share of the whole cloud when those are too many
    (over foreign_max_share of it: the fit has left the person)."""
    n = fit.n_points
    if n <= 0 or n_far <= 0 or n_far > cfg.foreign_max_share * n:
        return fit.inlier_fraction
    return min(fit.inlier_fraction * n / (n - n_far), 1.0)


def fit_is_bad(fit: FitResult, cfg: TrackerConfig, extra_resid_m: float,
               inlier_fraction: float | None = None) -> bool:
    """A fit that explains the cloud too poorly to show (diverged_frames of them: lost).
    inlier_fraction: the share to judge (body_inlier_fraction; None: the fit's own)."""
    inl = fit.inlier_fraction if inlier_fraction is None else inlier_fraction
    return (fit.mean_abs_residual_m > cfg.diverged_residual_m + extra_resid_m
            or inl < cfg.diverged_inlier_fraction)


def fit_is_poor(fit: FitResult, cfg: TrackerConfig, extra_resid_m: float, inlier_ref: float,
                inlier_fraction: float | None = None) -> bool:
    """A fit poorer than usual (reseed_after_frames of them: start afresh). Inliers relative to
    this track's usual too: a barbell's plates are never explained, and would otherwise re-seed
    every few seconds of standing. inlier_fraction: as fit_is_bad."""
    inl = fit.inlier_fraction if inlier_fraction is None else inlier_fraction
    return (fit.mean_abs_residual_m > cfg.reseed_residual_m + extra_resid_m
            or inl < min(cfg.reseed_inlier_fraction, inlier_ref - cfg.recover_inlier_drop))


class Tracker:
    """Skeleton tracking over a stream of PersonClouds (see module docstring)."""

    def __init__(self, config: TrackerConfig | None = None, shape: Shape | None = None):
        self.config = config or TrackerConfig()
        self._fixed_shape = shape
        self.track_id = 0
        self.reset()

    def reset(self) -> None:
        cfg = self.config
        self.state = "searching"
        self.body: BodyModel | None = None
        self.theta: np.ndarray | None = None
        self.theta_prev: np.ndarray | None = None
        self.anchors, self._away = None, np.zeros(2, np.int64)   # feet anchors, frames off them
        self._missing = self._bad = self._poor = self._init_count = self._lost_frames = 0
        self._away_count = 0                    # frames in a row facing the wrong way
        self._path: deque = deque(maxlen=6)     # the pelvis's last positions (floor x, y)
        self._heights, self._build_ratios = [], []       # stature and build while initialising
        self.legs = LegLength()                 # the lifter's own leg length
        self.arms = ArmLength()                 # and arm length
        self._hands_empty = 0   # frames in a row the hands held nothing (> 0), something (< 0)
        self.belly = BellyDepth(self.config.belly_every_frames)   # the lifter's own belly
        self.sleeves = ArmBuild(self.config.belly_every_frames)   # and their arms' thickness
        self.drape = DrapeDepth(frames=cfg.drape_sample_frames)   # how far their top hangs, bent over
        self._ws = Workspace()
        self._reread_ws = Workspace()           # reread's (the tracking fits' own is left alone)
        self._n_ref = 0.0
        self._inlier_ref = 1.0
        self._resid_ref = 0.0
        self._last_good: LastGood | None = None
        self._legs_hidden_at_start = False
        self._occluded = False             # this frame: someone in front of the lifter (update)
        self._reacq = 0                         # restart poses tried since the loss
        self.noise = NoiseAdaptation(cfg.weights, cfg.noise_ref_m, cfg.noise_rate,
                                     cfg.confidence.data_sigma_m, cfg.noise_too_noisy_ratio,
                                     cfg.noise_clear_ratio, cfg.noise_too_noisy_frames,
                                     cfg.noise_window_too_noisy_ratio, cfg.noise_window_clear_ratio,
                                     cfg.noise_window_on_readings)
        self._prev_points_floor: np.ndarray | None = None
        self.gate = StartGate(cfg)
        self.implements = ImplementState(cfg.bar_min_points, cfg.bar_on_frames,
                                         cfg.bar_keep_frames, cfg.held_min_points,
                                         held_min_share=cfg.held_min_share,
                                         bar_far_min_points=cfg.bar_far_min_points)
        self.limbs = LimbSearch.from_config(cfg)

    @property
    def shape(self) -> Shape | None:
        return self.body.shape if self.body is not None else None

    @property
    def implement(self) -> str | None:
        """The implement modelled in the hands (station.fit.implements)."""
        return self.implements.implement

    def _measurer(self, theta: np.ndarray) -> LegLength:
        """Which of the lifter's lengths this frame measures: the legs on the frames they stand
        tall in, until measured; the arms on the others (upright with soft knees: ArmLength) and
        once the legs are done. A round waiting for a still frame goes in first."""
        for measurer in (self.legs, self.arms):
            if measurer.pending:
                return measurer
        if not self.legs.done and self.body.standing_rest.standing_tall(theta):
            return self.legs
        return self.arms

    def _watch_the_hands(self, frame: FrameData) -> None:
        """The arms are measured with open hands (ArmLength.open_hand) once the hands have held
        nothing for a while: no implement modelled and no points about them that the body
        leaves unexplained (hand_clutter) for TrackerConfig.hands_empty_frames frames in a
        row; with closed ones again after hands_full_frames with something there. An open
        hand stretched into a kettlebell the start had not found read the arms 1.06 of the
        table's (mesh_D_faults1; 0.89 closed, her own 0.90). The track itself fits with the
        closed hands: fitted with open ones, arms swung fast in real motion capture were lost
        for a second (mocap_warmup@mesh), and the capsule athlete's fists read worse."""
        cfg = self.config
        if self.implement is None:
            # the track's hands are closed: open fingers reach OPEN_HAND_REACH past them
            n = hand_clutter(self.body, self.theta, frame.points_floor_m, self._ws,
                             finger_m=OPEN_HAND_REACH * self.body.shape.height_m)
            empty = n <= cfg.hands_empty_max_points
            self._hands_empty = self._hands_empty + 1 if empty else min(self._hands_empty, 0) - 1
        else:
            self._hands_empty = -cfg.hands_full_frames
        if self.arms.open_hand == 0.0 and self._hands_empty >= cfg.hands_empty_frames:
            self.arms.open_hand = OPEN_HAND_REACH
        elif self.arms.open_hand > 0.0 and self._hands_empty <= -cfg.hands_full_frames:
            self.arms.open_hand = 0.0

    def _ctx(self, anchors: np.ndarray | None = None, weights: FitWeights | None = None,
             ws: Workspace | None = None) -> FitContext:
        """The track's fit context: its body and implement, its workspace and the noise's
        weights unless others are given."""
        return FitContext(self.body, ws or self._ws, weights or self.noise.weights, self.implement, anchors)

    def _fit(self, frame: FrameData, theta: np.ndarray, pred: np.ndarray | None, n_iter: int,
             anchors: np.ndarray | None = None, weights: FitWeights | None = None,
             ws: Workspace | None = None, observe_rest: bool = True) -> FitResult:
        return self._ctx(anchors, weights, ws).fit(frame, theta, pred, n_iter, observe_rest=observe_rest)

    def reread(self, cloud: PersonCloud, theta: np.ndarray, n_iter: int = 10) -> tuple[float, np.ndarray]:
        """An earlier frame read again on the model the track has now (its body and implement):
        (raw spine flexion, deg; skeleton points, camera frame, m), fitted from the pose the
        frame was read in then. In a workspace of its own, and teaching the body's neck rest
        nothing: the track fits on as it would have without it. For the standing reference:
        the same stance read on both models (StandingReference.reread)."""
        frame = prepare_frame(cloud, self.config.max_points)
        # no temporal pull to the pose read on the old model
        fit = self._fit(frame, theta, None, n_iter, ws=self._reread_ws, observe_rest=False)
        return _spine_raw_deg(fit), _skeleton_cam_m(fit, frame)

    # -- the public step -------------------------------------------------------------------------
    def update(self, cloud: PersonCloud | None, person_height_m: float | None = None,
               occluded: bool = False) -> TrackResult:
        """One frame. occluded: something stands between the lifter and the camera
        (station.app.occluded, for a lifter it holds_lifter): no start or re-acquisition is
        tried on the part of them left in view (an upright start there measured a 1.43 m
        stature and the standing spine from a 190 mm fit, kept for the rest of the set), and
        the frame teaches the track nothing (_follow); the track is taken up again once the
        view clears, and its limbs searched afresh."""
        cfg = self.config
        c0, t0 = time.thread_time(), time.perf_counter()
        tm: dict[str, float] = {}
        if self._occluded and not occluded and self.state == "tracking":
            # the view clears with the track kept through it: the limbs fitted while partly
            # hidden may be anywhere, as after a re-acquisition
            self.limbs.search_all(poor=True)
        self._occluded = occluded
        if cloud is None or len(cloud.points_floor_m) < cfg.min_points:
            self._missing += 1
            if self.state == "lost":
                self._lost_frames += 1
            if self.state in ("tracking", "initialising") and self._missing >= cfg.lost_after_frames:
                self._lose()
            self.theta_prev = None  # velocity unknown after a gap
            return self._result(False, None, tm, t0, c0)
        frame = prepare_frame(cloud, cfg.max_points)
        self.noise.update(frame.depth_m, frame.mask)
        # the skeleton of the frame before, if it was fitted (_standing_still)
        prev_points, self._prev_points_floor = self._prev_points_floor, None
        t1 = time.perf_counter()
        tm["prepare"] = (t1 - t0) * 1e3
        self.limbs.reseeded = set()
        upright = lambda relaxed=False: upright_height(frame.points_floor_m, cfg, person_height_m,  # noqa: E731
                                                       frame.cam_pos_floor_m, relaxed)
        partial, pred = False, None
        if self.state in ("searching", "lost"):
            fit = None
            if self.state == "lost":
                self._lost_frames += 1
                if (not occluded and self._last_good is not None
                        and self._lost_frames <= cfg.reacquire_window_frames):
                    fit = self._reacquire(frame)
            if occluded:
                # someone in front of the lifter: what is left in view is part of the lifter,
                # not a new person, and a restart fitted to it puts the hidden limbs anywhere
                # (a leg 350 mm off for 2.5 s, its foot anchored there: a false hip shift).
                # The lifter is taken up again once the view clears
                self.gate.clear()
                return self._result(False, None, tm, t0, c0)
            if fit is None:
                # a new person: any ordinary standing posture starts (start.upright_height)
                h = upright(relaxed=True)
                if h is not None and self._lost_lifter_bent_over(frame, h):
                    h = None
                if h is None:
                    self.gate.clear()          # upright in consecutive frames only
                if h is None or not self.gate.ready(frame, cloud, h):
                    return self._result(False, None, tm, t0, c0)
                self.track_id += 1             # a new person (or the same, started afresh)
                fit = self._start(frame, h)
            self._missing = 0
        else:
            if self._missing >= cfg.lost_after_frames or (
                    self.state == "tracking" and self._missing >= cfg.gap_frames and self._last_good is not None):
                # back after a gap: the lifter may be in another pose; restart as after a loss
                self._lose()
                return self.update(cloud, person_height_m, occluded)
            self._missing = 0
            pred = (self.theta + cfg.velocity_factor * (self.theta - self.theta_prev)
                    if self.theta_prev is not None else self.theta.copy())
            n_iter = cfg.track_iterations
            if self.state == "initialising":
                h = upright()
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
                fit = self._fit(frame, pred, pred, 0, anchors)
            else:
                self.implements.update_bar(self._ctx(), frame, pred)
                fit = self._fit(frame, pred, pred, n_iter, anchors)
                self._n_ref = (n_now if self._n_ref <= 0
                               else self._n_ref + 0.1 * (n_now - self._n_ref))
        if (pred is not None or self.state == "initialising") and not partial:   # (not a restart)
            fit = self.limbs.step(self._ctx(self.anchors), frame, fit, pred, self._inlier_ref,
                                  self.noise.extra_resid_m, self.implements.held)
            fit = self.implements.retry_held(self._ctx(self.anchors), frame, fit, pred, self.limbs)
            fit = self.limbs.unfold(self._ctx(self.anchors), frame, fit, pred)
        if not partial:
            fit = self._facing(fit, frame)
        tm["fit"] = (time.perf_counter() - t1) * 1e3
        self.limbs.since += 1
        fit = self._follow(fit, frame, partial, person_height_m)
        if self._diverged(fit, frame):
            return self._result(False, None, tm, t0, c0, fit)
        if _standing_still(fit.points_floor_m, prev_points, frame.cam_pos_floor_m, cfg.noise_window_max_tilt_deg):
            self.noise.update_window(frame.depth_m, frame.mask)
        self._prev_points_floor = fit.points_floor_m
        t3 = time.perf_counter()
        conf = frame_confidence(fit, self.body, cfg.confidence, self.noise.extra_resid_m,
                                self.state == "initialising", self.noise.info_scale,
                                self._inliers_without_plates(fit, frame))
        skel = Skeleton(points_cam_m=_skeleton_cam_m(fit, frame),
                        confidence=conf.joints)
        tm["confidence"] = (time.perf_counter() - t3) * 1e3
        return self._result(True, skel, tm, t0, c0, fit, conf)

    def _facing(self, fit: FitResult, frame: FrameData) -> FitResult:
        """A fit facing the wrong way started afresh, turned round: one that has faced more
        than away_deg from where the lifter is going (walking) or, standing tall and still,
        from the camera, for away_frames frames in a row.

        Depth alone hardly tells a standing person's front from their back: on
        session_walk_in_out@mesh, facing the mirror, the fit's energy facing the camera and
        turned 180 deg agree within 1 % once converged (262.5 against 264.5). Walking in
        side-on, the fit turned from the walker's heading to face away within a second of
        the start, and read the whole set that followed mirrored (MPJPE 278 mm) when the lifter
        turned to the mirror. People walk forwards, and at the mirror a lifter stands facing
        it; one who stands turned away is not coached whichever way the fit reads them (the
        notice asks them to face the mirror). Bent over, the hinge's knees and hips say which
        way is forward, and a fit is left alone."""
        cfg = self.config
        if self.state not in ("initialising", "tracking") or self.theta is None:
            self._away_count = 0
            self._path.clear()
            return fit
        th = fit.theta
        xy = th[[DOF["root_tx"], DOF["root_ty"]]].copy()
        self._path.append(xy)
        moved = xy - self._path[0]
        speed = self._pelvis_speed()
        # walking in: only while the start is being confirmed (a lifter stepping back out of the
        # zone later walks backwards, and a hinge moves the pelvis back)
        walking = self.state == "initialising" and len(self._path) > 2 and speed > cfg.walk_m_per_frame
        still = speed < cfg.still_m_per_frame
        ref = moved if walking else frame.cam_pos_floor_m[:2] - xy
        yaw = th[DOF["root_yaw"]]
        cos_off = (math.cos(yaw) * ref[0] + math.sin(yaw) * ref[1]) / max(float(np.linalg.norm(ref)), 1e-9)
        wrong = cos_off < math.cos(math.radians(cfg.away_deg)) and (
            walking or (still and self.body.standing_rest.standing_tall(th)))
        self._away_count = self._away_count + 1 if wrong else 0
        if self._away_count < cfg.away_frames:
            return fit
        self._away_count = 0
        self._path.clear()
        facing = math.atan2(ref[1], ref[0]) if walking else math.remainder(yaw + math.pi, 2 * math.pi)
        # started afresh, turned round: what was learned of the person facing the wrong way
        # (size, leg length, the neck's rest, the standing spine the angles are read against)
        # was learned from a mirrored fit
        self.track_id += 1
        return self._start(frame, self.body.shape.height_m, facing=facing)

    def _follow(self, fit: FitResult, frame: FrameData, partial: bool,
                person_height_m: float | None) -> FitResult:
        """After the frame's fit: the track's usual inlier fraction, the velocity, sizing
        while initialising, the feet anchors, a re-seed after a poor stretch, the last good
        pose to re-acquire from. Returns the frame's fit (a fresh start's after a re-seed)."""
        cfg = self.config
        # a frame with someone in front of the lifter (occluded) is fitted but teaches the
        # track nothing: its usual residual and inlier share, the lifter's measurements, the
        # feet anchors and the last good pose come from frames that saw them whole
        learn = not partial and not self._occluded
        if learn:
            self._inlier_ref = (self._inlier_ref + 0.05 * (fit.inlier_fraction - self._inlier_ref)
                                if self.state == "tracking" else fit.inlier_fraction)
            if self.state == "initialising":
                self._resid_ref = fit.mean_abs_residual_m
        self.theta_prev = self.theta.copy() if self.state == "tracking" else None
        if self.theta_prev is not None and self.limbs.reseeded:
            ix = sorted(self.limbs.reseeded)   # re-seeded limbs: no velocity to extrapolate
            self.theta_prev[ix] = fit.theta[ix]
        self.theta = fit.theta
        if self.state == "initialising":
            self._init_count += 1
            b = build_ratio(self.body, self.theta, frame, self._ws)
            if b is not None:
                self._build_ratios.append(b)
            if self._fixed_shape is None:
                # the belly, on the upright frames the track starts on (a body that cannot
                # reach its belly tips its pelvis forward and never stands tall after)
                self.belly.step(self.body, frame, self.theta, self.noise.weights, self.implement)
                self.sleeves.step(self.body, frame, self.theta, self.noise.weights, self.implement)
            if self._init_count >= cfg.init_frames:
                if self._fixed_shape is None:
                    self.body, self.theta = resized(self.body, self.theta, self._heights,
                                                    self._build_ratios, self.belly.depth,
                                                    self.sleeves.arm_build)
                self.theta_prev = None
                self.state = "tracking"
        elif self.state == "tracking" and learn and self._fixed_shape is None and (
                rebuilt := self._measurer(fit.theta).step(
                    self.body, frame, fit.theta, self.noise.weights, self.implement, self.anchors,
                    self.theta_prev)):
            # the lifter's own leg length and arm length (personal), one measurer at a time
            self.body, self.theta = rebuilt
            self.theta_prev = None
        elif (self.state == "tracking" and learn and self._fixed_shape is None
              and (hung := self.drape.step(self.body, frame, fit, self.noise.weights,
                                           self.implement, self.anchors))):
            self.body = hung     # the same pose: only the cloth at the belly changes
        elif (self.state == "tracking" and learn
              and abs(fit.theta[DOF["root_pitch"]]) < cfg.anchor_max_pitch_rad):
            # the feet anchors follow the fit only while the trunk is nearly upright: bent
            # over, the fitted ankles are pulled about by the hinge and the anchors would
            # drift with them
            self.anchors = followed_anchors(self.anchors, fit, self.body.shape.height_m, cfg, self._away)
        if self.state == "tracking" and learn and self._fixed_shape is None and not self.arms.done:
            self._watch_the_hands(frame)   # only the arm rounds read it
        if self._legs_hidden_at_start and learn and self.state in ("initialising", "tracking"):
            # started on someone whose legs were hidden (walking in behind a plate): start again,
            # same track, once they stand upright in full view, so that their size and feet are
            # measured on the whole person (the sizing and the feet anchors kept otherwise)
            h = upright_height(frame.points_floor_m, cfg, person_height_m, frame.cam_pos_floor_m)
            if h is not None and feet_seen(frame.points_floor_m, h):
                # facing as the track faces: the start's heading, or _facing's turn round in
                # this very frame (the blob's own axis, which _start falls back on, does not
                # tell front from back: on session_walk_in_out@mesh it undid the turn and
                # read the walker 150-180 deg off for 1.8 s)
                fit = self._start(frame, h, facing=float(fit.theta[DOF["root_yaw"]]))
                self.theta = fit.theta
                return fit
        # a poor fit for a while, and the person stands upright: start afresh
        if self.state == "tracking" and learn:
            poor = fit_is_poor(fit, cfg, self.noise.extra_resid_m, self._inlier_ref)
            if poor:
                poor = fit_is_poor(fit, cfg, self.noise.extra_resid_m, self._inlier_ref,
                                   self._body_inliers(fit, frame))
            self._poor = self._poor + 1 if poor else 0
            if self._poor >= cfg.reseed_after_frames:
                h = upright_height(frame.points_floor_m, cfg, person_height_m, frame.cam_pos_floor_m)
                if h is not None:
                    self._poor = 0
                    fit = self._start(frame, h)
                    self.theta = fit.theta
                elif self._last_good is not None and self._poor % cfg.recover_every_frames == 0:
                    # not upright (mid-set): restart from the last good pose in whatever pose
                    # the lifter is in, if a restart explains the cloud as the track did
                    fit = self._reacquire(frame) or fit
        if self.state == "tracking" and learn and self._good(fit):
            self._resid_ref += 0.05 * (fit.mean_abs_residual_m - self._resid_ref)
            self._last_good = LastGood(fit.theta.copy(), frame.points_floor_m,
                                       None if self.anchors is None else self.anchors.copy(),
                                       self.implements.held, self.implements.bar)
        return fit

    def _body_inliers(self, fit: FitResult, frame: FrameData) -> float:
        """The fit's inlier share without a foreign object's points (body_inlier_fraction);
        measured only for a fit judged bad or poor on the whole cloud (most frames skip it)."""
        n_far = far_point_count(self.body, fit.theta, frame.points_floor_m, self._ws, self.implement,
                                self.noise.weights, self.config.foreign_m)
        return body_inlier_fraction(fit, n_far, self.config)

    def _inliers_without_plates(self, fit: FitResult, frame: FrameData) -> float:
        """The fit's inlier share of the cloud without a modelled bar's plates, which no
        capsule explains (plate_point_count): the confidence reads the body's fit, not how
        much of the plates the segmenter joined to the lifter (mesh shape E with 2 px of
        fattening: the plates 20 -> 40 % of the cloud, the knees' confidence at the bottom
        0.81 -> 0.59 and a knee-dominant rep not judged)."""
        if self.implement != "bar":
            return fit.inlier_fraction
        n_plate = plate_point_count(self.body, fit.theta, frame.points_floor_m, self._ws,
                                    self.noise.weights)
        return body_inlier_fraction(fit, n_plate, self.config)

    def _diverged(self, fit: FitResult, frame: FrameData) -> bool:
        cfg = self.config
        bad = fit_is_bad(fit, cfg, self.noise.extra_resid_m)
        if bad:
            bad = fit_is_bad(fit, cfg, self.noise.extra_resid_m, self._body_inliers(fit, frame))
        self._bad = self._bad + 1 if bad else 0
        if self._bad >= cfg.diverged_frames:
            self._lose()
            self._bad = 0
            return True
        return False

    def _result(self, tracked: bool, skeleton: Skeleton | None, tm: dict, t0: float, c0: float,
                fit: FitResult | None = None, conf: FitConfidence | None = None) -> TrackResult:
        tm["total"] = (time.perf_counter() - t0) * 1e3
        tm["cpu"] = (time.thread_time() - c0) * 1e3
        return TrackResult(
            tracked=tracked, skeleton=skeleton, state=self.state, timings_ms=tm,
            shape=self.body.shape.as_dict() if self.body is not None else None,
            residual_m=fit.mean_abs_residual_m if fit else math.nan,
            inlier_fraction=fit.inlier_fraction if fit else math.nan,
            theta=None if self.theta is None else self.theta.copy(),
            angle_confidence=None if conf is None else conf.angles,
            angle_sd=None if conf is None else conf.angle_sd, track_id=self.track_id,
            reacquiring=(self.state == "lost" and self._last_good is not None
                         and self._lost_frames <= self.config.reacquire_window_frames),
            spine_raw_deg=_spine_raw_deg(fit) if tracked and fit is not None else None,
            implement=self.implement, depth_noise_ratio=self.noise.ratio,
            depth_noise_window_ratio=self.noise.window_ratio, depth_too_noisy=self.noise.too_noisy)

    def _start(self, frame: FrameData, height_m: float, facing: float | None = None) -> FitResult:
        """Place an upright model on the blob: a few facing directions, each fitted with a
        wide robust scale first (coarse), the best by energy refined at the normal scale;
        then the limbs searched and a hand-held implement chosen."""
        cfg = self.config
        shape = self._fixed_shape or Shape(height_m=height_m)
        self.body = build_body(shape)
        base = initial_pose(frame.points_floor_m, shape)
        w = self.noise.weights
        coarse = coarse_weights(w, cfg.init_coarse_sigma_m)
        imp = self.implements
        imp.bar = imp.bar_present(self._ctx(), frame, base)
        imp.held = None
        self.limbs.pending = []
        best = None
        # someone walking in faces where they are going: the heading decides the facing (the
        # chest band's axis does not, seen side-on: front and back give the same band, and with
        # the legs hidden, behind a plate, the fit's energy does not either)
        if facing is None:
            heading = self.gate.walk_heading() if self.state in ("searching", "lost") else None
            facing = base[DOF["root_yaw"]] if heading is None else heading
        yaws = [facing + math.radians(d) for d in cfg.init_yaw_offsets_deg]
        for yaw in yaws:
            th = base.copy()
            th[DOF["root_yaw"]] = yaw
            r = self._fit(frame, th, None, 6, weights=coarse)
            r = self._fit(frame, r.theta, None, 4)
            if best is None or r.energy < best.energy:
                best = r
        self.theta = self.limbs.search(self._ctx(self.anchors), frame, best.theta, None)
        if not imp.bar:
            # a bar on the back: the first pose's hanging arms miss it, the limb search's
            # hands are on it (dumbbells chosen instead were kept for the track)
            imp.bar = imp.bar_present(self._ctx(), frame, self.theta)
        if not imp.bar:
            self.theta = imp.choose_held(self._ctx(self.anchors), frame, self.theta, self.limbs)
        self.theta_prev = self.anchors = None
        self._heights, self._build_ratios = [height_m], []
        self._init_count = self._bad = 0
        self.legs.reset()
        self.arms.reset()
        self._hands_empty = 0                   # the new body's hands are closed till seen empty
        self.belly.reset()
        self.sleeves.reset()
        self.drape.reset()
        self._legs_hidden_at_start = not feet_seen(frame.points_floor_m, height_m)
        self.state = "initialising"
        return self._fit(frame, self.theta, None, cfg.init_iterations)

    # -- losing and re-acquiring a track ----------------------------------------------------------
    def _lost_lifter_bent_over(self, frame: FrameData, height_m: float) -> bool:
        """Whether an upright-looking person of height_m is more likely the lifter just lost,
        bent over (TrackerConfig.start_defer_*): much shorter than them, where they were, in
        the first frames of re-acquisition. Someone new there waits at most
        start_defer_frames frames (a partner stepping in after a set)."""
        cfg, last = self.config, self._last_good
        if (self.state != "lost" or last is None or self.body is None
                or self._lost_frames > cfg.reacquire_window_frames or self._reacq > cfg.start_defer_frames
                or height_m >= cfg.start_defer_stature_ratio * self.body.shape.height_m):
            return False
        moved_m = float(np.linalg.norm(cloud_centre_xy_m(frame.points_floor_m) - last.centre_xy_m))
        return moved_m < cfg.start_defer_radius_m

    def _pelvis_speed(self) -> float:
        """The fitted pelvis's mean speed over _path (m a frame)."""
        return float(np.linalg.norm(self._path[-1] - self._path[0])) / max(len(self._path) - 1, 1)

    @property
    def holds_lifter(self) -> bool:
        """Tracking someone who is not walking (their pelvis under walk_m_per_frame), or lost
        them mid-set and still taking them up again (inside the re-acquisition window): a
        lifter whose view the station protects (station.app.occluded). Someone walking in or
        out swings a hand or a knee 0.4 m ahead of the rest of them, outside the zone's
        points, over where they were a frame before."""
        cfg = self.config
        if self.state == "tracking":
            return len(self._path) <= 2 or self._pelvis_speed() <= cfg.walk_m_per_frame
        return (self.state == "lost" and self._last_good is not None
                and self._lost_frames <= cfg.reacquire_window_frames)

    def _lose(self) -> None:
        self.state, self._lost_frames, self._reacq, self.theta_prev = "lost", 0, 0, None
        self.limbs.pending = []

    def _good(self, fit: FitResult) -> bool:
        """A fit good enough to restart from (station.fit.reacquire.restart_worthy)."""
        return restart_worthy(fit, self.config, self._inlier_ref, self._resid_ref, self.noise.extra_resid_m)

    def _reacquire(self, frame: FrameData) -> FitResult | None:
        """Fit this frame's most likely restart poses (reacquire_hypotheses: the hinge depth the
        cloud's top shows, then one more of the rest, cycled over frames) and take the best
        that explains the cloud as well as this track usually does, with its top where the
        cloud's is: tracking resumes with the same body, implement and feet, and a limb
        search follows."""
        cfg = self.config
        last = self._last_good
        tries = restart_poses(reacquire_hypotheses(self.body, last, frame, self._ws, cfg.reacquire_pitches_deg),
                              cfg.reacquire_per_frame, self._reacq)
        self._reacq += 1
        self.implements.held, self.implements.bar = last.held, last.bar
        best = best_restart(self._fit, self.body, frame, self._ws, tries, last.anchors,
                            coarse_weights(self.noise.weights, cfg.init_coarse_sigma_m), cfg)
        # judged as the diverged and poor tests judge a fit: on the body's points when the
        # whole cloud's share falls short (a bar's plates, which no capsule explains, are a
        # larger share of a bent lifter's cloud than of the standing frames the track's usual
        # share comes from: rdl_clean@capsule at the bottom 0.74 against 0.83)
        if best is None or not (self._good(best) or restart_worthy(
                best, cfg, self._inlier_ref, self._resid_ref, self.noise.extra_resid_m,
                max(self._body_inliers(best, frame), self._inliers_without_plates(best, frame)))):
            return None
        self.state = "tracking"
        self.anchors = last.anchors
        self.theta = best.theta
        self.theta_prev = None
        self._reacq = 0
        self._bad = self._poor = 0
        self.limbs.search_all(poor=True)   # the limbs may be anywhere
        return best
