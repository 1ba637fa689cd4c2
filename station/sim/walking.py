"""Walking into and out of view, and the whole visit built around it.

walk_in ends standing upright at its Stance exactly as the planted scripts of station.sim.motion
start, walk_out starts there, so a visit (session) joins without a jump. The body moves on a
free root along a footstep plan; the pelvis follows the midpoint of the feet.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

import numpy as np

from station.sim.kinematics import (FreeRootParams, PoseParams, Proportions, _hanging_arms, _heading,
                                    pose_free_root, pose_from_angles)
from station.sim.motion import HingeRepParams, Stance, hinge_set, min_jerk, stand
from station.sim.pose import SIM_INDEX
from station.sim.take import MotionTake, concat, finish_take
from station.sim.truth import LiftingZone


def _walk(props: Proportions, feet0: list[tuple[np.ndarray, float]], steps: list[tuple[int, np.ndarray, float]],
          fps: float, step_s: float, final: PoseParams | None, initial: PoseParams | None) -> np.ndarray:
    """Poses for a footstep plan. feet0: [(left xy, yaw), (right xy, yaw)]; steps: (side 0/1, xy, yaw).

    The pelvis follows the midpoint of the feet (minimum-jerk per step), its height limited by
    the legs' reach; `initial`/`final` planted params pin the first/last frame's pelvis height
    to the planted standing pose so takes join without a jump.
    """
    p = props
    n_steps = len(steps)
    swing_s = 0.8 * step_s
    n = int(round(n_steps * step_s * fps)) + 1
    t = np.arange(n) / fps
    centres = [(0.5 * (feet0[0][0] + feet0[1][0]), 0.5 * (feet0[0][1] + feet0[1][1]))]
    cur = [feet0[0], feet0[1]]
    for side, xy, yaw in steps:
        cur[side] = (np.asarray(xy, float), yaw)
        centres.append((0.5 * (cur[0][0] + cur[1][0]), 0.5 * (cur[0][1] + cur[1][1])))
    ankle = np.zeros((n, 2, 3))
    fyaw = np.zeros((n, 2))
    pel = np.zeros((n, 3))
    pyaw = np.zeros(n)
    for i, ti in enumerate(t):
        j = min(int(ti / step_s), n_steps - 1)
        s_step = (ti - j * step_s) / step_s
        # feet: planted ones at their last footstep, the swinging one on its way
        pos = [feet0[0], feet0[1]]
        for k in range(j):
            sd, xy, yaw = steps[k]
            pos[sd] = (np.asarray(xy, float), yaw)
        sd, xy, yaw = steps[j]
        a_xy, a_yaw = np.asarray(pos[sd][0], float), pos[sd][1]
        s = float(min_jerk(min((ti - j * step_s) / swing_s, 1.0)))
        lift = 0.06 * math.sin(math.pi * min((ti - j * step_s) / swing_s, 1.0)) ** 2
        for side in (0, 1):
            if side == sd:
                xy_s = a_xy + (np.asarray(xy, float) - a_xy) * s
                ankle[i, side] = (*xy_s, p.ankle_height_m + lift)
                fyaw[i, side] = a_yaw + (yaw - a_yaw) * s
            else:
                ankle[i, side] = (*np.asarray(pos[side][0], float), p.ankle_height_m)
                fyaw[i, side] = pos[side][1]
        c0, c1 = centres[j], centres[j + 1]
        sc = float(min_jerk(s_step))
        pel[i, :2] = c0[0] + (c1[0] - c0[0]) * sc
        pyaw[i] = c0[1] + (c1[1] - c0[1]) * sc
    # pelvis height: standing height, limited by the reach of both legs, smoothed from below
    reach = 0.995 * p.leg_length_m
    z_stand = p.standing_hip_height_m - 0.015
    z = np.full(n, z_stand)
    for i in range(n):
        _, l0 = _heading(pyaw[i])
        for side, sgn in ((0, 1.0), (1, -1.0)):
            hip_xy = pel[i, :2] + sgn * 0.5 * p.hip_width_m * l0[:2]
            h = float(np.linalg.norm(hip_xy - ankle[i, side, :2]))
            z[i] = min(z[i], ankle[i, side, 2] + math.sqrt(max(reach * reach - h * h, 0.0)))
    w = max(int(0.15 * fps), 1)
    zp = np.pad(z, w, mode="edge")
    zmin = np.array([zp[i:i + 2 * w + 1].min() for i in range(n)])
    zp = np.pad(zmin, w, mode="edge")
    z = np.array([zp[i:i + 2 * w + 1].mean() for i in range(n)])
    # pin the ends to the planted standing pelvis height (blend over the first/last step)
    for end, prm in ((0, initial), (n - 1, final)):
        if prm is None:
            continue
        zp_end = pose_from_angles(p, prm)[SIM_INDEX["pelvis"], 2]
        span = max(int(step_s * fps), 1)
        for k in range(span + 1):
            i = end + k if end == 0 else end - k
            wgt = 1.0 - float(min_jerk(k / span))
            z[i] = wgt * zp_end + (1.0 - wgt) * z[i]
    pel[:, 2] = z
    poses = np.zeros((n, len(SIM_INDEX), 3))
    arm_params = final or initial or PoseParams()
    for i in range(n):
        f0, l0 = _heading(pyaw[i])
        prm = FreeRootParams(pelvis_m=tuple(pel[i]), yaw_deg=float(pyaw[i]), ankle_l_m=tuple(ankle[i, 0]),
                             ankle_r_m=tuple(ankle[i, 1]), foot_yaw_l_deg=float(fyaw[i, 0]),
                             foot_yaw_r_deg=float(fyaw[i, 1]), elbow_flexion_deg=arm_params.elbow_flexion_deg)
        pose = pose_free_root(p, prm)
        # arms hang as in the planted pose, swinging opposite to the legs
        d_fwd = float((ankle[i, 1] - ankle[i, 0]) @ f0)
        for side, sgn in (("l", 1.0), ("r", -1.0)):
            ap = replace(arm_params, hands_forward_m=0.35 * sgn * d_fwd)
            tmp = pose.copy()
            _hanging_arms(tmp, p, l0, f0, ap)
            for nm in ("elbow", "wrist", "hand"):
                pose[SIM_INDEX[f"{nm}_{side}"]] = tmp[SIM_INDEX[f"{nm}_{side}"]]
        poses[i] = pose
    return poses


def _gait_plan(start_xy: np.ndarray, end_xy: np.ndarray, stance: Stance, step_m: float,
               toe_out: float) -> tuple[list, list, float]:
    """Footsteps walking from start_xy to a stance at end_xy, then turning to its yaw.

    Returns (initial feet, steps, walking yaw).
    """
    d = end_xy - start_xy
    walk_yaw = math.degrees(math.atan2(d[0], -d[1]))  # forward = (sin, −cos)
    f, l = (np.array(v[:2]) for v in _heading(walk_yaw))
    half = 0.5 * stance.stance_width_m
    feet0 = [(start_xy + half * l, walk_yaw + toe_out), (start_xy - half * l, walk_yaw - toe_out)]
    dist = float(np.linalg.norm(d))
    n = max(int(math.ceil(dist / step_m)), 1)
    steps = []
    for k in range(1, n + 1):
        c = start_xy + d * (k / n)
        side = 0 if k % 2 == 1 else 1  # left foot first
        sgn = 1.0 if side == 0 else -1.0
        steps.append((side, c + sgn * half * l, walk_yaw + sgn * toe_out))
    last = steps[-1][0]
    other = 1 - last
    steps.append((other, end_xy + (1.0 if other == 0 else -1.0) * half * l, walk_yaw + (1.0 if other == 0 else -1.0) * toe_out))
    # turn in place to the stance yaw in steps of at most 45°
    n_turn = max(int(math.ceil(abs(stance.yaw_deg - walk_yaw) / 45.0)), 1)
    side = last
    for k in range(1, n_turn + 1):
        yaw = walk_yaw + (stance.yaw_deg - walk_yaw) * k / n_turn
        _, lk = _heading(yaw)
        for sd in (side, 1 - side):
            sgn = 1.0 if sd == 0 else -1.0
            steps.append((sd, end_xy + sgn * half * lk[:2], yaw + sgn * toe_out))
    return feet0, steps, walk_yaw


def walk_in(props: Proportions, stance: Stance = Stance(), start_xy_m: tuple[float, float] = (3.2, 2.6),
            fps: float = 30.0, step_s: float = 0.55, step_m: float = 0.5,
            zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Walk from out of view (default: 3.2 m to the camera's right) to the stance, turn to face it.

    Ends standing upright at `stance` exactly as stand()/hinge_set() start.
    """
    final = stance.params()
    feet0, steps, _ = _gait_plan(np.asarray(start_xy_m, float), np.asarray(stance.feet_xy_m, float),
                                 stance, step_m, final.toe_out_deg)
    poses = _walk(props, feet0, steps, fps, step_s, final=final, initial=None)
    poses[-1] = pose_from_angles(props, final)
    return finish_take(props, fps, poses, zone, [], [], [("walk_in", 0.0, (len(poses) - 1) / fps)])


