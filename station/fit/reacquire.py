"""Re-acquiring a lost track in whatever pose the lifter is in (bent over, half locked out,
mid-swing): restart poses from the last good one, ordered by what the cloud says, and the
checks a restarted fit must pass before it is believed.

A restarted fit is believed only when it explains the cloud as well as this track usually
does (residual and inliers relative to the track's own, so a heavy body in a hoodie, whose
fit is never tight, is not refused) AND its top agrees with the cloud's top: a model bent
over on a person who stands tall (or upright on one who is bent over) can explain most of
the visible points with its thighs and trunk, but not the height of the head.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from station.fit import _kernels as K
from station.fit.body_model import DOF, BodyModel
from station.fit.solver import (
    FitResult,
    FitWeights,
    FrameData,
    Workspace,
    posed_capsules,
    posed_segments,
)
from station.fit.start import top_height_m

if TYPE_CHECKING:
    from station.fit.tracker import TrackerConfig

# trunk pitches (deg) whose model top is matched against the cloud's top
_PITCH_GRID_DEG = np.arange(-10.0, 101.0, 5.0)   # (root_pitch is limited to 100)


@dataclass
class LastGood:
    """The last pose worth restarting from, and what went with it."""

    theta: np.ndarray
    points_floor_m: np.ndarray       # its frame's points (n, 3), floor frame (not written to)
    anchors: np.ndarray | None       # feet anchors (2, 3)
    held: object                     # the implements' held / bar state (station.fit.implements)
    bar: object

    @cached_property
    def centre_xy_m(self) -> np.ndarray:
        """The cloud's horizontal centre (cloud_centre_xy_m): worked out only when a restart
        needs it (a good frame replaces the last one most frames)."""
        return cloud_centre_xy_m(self.points_floor_m)


def cloud_centre_xy_m(points_floor_m: np.ndarray) -> np.ndarray:
    """A cloud's horizontal centre, floor frame: the median, not the mean. A bar's plates join
    the lifter's blob one at a time (good_morning_bar_back@capsule: the mean moved 0.38 m
    sideways between two frames as one plate and then the other was in it), and a restart
    moved with them starts a shoulder's width off the lifter."""
    return np.median(points_floor_m[:, :2], axis=0)


def cloud_top_m(points_floor: np.ndarray) -> float:
    """The cloud's top above the floor (start.top_height_m, as the start measures stature)."""
    return top_height_m(points_floor[:, 2])


def model_top_m(body: BodyModel, theta: np.ndarray, ws: Workspace) -> float:
    """The posed model's top above the floor (the highest capsule surface)."""
    ca, cb = posed_capsules(body, theta, ws)
    return float(max(np.max(ca[:, 2] + body.cap_ra), np.max(cb[:, 2] + body.cap_rb)))


# an arm hanging under its shoulder in the last good pose (flexion against the vertical within
# this range and the elbow under _HANGING_ELBOW_DEG) still hangs when the trunk has bent since:
# its hand holds the bar, dumbbells or bell, which hang below the shoulders
_HANGING_SHOULDER_DEG = (-30.0, 40.0)
_HANGING_ELBOW_DEG = 45.0


_TRUNK_PITCH_DOFS = ("root_pitch", "lumbar_flex", "thorax_flex", "upper_thorax_flex")


def hanging_arms(theta: np.ndarray) -> tuple[str, ...]:
    """The sides ("l", "r") whose arm hangs under its shoulder in this pose: its flexion
    against the world's vertical (the shoulder's minus the trunk's pitch) within the range.
    Measured against the trunk, a bent lifter's hanging arms (flexed as far as the trunk
    is pitched) read as raised, and a restart pitched upright from a bent last good pose
    held them out in front (mesh_O_faults2@mesh, dumbbells, lost half way up)."""
    lo, hi = (math.radians(d) for d in _HANGING_SHOULDER_DEG)
    trunk = sum(float(theta[DOF[k]]) for k in _TRUNK_PITCH_DOFS)
    return tuple(s for s in ("l", "r")
                 if lo < theta[DOF[f"shoulder_{s}_flex"]] - trunk < hi
                 and theta[DOF[f"elbow_{s}_flex"]] < math.radians(_HANGING_ELBOW_DEG))


