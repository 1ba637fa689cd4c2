"""Retargeting motion capture: the CMU skeleton's segments as the sim's named points.

Forward kinematics (station.sim.acclaim) gives the ends and rotations of CMU's segments;
this maps them onto station.sim.pose.SIM_POINTS, and says how the CMU world becomes the
floor frame (station.frames).

From CMU to SIM_POINTS
----------------------
Every point is either a CMU bone end or rigid with one CMU segment, so bone lengths stay
constant. Definitions follow docs/analysis-output.md and station.model, i.e. they are the
anatomical points a depth-camera skeleton fitter estimates, not CMU's own joint names.

=========== ===================================================================================
sim point   from the CMU skeleton (bone ends = distal end of the named segment)
=========== ===================================================================================
head        centre of the head between the ears: upperneck end + 0.2·(head end − upperneck
            end), ≈ 8 cm below the vertex. The CMU head segment is 10 cm long, so its start
            (upperneck end) is ≈ 10 cm below the vertex, near ear level (tragion ≈ 12–13 cm
            below the vertex in adults); a head sphere fitted to depth data centres ≈ 8–10 cm
            below the top of the scalp. Uncertain by a few cm either way.
neck        midpoint of shoulder_l and shoulder_r (contract definition; not CMU's neck bones).
shoulder_*  clavicle end (lclavicle / rclavicle): CMU's glenohumeral joint centre.
elbow_*     humerus end.
wrist_*     radius end (CMU's wrist joint; the following "wrist" segment is the hand).
pelvis      midpoint of hip_l and hip_r (contract definition; NOT the CMU root).
hip_*       hipjoint end: the hip joint centres (femoral heads).
knee_*      femur end.
ankle_*     tibia end.
spine_low   L5/S1, top of the sacrum: the CMU root. It is rigid with the pelvis (the
            hipjoint segments have no dof) and sits ≈ 11 cm above and ≈ 3 cm behind the hip
            joint centres, where the lumbosacral joint is.
spine_mid   T12/L1, the thoracolumbar junction: midway along the upperback segment,
            lowerback end + 0.5·(upperback end − lowerback end), ≈ 17 cm above L5/S1 (the
            lumbar spine's length); it moves with the upperback segment.
head_top    head end (vertex of the skull).
hand_*      centre of the palm: halfway along CMU's "wrist" segment (radius end + 0.5·(wrist
            end − radius end), ≈ 5 cm beyond the wrist joint).
heel_*      back of the heel at the floor: rigid with the foot segment, on the foot's sole
            plane (ankle height below the ankle along the sole normal), HEEL_BACK_M = 5 cm
            behind the ankle along the foot's forward direction.
toe_*       toe tip at the floor: the toes end (rest pose, rigid with the foot segment)
            projected along the sole normal onto the sole plane.
=========== ===================================================================================

Floor frame (station.frames): z up, and at yaw 0 the person faces the camera, i.e. faces
floor −y, with their own left towards floor +x (camera right). CMU (Y up) becomes z-up by the
proper rotation R_ZUP_CMU (x, y, z) → (x, −z, y); a rotation about z then sets the facing.

The floor is the CMU lab floor (y = 0; the toe *markers* sit 3–5 cm above it). CMU's toes
and foot ends are joint points inside the shoe, not on the sole, so subtracting their height
would shrink the person by ≈ 4 cm; instead the sole plane of each foot is calibrated once
per clip from the frames where that foot stands still on the floor (calibrate_sole): its
normal in the foot's frame and the ankle's height above the floor. heel_* and toe_* lie on
that plane, so they touch z ≈ 0 whenever the foot is planted, and head_top keeps the
subject's measured standing height (≈ 1.67–1.69 m at the vertex of the CMU head segment).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.sim.acclaim import AMC_FPS_HZ, AsfSkeleton
from station.sim.pose import SIM_INDEX, SIM_POINTS

# Fractions and offsets of the SIM_POINTS mapping (see the module docstring).
HEAD_CENTRE_FRACTION = 0.2      # along upperneck end → head end
SPINE_MID_FRACTION = 0.5        # along lowerback end → upperback end (T12/L1)
PALM_FRACTION = 0.5             # along radius end → wrist end (CMU's hand segment)
HEEL_BACK_M = 0.05              # ankle joint centre to the back of the heel, horizontally

# CMU world (Y up) → z-up frame: a proper rotation about x by +90°, (x, y, z) → (x, −z, y).
R_ZUP_CMU = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass(frozen=True)
class SoleCalibration:
    """Where one foot's sole is, rigid with the foot segment (ASF rest-frame vectors).

    up_rest: unit vector, in the foot's rest frame, that points up (floor normal) while the
        foot stands flat; ankle_height_m: the ankle's height above the floor then;
        n_planted: how many frames the estimate used (0 = the rest-pose fallback).
    """

    up_rest: np.ndarray
    ankle_height_m: float
    n_planted: int


PLANTED_MIN_FRAMES = 60          # 0.5 s at 120 Hz
FALLBACK_ANKLE_HEIGHT_M = 0.085  # CMU subject 13's flat-foot ankle height, when no frame is planted


def calibrate_sole(ankle_m: np.ndarray, R_foot: np.ndarray, fps_hz: float) -> SoleCalibration:
    """Flat-foot geometry of one foot from the frames where it is planted on the CMU floor (y = 0).

    Planted = the ankle within 1.5 cm of its 5th-percentile height and moving < 0.15 m/s.
    The median of the world up vector seen in the foot's rest frame gives the sole's normal,
    so a foot whose CMU pitch is biased (subject 13's left foot is pitched up ≈ 8° relative
    to the right one in quiet standing) still gets its sole on the floor.
    """
    y = ankle_m[:, 1]
    speed = np.zeros(len(y))
    if len(y) > 1:
        v = np.linalg.norm(np.diff(ankle_m, axis=0), axis=1) * fps_hz
        speed[1:] = v
        speed[0] = v[0]
    planted = (y < np.percentile(y, 5) + 0.015) & (speed < 0.15)
    n = int(planted.sum())
    if n < PLANTED_MIN_FRAMES:
        return SoleCalibration(np.array([0.0, 1.0, 0.0]), FALLBACK_ANKLE_HEIGHT_M, 0)
    up = np.median(R_foot[planted, 1, :], axis=0)  # R^T · ŷ = row 1 of R
    up /= np.linalg.norm(up)
    return SoleCalibration(up, float(np.median(y[planted])), n)


def sole_offsets_rest(skeleton: AsfSkeleton, side: str, cal: SoleCalibration) -> tuple[np.ndarray, np.ndarray]:
    """(heel, toe) relative to the ankle in the foot's rest frame (metres).

    heel: HEEL_BACK_M behind the ankle along the foot's forward direction (ankle → toe tip
    with the component along the sole normal removed) and on the sole plane.
    toe: the rest-pose toe tip (toes end) projected along the sole normal onto the sole plane.
    """
    bones = {b.name: b for b in skeleton.bones}
    foot, toes = bones[f"{side}foot"], bones[f"{side}toes"]
    tip = foot.direction * foot.length_m + toes.direction * toes.length_m
    u = cal.up_rest
    fwd = tip - (tip @ u) * u
    fwd /= np.linalg.norm(fwd)
    heel = -HEEL_BACK_M * fwd - cal.ankle_height_m * u
    toe = tip - (tip @ u + cal.ankle_height_m) * u
    return heel, toe


def sim_points_from_fk(skeleton: AsfSkeleton, ends_m: np.ndarray, rots: np.ndarray,
                       fps_hz: float = AMC_FPS_HZ) -> tuple[np.ndarray, dict[str, SoleCalibration]]:
    """SIM_POINTS (n, len(SIM_POINTS), 3) in the CMU world frame (metres, Y up) from forward
    kinematics, and the sole calibration used for each foot ({"l": ..., "r": ...})."""
    names = ("root",) + skeleton.bone_names
    E = lambda name: ends_m[:, names.index(name)]  # noqa: E731
    out = np.empty((ends_m.shape[0], len(SIM_POINTS), 3))
    cals: dict[str, SoleCalibration] = {}

    def put(name, value):
        out[:, SIM_INDEX[name]] = value

    for side in ("l", "r"):
        put(f"shoulder_{side}", E(f"{side}clavicle"))
        put(f"elbow_{side}", E(f"{side}humerus"))
        put(f"wrist_{side}", E(f"{side}radius"))
        put(f"hand_{side}", E(f"{side}radius") + PALM_FRACTION * (E(f"{side}wrist") - E(f"{side}radius")))
        put(f"hip_{side}", E(f"{side}hipjoint"))
        put(f"knee_{side}", E(f"{side}femur"))
        ankle = E(f"{side}tibia")
        put(f"ankle_{side}", ankle)
        R_foot = rots[:, names.index(f"{side}foot")]
        cals[side] = cal = calibrate_sole(ankle, R_foot, fps_hz)
        heel_rest, toe_rest = sole_offsets_rest(skeleton, side, cal)
        put(f"heel_{side}", ankle + R_foot @ heel_rest)
        put(f"toe_{side}", ankle + R_foot @ toe_rest)
    put("neck", 0.5 * (E("lclavicle") + E("rclavicle")))
    put("pelvis", 0.5 * (E("lhipjoint") + E("rhipjoint")))
    put("spine_low", E("root"))
    put("spine_mid", E("lowerback") + SPINE_MID_FRACTION * (E("upperback") - E("lowerback")))
    put("head", E("upperneck") + HEAD_CENTRE_FRACTION * (E("head") - E("upperneck")))
    put("head_top", E("head"))
    return out, cals