def walk_out(props: Proportions, stance: Stance = Stance(), end_xy_m: tuple[float, float] = (-3.2, 2.6),
             fps: float = 30.0, step_s: float = 0.55, step_m: float = 0.5,
             zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Turn from the stance and walk out of view (default: to the camera's left).

    Built as a walk from the exit towards the stance, played forwards along a mirrored plan:
    the footsteps of walk_in reversed in order, so the person walks forwards.
    """
    start = stance.params()
    end_xy = np.asarray(end_xy_m, float)
    c = np.asarray(stance.feet_xy_m, float)
    d = end_xy - c
    walk_yaw = math.degrees(math.atan2(d[0], -d[1]))
    toe = start.toe_out_deg
    half = 0.5 * stance.stance_width_m
    _, l_st = _heading(stance.yaw_deg)
    feet0 = [(c + half * l_st[:2], stance.yaw_deg + toe), (c - half * l_st[:2], stance.yaw_deg - toe)]
    steps = []
    # turn in place towards the walking direction (≤ 45° per pair of steps)
    delta = (walk_yaw - stance.yaw_deg + 180.0) % 360.0 - 180.0
    n_turn = max(int(math.ceil(abs(delta) / 45.0)), 1)
    for k in range(1, n_turn + 1):
        yaw = stance.yaw_deg + delta * k / n_turn
        _, lk = _heading(yaw)
        for sd in (0, 1):
            sgn = 1.0 if sd == 0 else -1.0
            steps.append((sd, c + sgn * half * lk[:2], yaw + sgn * toe))
    walk_yaw = stance.yaw_deg + delta
    _, lw = _heading(walk_yaw)
    dist = float(np.linalg.norm(d))
    n = max(int(math.ceil(dist / step_m)), 1)
    for k in range(1, n + 1):
        ck = c + d * (k / n)
        sd = 0 if k % 2 == 1 else 1  # left foot first
        sgn = 1.0 if sd == 0 else -1.0
        steps.append((sd, ck + sgn * half * lw[:2], walk_yaw + sgn * toe))
    sd = 1 - steps[-1][0]
    sgn = 1.0 if sd == 0 else -1.0
    steps.append((sd, end_xy + sgn * half * lw[:2], walk_yaw + sgn * toe))
    poses = _walk(props, feet0, steps, fps, step_s, final=None, initial=start)
    poses[0] = pose_from_angles(props, start)
    return finish_take(props, fps, poses, zone, [], [], [("walk_out", 0.0, (len(poses) - 1) / fps)])


def session(props: Proportions, reps: Sequence[HingeRepParams], stance: Stance = Stance(),
            fps: float = 30.0, stand_s: float = 2.0, seed: int = 0) -> MotionTake:
    """A whole visit: walk in, stand, a hinge set, stand, walk out."""
    return concat([walk_in(props, stance, fps=fps), stand(props, stand_s, stance, fps, seed),
                   hinge_set(props, reps, stance, fps, seed=seed + 1),
                   stand(props, stand_s, stance, fps, seed + 2), walk_out(props, stance, fps=fps)])