def pitched(theta: np.ndarray, pitch_rad: float, knee_rad: float | None = None) -> np.ndarray:
    """theta with the trunk pitched to pitch_rad (a hinge: the pelvis turns over the hips, the
    thighs stay where they were), and the knees set to knee_rad when given. An arm that hung
    at the side still hangs (its shoulder flexed by the pitch's change): pitched with the
    trunk, a standing pose's arms point forward along a bent trunk and hold their implement
    half a metre from where it hangs, and the restart explains too little of the cloud to
    be believed (rdl_clean@capsule, lost standing and back at the bottom 1.5 s later: inliers
    0.55-0.65 against the track's 0.75 there; a new person was started on the bent lifter)."""
    th = theta.copy()
    d = pitch_rad - float(theta[DOF["root_pitch"]])
    th[DOF["root_pitch"]] = pitch_rad
    for side in hanging_arms(theta):
        th[DOF[f"shoulder_{side}_flex"]] += d
    for side in ("l", "r"):
        th[DOF[f"hip_{side}_flex"]] += d
        if knee_rad is not None:
            th[DOF[f"knee_{side}_flex"]] = knee_rad
    return th


def shifted(theta: np.ndarray, d_xy_m: np.ndarray) -> np.ndarray:
    """theta moved horizontally by d_xy_m (floor frame)."""
    th = theta.copy()
    th[DOF["root_tx"]] += float(d_xy_m[0])
    th[DOF["root_ty"]] += float(d_xy_m[1])
    return th


def moved(theta: np.ndarray, centre_xy_m: np.ndarray, frame: FrameData) -> np.ndarray:
    """theta moved horizontally with the cloud's centre (cloud_centre_xy_m; centre_xy_m: the
    last good frame's)."""
    return shifted(theta, cloud_centre_xy_m(frame.points_floor_m) - centre_xy_m)


def facing_centroid_xy_m(body: BodyModel, theta: np.ndarray, cam_pos_floor_m: np.ndarray,
                         ws: Workspace) -> np.ndarray:
    """The horizontal centroid (floor frame) of the posed model's surface samples that face the
    camera: where the model's share of a cloud is centred (self-occlusion ignored)."""
    posed_segments(body, theta, ws)
    p = np.empty_like(body.sample_local)
    n = np.empty_like(body.sample_normal_local)
    K.points_to_world(ws.seg_R, ws.seg_t, body.sample_seg, body.sample_local, p)
    K.vectors_to_world(ws.seg_R, body.sample_seg, body.sample_normal_local, n)
    facing = np.einsum("ij,ij->i", n, cam_pos_floor_m - p) > 0.0
    return p[facing, :2].mean(axis=0)


def placed(body: BodyModel, theta: np.ndarray, centroid_xy_m: np.ndarray,
           cam_pos_floor_m: np.ndarray, ws: Workspace) -> np.ndarray:
    """theta moved horizontally so that its camera-facing centroid lies at centroid_xy_m.

    A hinge keeps the body's mass over the feet: as the trunk pitches forward the hips go
    back, and as it comes up they come forward. A pose pitched about fixed hips (pitched())
    puts them where they were: mesh_O_faults2@mesh, lost 1 s while coming up from a bent
    last good pose, had the pelvis 0.2 m nearer the mirror than every restart's, and none of
    them converged onto it (inliers 0.5-0.7 for the track's 0.99)."""
    return shifted(theta, centroid_xy_m - facing_centroid_xy_m(body, theta, cam_pos_floor_m, ws))


def matched_pitch_rad(body: BodyModel, theta: np.ndarray, top_m: float, ws: Workspace) -> float:
    """The trunk pitch at which this pose's model top is nearest the cloud's top (the hinge
    depth the cloud shows)."""
    best, best_d = float(theta[DOF["root_pitch"]]), math.inf
    for deg in _PITCH_GRID_DEG:
        p = math.radians(float(deg))
        d = abs(model_top_m(body, pitched(theta, p), ws) - top_m)
        if d < best_d:
            best, best_d = p, d
    return best


