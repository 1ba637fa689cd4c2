"""The synthetic athlete's skeleton: body proportions and forward kinematics to SIM_POINTS.

Poses are (len(SIM_POINTS), 3) float64 arrays in the floor frame (metres, z up; see
station.frames and station.sim.pose).

Proportions follow the classic segment-length ratios of Drillis & Contini (1966) as tabulated
by Winter (Biomechanics and Motor Control of Human Movement, fig. 4.1), as fractions of the
standing height H: ankle height 0.039H, shank 0.246H, thigh 0.245H (hip joint at 0.530H),
foot length 0.152H, upper arm 0.186H, forearm 0.146H, hand 0.108H, shoulder (acromion) height
0.818H, chin 0.870H. Joint-centre widths (hip joint centres ~0.10H apart, glenohumeral centres
~0.20H apart) are narrower than the body breadths in that table (0.191H, 0.259H) because they
are bone centres, not skin.

Sagittal angle convention used throughout: an angle in the person's sagittal plane is measured
from "up" towards the person's front, i.e. a right-handed rotation about the person's left
axis (up × forward = left, as in station.form.angles). Flexion is positive.

Two forward-kinematics entry points:

pose_from_angles(props, PoseParams)
    Planted: the chain is built from the feet on the floor upward (ankle → knee → hip →
    pelvis → spine → shoulders/arms → head), so a hinge moves the hips back with the feet
    fixed. `hip_flexion_deg` is the contract's hip flexion (trunk line neck−pelvis against the
    thigh line, sagittal), met exactly for symmetric legs (mean of the two legs otherwise);
    `lateral_shift_m` is met exactly as the contract's pelvis_lateral_shift. The pelvis tilt
    is not a free parameter: it follows from hip flexion, lumbar and thoracic flexion.
pose_free_root(props, FreeRootParams)
    Free root for walking: pelvis position, yaw and trunk pitch given, ankles placed anywhere
    (feet may leave the floor), knees by two-link inverse kinematics.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from station.frames import UP_FLOOR
from station.sim.pose import SIM_INDEX, SIM_POINTS

_I = SIM_INDEX
N_POINTS = len(SIM_POINTS)


# ---------------------------------------------------------------------------------------------
# Proportions

@dataclass(frozen=True)
class Proportions:
    """Segment lengths (metres) and the rest geometry of the pelvis and spine.

    Pelvis-local rest offsets are (forward, up) from the pelvis (mid-hip) in the standing pose.
    `build` in 0..1 (0.5 average) widens the frame a little; girth belongs to the body surface.
    """

    height_m: float
    build: float
    ankle_height_m: float
    shank_m: float
    thigh_m: float
    hip_width_m: float          # distance between the hip joint centres
    heel_back_m: float          # ankle centre to back of heel, along the foot
    toe_forward_m: float        # ankle centre to toe tip, along the foot
    spine_low_fwd_up_m: tuple[float, float]   # L5/S1 from the pelvis centre (behind, above)
    spine_mid_fwd_up_m: tuple[float, float]   # T12/L1 from the pelvis centre, standing
    neck_fwd_up_m: tuple[float, float]        # mid-shoulders from the pelvis centre, standing
    shoulder_width_m: float     # distance between the glenohumeral joint centres
    neck_to_head_m: float       # mid-shoulders to head centre (between the ears)
    head_to_top_m: float        # head centre to the vertex
    upper_arm_m: float
    forearm_m: float
    wrist_to_palm_m: float      # wrist centre to palm centre
    limb_clearance_m: float     # least distance of a hanging hand's palm from a leg bone line

    @classmethod
    def from_height(cls, height_m: float, build: float = 0.5) -> "Proportions":
        if not 1.2 <= height_m <= 2.3:
            raise ValueError(f"height_m={height_m} is outside 1.2..2.3 m")
        if not 0.0 <= build <= 1.0:
            raise ValueError(f"build={build} is outside 0..1")
        H = float(height_m)
        b = float(build) - 0.5
        hip_z = 0.530  # 0.039 + 0.246 + 0.245
        return cls(
            height_m=H, build=float(build),
            ankle_height_m=0.039 * H,
            shank_m=0.246 * H,
            thigh_m=0.245 * H,
            hip_width_m=(0.100 + 0.010 * b) * H,
            heel_back_m=0.035 * H,
            toe_forward_m=0.117 * H,          # foot length 0.152H
            spine_low_fwd_up_m=(-0.020 * H, 0.050 * H),
            spine_mid_fwd_up_m=(-0.025 * H, 0.150 * H),   # T12/L1 at ~0.68H
            neck_fwd_up_m=(0.0, (0.800 - hip_z) * H),     # glenohumeral centres ~0.80H
            shoulder_width_m=(0.200 + 0.020 * b) * H,
            neck_to_head_m=0.125 * H,                    # head centre (tragion level) ~0.925H
            head_to_top_m=0.075 * H,
            upper_arm_m=0.186 * H,
            forearm_m=0.146 * H,
            wrist_to_palm_m=0.040 * H,
            limb_clearance_m=(0.055 + 0.015 * b) * H,
        )

    @property
    def standing_hip_height_m(self) -> float:
        return self.ankle_height_m + self.shank_m + self.thigh_m

    @property
    def leg_length_m(self) -> float:
        return self.shank_m + self.thigh_m

    def rest_spine(self) -> tuple[float, float, float, float]:
        """(lumbar length, lumbar rest angle in the pelvis, thoracic length, thoracic rest angle
        relative to the lumbar segment); angles in radians, sagittal convention."""
        sl = np.array(self.spine_low_fwd_up_m)
        sm = np.array(self.spine_mid_fwd_up_m)
        nk = np.array(self.neck_fwd_up_m)
        lv, tv = sm - sl, nk - sm
        a_l = math.atan2(lv[0], lv[1])
        a_t = math.atan2(tv[0], tv[1])
        return float(np.hypot(*lv)), a_l, float(np.hypot(*tv)), a_t - a_l

    def bone_pairs(self) -> list[tuple[str, str, float]]:
        """Point pairs whose distance is constant in every pose, with that distance."""
        lum, _, tho, _ = self.rest_spine()
        sl = np.array(self.spine_low_fwd_up_m)
        out = [
            ("ankle_l", "knee_l", self.shank_m), ("ankle_r", "knee_r", self.shank_m),
            ("knee_l", "hip_l", self.thigh_m), ("knee_r", "hip_r", self.thigh_m),
            ("hip_l", "hip_r", self.hip_width_m),
            ("pelvis", "spine_low", float(np.hypot(*sl))),
            ("spine_low", "spine_mid", lum), ("spine_mid", "neck", tho),
            ("shoulder_l", "shoulder_r", self.shoulder_width_m),
            ("neck", "head", self.neck_to_head_m), ("head", "head_top", self.head_to_top_m),
            ("shoulder_l", "elbow_l", self.upper_arm_m), ("shoulder_r", "elbow_r", self.upper_arm_m),
            ("elbow_l", "wrist_l", self.forearm_m), ("elbow_r", "wrist_r", self.forearm_m),
            ("wrist_l", "hand_l", self.wrist_to_palm_m), ("wrist_r", "hand_r", self.wrist_to_palm_m),
        ]
        return out


# ---------------------------------------------------------------------------------------------
# Parameters

@dataclass(frozen=True)
class PoseParams:
    """Planted pose parameters (degrees, metres). Defaults are standing upright facing the camera.

    Feet: `feet_xy_m` is the mid-ankle point on the floor; `yaw_deg` 0 faces the camera (the
    person faces floor −y and their left is floor +x); positive yaw turns them to their left
    (counter-clockwise seen from above). `stance_width_m` is the ankle-centre distance;
    `toe_out_deg` turns each foot outwards.
    Legs (per side): `shank_lean_*_deg` forward lean of the shank from vertical (ankle
    dorsiflexion), `knee_flexion_*_deg` (the contract's knee flexion, exact).
    `hip_flexion_deg`: the contract's hip flexion (trunk line against the thigh line); negative =
    hyperextension. `lateral_shift_m`: the contract's pelvis_lateral_shift (+ = to the left).
    Spine: `lumbar_flexion_deg` bends T12/L1 about L5/S1, `thoracic_flexion_deg` bends the
    shoulders about T12/L1; the contract's spine_flexion equals their sum (negative = extension).
    `neck_flexion_deg` tilts the head forward of its neutral (vertical when standing).
    Arms: with `arms_hang` the hands hang vertically below the shoulders (plus
    `hands_forward_m`, and pushed forward to clear the legs when `hands_clear_legs`), spaced
    `grip_width_m` apart (palm centres); otherwise `shoulder_flexion_deg` swings each arm from
    along the thorax line (0) forwards, and with `arms_together` each arm is then turned in at
    the shoulder until the palms are `grip_width_m` apart (both hands on a kettlebell's
    handle). `elbow_flexion_deg` bends both elbows.
    """

    feet_xy_m: tuple[float, float] = (0.0, 2.5)
    yaw_deg: float = 0.0
    stance_width_m: float = 0.25
    toe_out_deg: float = 7.0
    shank_lean_l_deg: float = 0.0
    shank_lean_r_deg: float = 0.0
    knee_flexion_l_deg: float = 0.0
    knee_flexion_r_deg: float = 0.0
    hip_flexion_deg: float = 0.0
    lateral_shift_m: float = 0.0
    lumbar_flexion_deg: float = 0.0
    thoracic_flexion_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    arms_hang: bool = True
    shoulder_flexion_deg: float = 0.0
    elbow_flexion_deg: float = 5.0
    grip_width_m: float = 0.45
    hands_forward_m: float = 0.0
    hands_clear_legs: bool = True
    arms_together: bool = False

    def with_(self, **kw) -> "PoseParams":
        return replace(self, **kw)


_FLAGS = ("arms_hang", "hands_clear_legs", "arms_together")
_NUMERIC = tuple(f.name for f in fields(PoseParams) if f.name not in _FLAGS)


def lerp_params(a: PoseParams, b: PoseParams, s: float) -> PoseParams:
    """Blend every numeric field linearly (s=0 → a, s=1 → b); booleans switch at s=0.5."""
    kw = {}
    for name in _NUMERIC:
        va, vb = getattr(a, name), getattr(b, name)
        if isinstance(va, tuple):
            kw[name] = tuple(x + (y - x) * s for x, y in zip(va, vb))
        else:
            kw[name] = va + (vb - va) * s
    pick = a if s < 0.5 else b
    return replace(a, **{f: getattr(pick, f) for f in _FLAGS}, **kw)


@dataclass(frozen=True)
class FreeRootParams:
    """A free-root pose (walking): the pelvis placed directly, the ankles anywhere.

    `pelvis_m` the mid-hip point (floor frame); `yaw_deg` as PoseParams; `pelvis_pitch_deg`
    forward tilt of the pelvis (sagittal convention); `ankle_*_m` ankle centres; `foot_yaw_*_deg`
    each foot's heading (same convention as yaw), feet kept flat. Spine, head and elbows as
    PoseParams; `shoulder_flexion_*_deg` swings each arm from along the thorax line.
    """

    pelvis_m: tuple[float, float, float]
    yaw_deg: float
    ankle_l_m: tuple[float, float, float]
    ankle_r_m: tuple[float, float, float]
    foot_yaw_l_deg: float
    foot_yaw_r_deg: float
    pelvis_pitch_deg: float = 0.0
    lumbar_flexion_deg: float = 0.0
    thoracic_flexion_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    shoulder_flexion_l_deg: float = 0.0
    shoulder_flexion_r_deg: float = 0.0
    elbow_flexion_deg: float = 10.0


# ---------------------------------------------------------------------------------------------
# Helpers

def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def _heading(yaw_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(forward, left) horizontal unit vectors for a yaw (0 = facing floor −y, left = +x)."""
    a = math.radians(yaw_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([s, -c, 0.0]), np.array([c, s, 0.0])


def _sag(fwd: np.ndarray, up: np.ndarray, angle_rad: float) -> np.ndarray:
    """Unit vector at a sagittal angle from `up` towards `fwd`."""
    return math.cos(angle_rad) * up + math.sin(angle_rad) * fwd


def _feet(pose: np.ndarray, side: str, ankle: np.ndarray, foot_yaw_deg: float, p: Proportions) -> None:
    f, _ = _heading(foot_yaw_deg)
    sole = np.array([ankle[0], ankle[1], max(0.0, ankle[2] - p.ankle_height_m)])
    pose[_I[f"heel_{side}"]] = sole - p.heel_back_m * f
    pose[_I[f"toe_{side}"]] = sole + p.toe_forward_m * f


def _upper_body(pose: np.ndarray, p: Proportions, pelvis: np.ndarray, left: np.ndarray,
                F: np.ndarray, U: np.ndarray, lumbar_deg: float, thoracic_deg: float,
                neck_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Spine, neck point, shoulders and head from a pelvis frame (F forward, U up, both ⟂ left).

    Returns the thorax frame (forward, up) for the arms.
    """
    lum, a_l, tho, a_t = p.rest_spine()
    sl = pelvis + p.spine_low_fwd_up_m[0] * F + p.spine_low_fwd_up_m[1] * U
    ang_l = a_l + math.radians(lumbar_deg)
    sm = sl + lum * _sag(F, U, ang_l)
    ang_t = ang_l + a_t + math.radians(thoracic_deg)
    thorax_up = _sag(F, U, ang_t)
    thorax_fwd = _sag(F, U, ang_t + math.pi / 2)
    neck = sm + tho * thorax_up
    rest_t = a_l + a_t  # thorax angle in the pelvis when standing; the head is then vertical
    head_dir = _sag(F, U, ang_t - rest_t + math.radians(neck_deg))
    pose[_I["spine_low"]] = sl
    pose[_I["spine_mid"]] = sm
    pose[_I["neck"]] = neck
    pose[_I["shoulder_l"]] = neck + 0.5 * p.shoulder_width_m * left
    pose[_I["shoulder_r"]] = neck - 0.5 * p.shoulder_width_m * left
    pose[_I["head"]] = neck + p.neck_to_head_m * head_dir
    pose[_I["head_top"]] = pose[_I["head"]] + p.head_to_top_m * head_dir
    return thorax_fwd, thorax_up


def _two_link(a: np.ndarray, c: np.ndarray, l1: float, l2: float, pole: np.ndarray) -> np.ndarray:
    """Middle joint of a two-link chain from a to c, bending towards `pole` (a direction)."""
    d_vec = c - a
    d = float(np.linalg.norm(d_vec))
    d = min(max(d, abs(l1 - l2) + 1e-9), l1 + l2 - 1e-9)
    axis = _unit(d_vec)
    x = (l1 * l1 - l2 * l2 + d * d) / (2.0 * d)
    h = math.sqrt(max(l1 * l1 - x * x, 0.0))
    perp = pole - (pole @ axis) * axis
    if np.linalg.norm(perp) < 1e-9:
        perp = np.cross(axis, np.array([1.0, 0.0, 0.0]))
    return a + x * axis + h * _unit(perp)


def _arm_chain(pose: np.ndarray, side: str, p: Proportions, hand: np.ndarray, pole: np.ndarray) -> None:
    sh = pose[_I[f"shoulder_{side}"]]
    l2 = p.forearm_m + p.wrist_to_palm_m
    elbow = _two_link(sh, hand, p.upper_arm_m, l2, pole)
    fore = _unit(hand - elbow)
    pose[_I[f"elbow_{side}"]] = elbow
    pose[_I[f"wrist_{side}"]] = elbow + p.forearm_m * fore
    pose[_I[f"hand_{side}"]] = elbow + l2 * fore


def _reach(p: Proportions, elbow_flexion_deg: float) -> float:
    """Shoulder-to-palm distance for an elbow flexion."""
    u, f = p.upper_arm_m, p.forearm_m + p.wrist_to_palm_m
    return math.sqrt(u * u + f * f + 2 * u * f * math.cos(math.radians(elbow_flexion_deg)))


def _hanging_arms(pose: np.ndarray, p: Proportions, left: np.ndarray, fwd_h: np.ndarray,
                  prm: PoseParams) -> None:
    d = _reach(p, prm.elbow_flexion_deg)
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        sh = pose[_I[f"shoulder_{side}"]]
        lat = sgn * 0.5 * (prm.grip_width_m - p.shoulder_width_m)
        lat_v = lat * left
        lat_v = lat_v - lat_v[2] * UP_FLOOR  # horizontal
        fwd = prm.hands_forward_m

        def hand_at(fwd_m: float) -> np.ndarray:
            horiz = lat_v + fwd_m * fwd_h
            drop = math.sqrt(max(d * d - float(horiz @ horiz), 1e-8))
            return sh + horiz - drop * UP_FLOOR

        hand = hand_at(fwd)
        if prm.hands_clear_legs:
            for _ in range(2):
                need = fwd
                for a, b in (("hip", "knee"), ("knee", "ankle")):
                    pa, pb = pose[_I[f"{a}_{side}"]], pose[_I[f"{b}_{side}"]]
                    if pa[2] == pb[2]:
                        continue
                    s = (hand[2] - pb[2]) / (pa[2] - pb[2])
                    if 0.0 <= s <= 1.0:
                        q = pb + s * (pa - pb)
                        need = max(need, float((q - sh) @ fwd_h) + p.limb_clearance_m)
                if need <= fwd + 1e-6:
                    break
                fwd = min(need, 0.9 * d)
                hand = hand_at(fwd)
        _arm_chain(pose, side, p, hand, -fwd_h)


def _swing_arm(pose: np.ndarray, side: str, p: Proportions, thorax_fwd: np.ndarray,
               thorax_up: np.ndarray, shoulder_deg: float, elbow_deg: float,
               left: np.ndarray | None = None, grip_width_m: float = 0.0) -> None:
    """One arm swung forward from along the thorax line; with `left` given, then turned in
    at the shoulder until the palm is half of grip_width_m from the shoulders' middle."""
    sh = pose[_I[f"shoulder_{side}"]]
    a = math.radians(shoulder_deg)
    upper_dir = -math.cos(a) * thorax_up + math.sin(a) * thorax_fwd
    # the forearm bends forward (towards thorax_fwd rotated with the upper arm)
    e = math.radians(elbow_deg)
    perp = math.cos(a) * thorax_fwd + math.sin(a) * thorax_up  # upper_dir rotated +90°
    fore = math.cos(e) * upper_dir + math.sin(e) * perp
    if left is not None:
        reach = p.upper_arm_m * upper_dir + (p.forearm_m + p.wrist_to_palm_m) * fore
        d = float(np.linalg.norm(reach))
        shift = (1.0 if side == "l" else -1.0) * 0.5 * (grip_width_m - p.shoulder_width_m)
        beta = math.asin(max(-1.0, min(1.0, abs(shift) / max(d, 1e-9))))
        k = _unit(np.cross(reach, math.copysign(1.0, shift) * left))   # turns reach towards it
        upper_dir, fore = _rotate(upper_dir, k, beta), _rotate(fore, k, beta)
    elbow = sh + p.upper_arm_m * upper_dir
    pose[_I[f"elbow_{side}"]] = elbow
    pose[_I[f"wrist_{side}"]] = elbow + p.forearm_m * fore
    pose[_I[f"hand_{side}"]] = elbow + (p.forearm_m + p.wrist_to_palm_m) * fore


def _rotate(u: np.ndarray, k: np.ndarray, angle: float) -> np.ndarray:
    """u rotated by angle (rad) about the unit axis k (Rodrigues)."""
    c, s = math.cos(angle), math.sin(angle)
    return u * c + np.cross(k, u) * s + k * float(k @ u) * (1.0 - c)


def _sag_angle(v: np.ndarray, F0: np.ndarray, U0: np.ndarray) -> float:
    return math.atan2(float(v @ F0), float(v @ U0))


# ---------------------------------------------------------------------------------------------
# Planted forward kinematics

def _legs(p: Proportions, prm: PoseParams, shift_target: float) -> tuple[np.ndarray, ...]:
    """Ankles, knees and hips for a requested lateral offset of the hip midpoint."""
    f0, l0 = _heading(prm.yaw_deg)
    mid = np.array([prm.feet_xy_m[0], prm.feet_xy_m[1], p.ankle_height_m])
    half = 0.5 * prm.stance_width_m
    inplane = {}
    for side, s_deg, k_deg in (("l", prm.shank_lean_l_deg, prm.knee_flexion_l_deg),
                               ("r", prm.shank_lean_r_deg, prm.knee_flexion_r_deg)):
        s = math.radians(s_deg)
        t = s - math.radians(k_deg)
        kn = p.shank_m * np.array([math.sin(s), math.cos(s)])
        hp = kn + p.thigh_m * np.array([math.sin(t), math.cos(t)])
        inplane[side] = (kn, hp)
    a_l, b_l = inplane["l"][1]
    a_r, b_r = inplane["r"][1]
    hw = p.hip_width_m
    phi_l = phi_r = 0.0
    dy = a_l - a_r
    for _ in range(12):
        dz = b_l * math.cos(phi_l) - b_r * math.cos(phi_r)
        dx = math.sqrt(max(hw * hw - dy * dy - dz * dz, 1e-8))
        lat_l, lat_r = shift_target + 0.5 * dx, shift_target - 0.5 * dx
        phi_l = math.asin(np.clip((lat_l - half) / b_l, -0.95, 0.95))
        phi_r = math.asin(np.clip((lat_r + half) / b_r, -0.95, 0.95))
    out = []
    for side, sgn, phi in (("l", 1.0, phi_l), ("r", -1.0, phi_r)):
        ankle = mid + sgn * half * l0
        up_leg = math.cos(phi) * UP_FLOOR + math.sin(phi) * l0
        kn, hp = inplane[side]
        out += [ankle, ankle + kn[0] * f0 + kn[1] * up_leg, ankle + hp[0] * f0 + hp[1] * up_leg]
    gap = float(np.linalg.norm(out[2] - out[5])) - hw
    if abs(gap) > 1e-7:
        raise ValueError("the legs cannot both reach the pelvis (hip joints would be "
                         f"{gap * 1000:+.0f} mm off): legs too asymmetric or stance too wide")
    return tuple(out)


def pose_from_angles(props: Proportions, params: PoseParams) -> np.ndarray:
    """A planted pose (len(SIM_POINTS), 3) in the floor frame; see the module docstring."""
    p, prm = props, params
    f0, l0 = _heading(prm.yaw_deg)
    # find the hip-midpoint offset that makes the contract's pelvis_lateral_shift exact
    target = prm.lateral_shift_m

    def contract_shift(c: float):
        legs = _legs(p, prm, c)
        ank_l, _, hip_l, ank_r, _, hip_r = legs
        left = _unit(hip_l - hip_r)
        return float((0.5 * (hip_l + hip_r) - 0.5 * (ank_l + ank_r)) @ left), legs

    c0, c1 = target, target
    v0, legs = contract_shift(c0)
    if abs(v0 - target) > 1e-7:
        c1 = target + (target - v0)
        for _ in range(6):
            v1, legs = contract_shift(c1)
            if abs(v1 - target) < 1e-7 or v1 == v0:
                break
            c0, c1, v0 = c1, c1 + (target - v1) * (c1 - c0) / (v1 - v0), v1
    ank_l, kn_l, hip_l, ank_r, kn_r, hip_r = legs

    pose = np.zeros((N_POINTS, 3))
    pose[_I["ankle_l"]], pose[_I["knee_l"]], pose[_I["hip_l"]] = ank_l, kn_l, hip_l
    pose[_I["ankle_r"]], pose[_I["knee_r"]], pose[_I["hip_r"]] = ank_r, kn_r, hip_r
    pelvis = 0.5 * (hip_l + hip_r)
    pose[_I["pelvis"]] = pelvis
    _feet(pose, "l", ank_l, prm.yaw_deg + prm.toe_out_deg, p)
    _feet(pose, "r", ank_r, prm.yaw_deg - prm.toe_out_deg, p)

    left = _unit(hip_l - hip_r)
    F0 = _unit(f0 - (f0 @ left) * left)
    U0 = np.cross(F0, left)
    # the trunk line's angle inside the pelvis frame for this spine shape
    lum, a_l, tho, a_t = p.rest_spine()
    sl = np.array(p.spine_low_fwd_up_m)
    ang_l = a_l + math.radians(prm.lumbar_flexion_deg)
    ang_t = ang_l + a_t + math.radians(prm.thoracic_flexion_deg)
    neck_local = sl + lum * np.array([math.sin(ang_l), math.cos(ang_l)]) \
        + tho * np.array([math.sin(ang_t), math.cos(ang_t)])
    gamma = math.atan2(neck_local[0], neck_local[1])
    tau = 0.5 * (_sag_angle(hip_l - kn_l, F0, U0) + _sag_angle(hip_r - kn_r, F0, U0))
    alpha = math.radians(prm.hip_flexion_deg) + tau - gamma
    F = math.cos(alpha) * F0 - math.sin(alpha) * U0
    U = math.sin(alpha) * F0 + math.cos(alpha) * U0
    thorax_fwd, thorax_up = _upper_body(pose, p, pelvis, left, F, U, prm.lumbar_flexion_deg,
                                        prm.thoracic_flexion_deg, prm.neck_flexion_deg)
    if prm.arms_hang:
        _hanging_arms(pose, p, left, f0, prm)
    else:
        for side in ("l", "r"):
            _swing_arm(pose, side, p, thorax_fwd, thorax_up, prm.shoulder_flexion_deg,
                       prm.elbow_flexion_deg, left if prm.arms_together else None,
                       prm.grip_width_m)
    return pose


# ---------------------------------------------------------------------------------------------
# Free-root forward kinematics (walking)

def pose_free_root(props: Proportions, params: FreeRootParams) -> np.ndarray:
    """A free-root pose (len(SIM_POINTS), 3): pelvis placed, knees by IK towards the front."""
    p, prm = props, params
    f0, l0 = _heading(prm.yaw_deg)
    pelvis = np.asarray(prm.pelvis_m, dtype=np.float64)
    a = math.radians(prm.pelvis_pitch_deg)
    F = math.cos(a) * f0 - math.sin(a) * UP_FLOOR
    U = math.sin(a) * f0 + math.cos(a) * UP_FLOOR
    pose = np.zeros((N_POINTS, 3))
    pose[_I["pelvis"]] = pelvis
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        hip = pelvis + sgn * 0.5 * p.hip_width_m * l0
        ankle = np.asarray(getattr(prm, f"ankle_{side}_m"), dtype=np.float64)
        knee = _two_link(hip, ankle, p.thigh_m, p.shank_m, f0)
        # keep the ankle at the shank's length even if the target was out of reach
        ankle = knee + p.shank_m * _unit(ankle - knee)
        pose[_I[f"hip_{side}"]], pose[_I[f"knee_{side}"]], pose[_I[f"ankle_{side}"]] = hip, knee, ankle
        _feet(pose, side, ankle, getattr(prm, f"foot_yaw_{side}_deg"), p)
    thorax_fwd, thorax_up = _upper_body(pose, p, pelvis, l0, F, U, prm.lumbar_flexion_deg,
                                        prm.thoracic_flexion_deg, prm.neck_flexion_deg)
    _swing_arm(pose, "l", p, thorax_fwd, thorax_up, prm.shoulder_flexion_l_deg, prm.elbow_flexion_deg)
    _swing_arm(pose, "r", p, thorax_fwd, thorax_up, prm.shoulder_flexion_r_deg, prm.elbow_flexion_deg)
    return pose
