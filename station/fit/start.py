"""Starting a track: is an upright, whole person in view, where to place the model on them,
and how big they are (stature from the blob, build from the sides of the trunk and thighs).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np

from station.fit.body_model import BodyModel, Shape, build_body, neutral_pose
from station.fit.personal import rebased
from station.fit.solver import FrameData, Workspace, capsule_distances, posed_capsules
from station.model import PersonCloud

if TYPE_CHECKING:
    from station.fit.tracker import TrackerConfig

# capsules used to estimate the build (radius scale): trunk and thighs, not hands/head
_BUILD_CAPS = ("pelvis", "abdomen", "chest_low", "chest_high", "thigh_l", "thigh_r")


def upright_height(points_floor: np.ndarray, cfg: "TrackerConfig",
                    person_height_m: float | None,
                    cam_pos_floor_m: np.ndarray | None = None, relaxed: bool = False) -> float | None:
    """Stature estimate when the blob looks like a person standing upright, else None.

    Upright = the top of the blob is head-sized (not the back or hips of someone bent over)
    and lies above the hips within `upright_max_lean_ratio` x height horizontally (about
    10 degrees of trunk lean), or, with `relaxed` (a new person's start), when it does not (a
    forward head, a slouch, soft knees: an ordinary relaxed stance), the chest is over the
    hips within `upright_max_trunk_tilt_deg` (trunk_tilt_deg). Not relaxed for a restart of
    a track (a poor fit while "upright"): there a top-of-the-rep lean of 10-15 deg would
    start the fit afresh mid-set. The head is the cap of points in the top 10 % within 0.25 m of
    the highest points over the body's column (body_column: a hand raised beside the head,
    higher than it, neither moves it nor sets the stature); only points within
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
    h = float(person_height_m) if person_height_m else top_height_m(z)
    found = _upright(points_floor, cfg, h - cfg.height_offset_m, np.ones(len(z), bool), cam_pos_floor_m, relaxed)
    if found is not None:
        return found
    # the blob's top may be a hand raised beside the head or an implement: then the head and
    # the stature are the top of the points over the body's column
    col = body_column(points_floor, h, cfg.upright_column_radius_m)
    if col is None:
        return None
    h = min(h, top_height_m(z[col]) + 0.02) - cfg.height_offset_m
    return _upright(points_floor, cfg, h, col, cam_pos_floor_m, relaxed)


def _upright(points_floor: np.ndarray, cfg: "TrackerConfig", h: float, col: np.ndarray,
             cam_pos_floor_m: np.ndarray | None, relaxed: bool = False) -> float | None:
    """upright_height's test for a stature h, the head sought among the points `col`."""
    z = points_floor[:, 2]
    lo, hi = cfg.upright_height_range_m
    if not (lo <= h <= hi):
        return None
    zc = np.where(col, z, -np.inf)
    top_xy = points_floor[np.argsort(zc)[-3:], :2].mean(axis=0)
    horiz = np.linalg.norm(points_floor[:, :2] - top_xy, axis=1)
    cap = points_floor[col & (z > 0.90 * h) & (horiz < 0.25)]
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
        # the head ahead of the hips: a forward head and a slouch move it as much as a lean
        # does (a relaxed stance with soft knees: 7-12% of the height), so the trunk itself
        # decides: upright when the chest is over the hips
        tilt = trunk_tilt_deg(points_floor, near, h) if relaxed else None
        if tilt is None or tilt > cfg.upright_max_trunk_tilt_deg:
            return None
    return h


def trunk_tilt_deg(points_floor: np.ndarray, near: np.ndarray, h: float) -> float | None:
    """How far the trunk seen in the cloud leans from vertical (deg): the line from the hips'
    band (0.50-0.62 x height) to the chest's (0.70-0.80 x height), each the median of the
    points `near` the head's column; the arms hang on both sides of both bands. None with too
    few points in either band."""
    z = points_floor[:, 2]
    hips = points_floor[near & (z > 0.50 * h) & (z < 0.62 * h)]
    chest = points_floor[near & (z > 0.70 * h) & (z < 0.80 * h)]
    if len(hips) < 15 or len(chest) < 15:
        return None
    run = float(np.linalg.norm(np.median(chest[:, :2], axis=0) - np.median(hips[:, :2], axis=0)))
    rise = float(np.median(chest[:, 2]) - np.median(hips[:, 2]))
    return math.degrees(math.atan2(run, max(rise, 1e-6)))


def top_height_m(z: np.ndarray) -> float:
    """The top of a cloud above the floor from its heights z: the mean of its three highest
    (one stray point does not set it)."""
    return float(np.mean(np.sort(z)[-3:]))