def reacquire_hypotheses(body: BodyModel, last: LastGood, frame: FrameData, ws: Workspace,
                         pitches_deg: tuple[float, ...], straight_knee_deg: float = 5.0) -> list[np.ndarray]:
    """Poses to restart a lost track from, most likely first: the last good pose moved with the
    cloud and pitched to the hinge depth the cloud's top shows (as it was, and with nearly
    straight knees), the last good pose as it was, the matched pitch +-15 deg, then a few
    fixed hinge depths. Each pitched pose is placed as a hinge places it (placed: its
    camera-facing centroid where the moved pose's is). The limbs stay as they were (a limb
    search follows)."""
    base = moved(last.theta, last.centre_xy_m, frame)
    p = matched_pitch_rad(body, base, cloud_top_m(frame.points_floor_m), ws)
    straight = math.radians(straight_knee_deg)
    cam = frame.cam_pos_floor_m
    centre = facing_centroid_xy_m(body, base, cam, ws)

    def hinge(pitch_rad: float, knee_rad: float | None = None) -> np.ndarray:
        return placed(body, pitched(base, pitch_rad, knee_rad), centre, cam, ws)

    hyps = [hinge(p), hinge(p, straight), base,
            hinge(p - math.radians(15.0)), hinge(p + math.radians(15.0))]
    hyps += [hinge(math.radians(d)) for d in pitches_deg]
    hyps.append(last.theta.copy())
    return hyps


def top_agrees(body: BodyModel, fit: FitResult, frame: FrameData, ws: Workspace,
               below_m: float, above_m: float) -> bool:
    """The fitted model's top lies within below_m under / above_m over the cloud's top (the
    cloud may miss the crown when the camera is below the head)."""
    d = model_top_m(body, fit.theta, ws) - cloud_top_m(frame.points_floor_m)
    return -below_m <= d <= above_m


def restart_poses(hyps: list[np.ndarray], per_frame: int, cycle: int) -> list[np.ndarray]:
    """This frame's restart poses: the per_frame - 1 likeliest, and one of the rest in turn."""
    k = max(per_frame - 1, 1)
    rest = hyps[k:]
    return hyps[:k] + ([rest[cycle % len(rest)]] if rest and per_frame > 1 else [])


def best_restart(fit: Callable[..., FitResult], body: BodyModel, frame: FrameData, ws: Workspace,
                 poses: list[np.ndarray], anchors: np.ndarray | None, coarse: FitWeights,
                 cfg: TrackerConfig) -> FitResult | None:
    """Each pose fitted with a wide robust scale then the normal one (fit: Tracker._fit); of
    those whose top agrees with the cloud's, the lowest energy, refined (None if none)."""
    best = None
    for th in poses:
        r = fit(frame, th, None, 4, anchors, weights=coarse)
        r = fit(frame, r.theta, None, 4, anchors)
        if (best is None or r.energy < best.energy) and top_agrees(
                body, r, frame, ws, cfg.reacquire_top_below_m, cfg.reacquire_top_above_m):
            best = r
    return None if best is None else fit(frame, best.theta, None, cfg.track_iterations, anchors)


def restart_worthy(fit: FitResult, cfg: TrackerConfig, inlier_ref: float, resid_ref: float,
                   extra_resid_m: float, inlier_fraction: float | None = None) -> bool:
    """A fit that explains the cloud as this track usually does (its usual inlier fraction
    and residual, from good frames), or as a good fit does: good enough to restart from.
    inlier_fraction: the share to judge (the tracker's body_inlier_fraction; None: the fit's own)."""
    resid = max(cfg.reacquire_residual_m, cfg.reacquire_residual_ratio * resid_ref)
    inl = fit.inlier_fraction if inlier_fraction is None else inlier_fraction
    return (fit.mean_abs_residual_m <= resid + extra_resid_m
            and inl >= min(cfg.reacquire_inlier_fraction, inlier_ref - cfg.recover_inlier_drop))