def body_column(points_floor: np.ndarray, height_m: float, radius_m: float) -> np.ndarray | None:
    """(n,) bool: the points within radius_m (horizontally) of the body's column, the median of
    the legs and hips (0.25-0.6 x height: under raised hands, beside a bar's hanging plates,
    which are symmetric); None with too few points there."""
    z = points_floor[:, 2]
    legs = points_floor[(z > 0.25 * height_m) & (z < 0.6 * height_m), :2]
    if len(legs) < 15:
        return None
    return np.linalg.norm(points_floor[:, :2] - np.median(legs, axis=0), axis=1) < radius_m


def feet_seen(points_floor: np.ndarray, height_m: float, radius_m: float = 0.45,
              min_points: int = 15) -> bool:
    """Whether the cloud reaches the floor under the body (points below 0.15 x height within
    radius_m of the body's column): the legs are not hidden (behind a plate, a bench, the
    image's bottom edge), so the stature, build and feet can be measured."""
    z = points_floor[:, 2]
    col = body_column(points_floor, height_m, radius_m)
    low = (z < 0.15 * height_m) & (col if col is not None else True)
    return int(np.count_nonzero(low)) >= min_points


def initial_pose(points_floor: np.ndarray, shape: Shape, radius_m: float = 0.45) -> np.ndarray:
    """An upright pose roughly placed on the cloud: position from the chest band below the
    head, yaw from the band's principal horizontal axis (assumed to face the camera's
    half-space). Points further than radius_m from the head's column (a bar's ends, plates)
    are ignored."""
    H = shape.height_m
    z = points_floor[:, 2]
    col = body_column(points_floor, H, radius_m)
    top = points_floor[(z > 0.88 * H) & (col if col is not None else True)]
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


class StartGate:
    """Upright and whole (not cut by the image's sides) over a few frames in a row, the head
    moving no more than a walking pace between them: someone walking into the zone starts as
    they arrive (the feet anchors are only set once tracking, about a second later, from
    feet on the floor), a blob that jumps (another person, a segmentation glitch) does not."""

    def __init__(self, cfg: "TrackerConfig"):
        self.cfg = cfg
        self.heads: list = []

    def clear(self) -> None:
        self.heads.clear()

    def ready(self, frame: FrameData, cloud: PersonCloud, h: float) -> bool:
        cfg = self.cfg
        u = cloud.pixels_uv[:, 0]
        w = cloud.mask.shape[1]
        z = frame.points_floor_m[:, 2]
        col = body_column(frame.points_floor_m, h, cfg.upright_column_radius_m)
        top = (z > 0.9 * h) & (col if col is not None else True)
        head = np.median(frame.points_floor_m[top if top.any() else z > 0.9 * h, :2], axis=0)
        whole = len(u) > 0 and u.min() >= cfg.border_margin_px and u.max() < w - cfg.border_margin_px
        hist = self.heads
        step_ok = bool(hist) and float(np.linalg.norm(head - hist[-1])) < cfg.start_max_step_m
        if not (whole and (step_ok or cfg.start_frames == 0)):
            hist.clear()
            if not whole:
                return False
        hist.append(head)
        del hist[:-(cfg.start_frames + 1)]
        return len(hist) >= cfg.start_frames + 1

    def walk_heading(self) -> float | None:
        """The yaw of the head's motion over the start frames when it moves at a walking
        pace (more than `start_walk_step_m` per frame), else None."""
        hist = self.heads
        if len(hist) < 2:
            return None
        d = np.asarray(hist[-1]) - np.asarray(hist[0])
        if float(np.linalg.norm(d)) < self.cfg.start_walk_step_m * (len(hist) - 1):
            return None
        return math.atan2(float(d[1]), float(d[0]))


def build_ratio(body: BodyModel, theta: np.ndarray, frame: FrameData,
                ws: Workspace) -> float | None:
    """The build (radius scale) the trunk and thighs' points suggest: the median signed
    distance of their points to their capsules, as a ratio of the mean radius; None with
    too few points."""
    ca, cb = posed_capsules(body, theta, ws)
    idx, dist, nrm = capsule_distances(frame.points_floor_m, ca, cb, body.cap_ra, body.cap_rb)
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
        return None
    r_mean = float(np.mean((body.cap_ra[caps] + body.cap_rb[caps]) / 2))
    return body.shape.build * (1.0 + float(np.median(dist[sel])) / r_mean)


def resized(old: BodyModel, theta: np.ndarray, heights: list[float],
            build_ratios: list[float], belly_fwd: float = 0.0,
            arm_build: Callable[[float], float] | None = None) -> tuple[BodyModel, np.ndarray]:
    """The body of the median stature and build measured while initialising (and the belly
    depth, station.fit.personal.belly_depth, and the arms' build for that build:
    station.fit.personal.ArmBuild.arm_build), and the pose kept on it (the root height
    follows the new leg length)."""
    H = float(np.median(heights))
    b = float(np.clip(np.median(build_ratios), 0.75, 1.5)) if build_ratios else 1.0
    body = build_body(Shape(height_m=H, build=b, belly_fwd=belly_fwd,
                            arm_build=arm_build(b) if arm_build is not None else 1.0))
    return body, rebased(theta, old, body)
