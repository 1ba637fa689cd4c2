"""The synthetic athlete's body surface: primitives around a pose, plus the held implement.

`body_primitives(pose, shape, implement)` dresses a pose (len(SIM_POINTS), 3) in the floor
frame (see station.sim.pose) in renderer primitives (station.sim.render): limbs as tapered
capsules, the trunk as ellipsoids that follow the pelvis → spine_low → spine_mid → neck
chain (so a rounded back rounds the surface), a head with a nose, feet from heel to toe,
and a barbell, kettlebell or dumbbells in the hands.

The pose sets the skeleton's size; `BodyShape` sets the girths. Local trunk frames are
built from the person's left axis L = unit(hip_l - hip_r) and each segment's direction U
(made orthogonal to L); forward is F = L × U (towards the mirror for a lifter facing it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.frames import UP_FLOOR
from station.sim.pose import SIM_INDEX, SIM_POINTS
from station.sim.render import LABEL_IMPLEMENT, LABEL_LIFTER, PrimitiveList, Primitives

IMPLEMENTS: tuple[str | None, ...] = (None, "barbell", "kettlebell", "dumbbells")
CLOTHING: tuple[str, ...] = ("tight", "loose")

# Olympic barbell (IWF men's 20 kg) and bumper plates, metres.
BAR_LENGTH_M = 2.2
BAR_RADIUS_M = 0.014
SLEEVE_RADIUS_M = 0.025
SLEEVE_START_M = 0.655  # from the bar's centre to the inner collar
PLATE_RADIUS_M = 0.225
PLATE_THICKNESS_M = 0.06
KETTLEBELL_RADIUS_M = 0.11
_REF_HEIGHT_M = 1.75


@dataclass(frozen=True)
class BodyShape:
    """Girths of the synthetic athlete.

    height_m: 1.5–2.0, scales every girth (the pose carries the bone lengths).
    build: 0 slim … 0.5 average … 1 heavy (thicker trunk, belly and thighs).
    clothing: "tight" or "loose" (inflated trunk and thighs, a shirt hem and shorts that sway).
    plates_per_side: bumper plates on each side of a barbell.
    """

    height_m: float = 1.75
    build: float = 0.5
    clothing: str = "tight"
    plates_per_side: int = 2

    def __post_init__(self) -> None:
        if not 1.5 <= self.height_m <= 2.0:
            raise ValueError(f"height_m must be within 1.5–2.0, got {self.height_m}")
        if not 0.0 <= self.build <= 1.0:
            raise ValueError(f"build must be within 0–1, got {self.build}")
        if self.clothing not in CLOTHING:
            raise ValueError(f"clothing must be one of {CLOTHING}, got {self.clothing!r}")
        if not 0 <= self.plates_per_side <= 6:
            raise ValueError("plates_per_side must be within 0–6")


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else np.asarray(fallback, np.float64)


def _segment_frame(U0: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Rows (L, U, F) with U = U0 made orthogonal to L, F = L × U."""
    U = U0 - (U0 @ L) * L
    U = _unit(U, UP_FLOOR - (UP_FLOOR @ L) * L if abs(UP_FLOOR @ L) < 0.99 else np.array([0.0, 1.0, 0.0]))
    F = np.cross(L, U)
    return np.stack([L, U, F])


def _twisted(L: np.ndarray, left: np.ndarray, axis: np.ndarray, share: float = 1.0) -> np.ndarray:
    """The pelvis's left axis L turned about a segment's `axis` by `share` of the twist of
    `left` (e.g. the shoulder line) against L, both seen along that axis. L itself when there
    is no twist (scripted motions) or `left` runs along the axis (no direction to read)."""
    U = _unit(axis, UP_FLOOR)
    a, b = L - (L @ U) * U, left - (left @ U) * U
    if float(np.linalg.norm(b)) < 0.3 * float(np.linalg.norm(left)) or float(np.linalg.norm(a)) < 1e-6:
        return L
    ang = share * math.atan2(float(np.cross(a, b) @ U), float(a @ b))
    c, s_ = math.cos(ang), math.sin(ang)
    return L * c + np.cross(U, L) * s_ + U * (U @ L) * (1.0 - c)   # Rodrigues


def body_primitives(pose_floor_m: np.ndarray, shape: BodyShape = BodyShape(), implement: str | None = None,
                    t_s: float = 0.0, rng_seed: int = 0) -> Primitives:
    """Primitives of the body (LABEL_LIFTER) and its implement (LABEL_IMPLEMENT), floor frame.

    pose_floor_m: (len(SIM_POINTS), 3) points in the floor frame, metres.
    implement: None, "barbell", "kettlebell" or "dumbbells", held at hand_l/hand_r.
    t_s, rng_seed: time and seed of the clothing's sway (deterministic in both).
    Use `.with_label(LABEL_OTHER_PERSON)` for a passer-by.
    """
    P = np.asarray(pose_floor_m, np.float64)
    if P.shape != (len(SIM_POINTS), 3):
        raise ValueError(f"pose_floor_m must be ({len(SIM_POINTS)}, 3), got {P.shape}")
    if not np.all(np.isfinite(P)):
        raise ValueError("pose_floor_m has non-finite values")
    if implement not in IMPLEMENTS:
        raise ValueError(f"implement must be one of {IMPLEMENTS}, got {implement!r}")

    def p(name: str) -> np.ndarray:
        return P[SIM_INDEX[name]]

    s = shape.height_m / _REF_HEIGHT_M
    g = s * (0.82 + 0.36 * shape.build)          # limbs
    gt = s * (0.78 + 0.44 * shape.build)         # trunk
    belly = s * 0.06 * shape.build ** 2
    loose = shape.clothing == "loose"
    cloth = 0.02 * s if loose else 0.0
    rng = np.random.default_rng(rng_seed)
    freq = rng.uniform(0.7, 1.3, 4)
    phase = rng.uniform(0.0, 2.0 * math.pi, 4)
    sway = 0.012 * s * np.sin(2.0 * math.pi * freq * t_s + phase)

    b = PrimitiveList(LABEL_LIFTER)
    L = _unit(p("hip_l") - p("hip_r"), np.array([1.0, 0.0, 0.0]))
    pelvis, sp_low, sp_mid, neck = p("pelvis"), p("spine_low"), p("spine_mid"), p("neck")
    # The thorax turns with the shoulders, not the hips: a trunk twisted against the pelvis
    # (real motion capture: a toe touch reaching across) keeps its chest between its shoulder
    # joints; the lumbar takes half the twist. Scripted motions have no twist (Ls == L).
    Lt = _twisted(L, p("shoulder_l") - p("shoulder_r"), neck - sp_mid)
    Ll = _twisted(L, p("shoulder_l") - p("shoulder_r"), neck - sp_mid, 0.5)
    Fp = _segment_frame(sp_mid - pelvis, L)      # pelvis: its own short axis is unreliable
    Fl = _segment_frame(sp_mid - sp_low, Ll)     # lumbar
    Ft = _segment_frame(neck - sp_mid, Lt)       # thorax
    len_t = float(np.linalg.norm(neck - sp_mid))
    len_l = float(np.linalg.norm(sp_mid - sp_low))

    # --- trunk
    b.ellipsoid(pelvis + Fp[1] * 0.025 * s - Fp[2] * 0.005 * s, Fp,
                [0.165 * gt + cloth, 0.13 * s, 0.105 * gt + 0.3 * belly + cloth], name="pelvis")
    for side in ("l", "r"):
        hip = p(f"hip_{side}")
        b.ellipsoid(hip - Fp[2] * 0.055 * gt - Fp[1] * 0.03 * s, Fp,
                    [0.08 * gt, 0.095 * gt, 0.075 * gt + cloth], name=f"buttock_{side}")
    ab_c = 0.5 * (sp_low + sp_mid) + Fl[2] * (0.03 * s + 0.6 * belly)
    ab_r = [0.148 * gt + cloth, 0.5 * len_l + 0.09 * s, 0.102 * gt + belly + cloth]
    b.ellipsoid(ab_c, Fl, ab_r, name="abdomen")
    b.ellipsoid(sp_mid + Ft[1] * 0.45 * len_t + Ft[2] * 0.03 * s, Ft,
                [0.158 * gt + cloth, 0.5 * len_t + 0.06 * s, 0.108 * gt + 0.3 * belly + cloth], name="chest")
    b.ellipsoid(sp_mid + Ft[2] * (0.03 * s + 0.3 * belly), Ft,
                [0.15 * gt + cloth, 0.13 * s, 0.10 * gt + 0.7 * belly + cloth], name="waist")
    half_sh = 0.5 * float(np.linalg.norm(p("shoulder_l") - p("shoulder_r")))
    b.ellipsoid(neck - Ft[1] * 0.03 * s + Ft[2] * 0.005 * s, Ft,
                [half_sh + 0.02 * s + cloth, 0.075 * s, 0.085 * gt + cloth], name="shoulders")
    if loose:
        hem_c = sp_low + Fl[2] * (0.025 * s + 0.6 * belly) - Fl[1] * 0.02 * s + Fl[2] * sway[0] + L * sway[1]
        b.ellipsoid(hem_c, Fl, [ab_r[0] + 0.01 * s, 0.06 * s, ab_r[2] + 0.01 * s], name="shirt_hem")

    # --- head and neck
    head, top = p("head"), p("head_top")
    Fh = _segment_frame(top - head, Lt)         # the head turns with the thorax
    head_len = max(float(np.linalg.norm(top - head)), 0.08 * s)
    b.round_cone(neck + Ft[1] * 0.02 * s, head - Fh[1] * 0.06 * s, 0.058 * g, 0.05 * g, name="neck")
    b.ellipsoid(head + Fh[2] * 0.01 * s + Fh[1] * 0.005 * s, Fh, [0.077 * s, head_len, 0.098 * s], name="head")
    b.sphere(head + Fh[2] * 0.097 * s - Fh[1] * 0.01 * s, 0.022 * s, name="nose")

    # --- limbs
    for side in ("l", "r"):
        hip, knee, ankle = p(f"hip_{side}"), p(f"knee_{side}"), p(f"ankle_{side}")
        thigh_r = (0.085 + 0.015 * shape.build) * g
        b.round_cone(hip, knee, thigh_r, 0.052 * g, name=f"thigh_{side}")
        if loose:
            hem = hip + 0.45 * (knee - hip) + Fp[2] * sway[2] + L * sway[3] * (1 if side == "l" else -1)
            b.round_cone(hip, hem, thigh_r + cloth, 0.5 * (thigh_r + 0.052 * g) + 1.4 * cloth,
                         name=f"shorts_{side}")
        calf = knee + 0.35 * (ankle - knee)
        b.round_cone(knee, calf, 0.05 * g, 0.053 * g, name=f"calf_{side}")
        b.round_cone(calf, ankle, 0.053 * g, 0.033 * g, name=f"shin_{side}")
        heel, toe = p(f"heel_{side}"), p(f"toe_{side}")
        fwd = _unit(toe - heel, Fp[2])
        rh, rt = 0.034 * g, 0.022 * g
        b.round_cone(heel + fwd * rh + UP_FLOOR * rh, toe - fwd * rt + UP_FLOOR * rt, rh, rt, name=f"foot_{side}")
        b.round_cone(ankle, 0.5 * (heel + toe) + UP_FLOOR * 0.03 * s, 0.034 * g, 0.03 * g, name=f"instep_{side}")
        sh, el, wr, hand = p(f"shoulder_{side}"), p(f"elbow_{side}"), p(f"wrist_{side}"), p(f"hand_{side}")
        b.sphere(sh - Ft[1] * 0.012 * s, 0.047 * g + 0.5 * cloth, name=f"deltoid_{side}")
        b.round_cone(sh, el, 0.045 * g, 0.036 * g, name=f"upper_arm_{side}")
        b.round_cone(el, wr, 0.037 * g, 0.026 * g, name=f"forearm_{side}")
        b.round_cone(wr, hand + 0.6 * (hand - wr), 0.027 * s, 0.022 * s, name=f"hand_{side}")

    body = b.build()
    if implement is None:
        return body
    return Primitives.concat(body, implement_primitives(P, implement, L, shape.plates_per_side))


def implement_primitives(pose_floor_m: np.ndarray, implement: str, left_axis: np.ndarray | None = None,
                         plates_per_side: int = 2) -> Primitives:
    """The implement held at hand_l/hand_r, LABEL_IMPLEMENT, floor frame."""
    P = np.asarray(pose_floor_m, np.float64)
    hl, hr = P[SIM_INDEX["hand_l"]], P[SIM_INDEX["hand_r"]]
    L = left_axis if left_axis is not None else _unit(P[SIM_INDEX["hip_l"]] - P[SIM_INDEX["hip_r"]],
                                                       np.array([1.0, 0.0, 0.0]))
    mid = 0.5 * (hl + hr)
    b = PrimitiveList(LABEL_IMPLEMENT)
    if implement == "barbell":
        ax = _unit(hl - hr, L)
        b.cylinder(mid - ax * 0.5 * BAR_LENGTH_M, mid + ax * 0.5 * BAR_LENGTH_M, BAR_RADIUS_M, name="bar")
        for sgn in (-1.0, 1.0):
            b.cylinder(mid + sgn * ax * SLEEVE_START_M, mid + sgn * ax * 0.5 * BAR_LENGTH_M, SLEEVE_RADIUS_M,
                       name="sleeve")
            b.cylinder(mid + sgn * ax * (SLEEVE_START_M - 0.03), mid + sgn * ax * SLEEVE_START_M, 0.04,
                       name="collar")
        for sgn in (-1.0, 1.0):
            x0 = SLEEVE_START_M + 0.005
            for k in range(plates_per_side):
                a = mid + sgn * ax * (x0 + k * PLATE_THICKNESS_M)
                b.cylinder(a, a + sgn * ax * (PLATE_THICKNESS_M - 0.004), PLATE_RADIUS_M, name="plate")
    elif implement == "kettlebell":
        sh_mid = 0.5 * (P[SIM_INDEX["shoulder_l"]] + P[SIM_INDEX["shoulder_r"]])
        down = _unit(mid - sh_mid, -UP_FLOOR)
        Lk = _unit(L - (L @ down) * down, np.array([1.0, 0.0, 0.0]))
        b.cylinder(mid - Lk * 0.1, mid + Lk * 0.1, 0.017, name="kb_handle")
        bell = mid + down * (0.07 + KETTLEBELL_RADIUS_M)
        for sgn in (-1.0, 1.0):
            b.capsule(mid + sgn * Lk * 0.09, bell + sgn * Lk * 0.07 - down * 0.06, 0.017, name="kb_horn")
        b.sphere(bell, KETTLEBELL_RADIUS_M, name="kettlebell")
    elif implement == "dumbbells":
        for h in (hl, hr):
            b.cylinder(h - L * 0.07, h + L * 0.07, 0.017, name="db_handle")
            for sgn in (-1.0, 1.0):
                b.cylinder(h + sgn * L * 0.07, h + sgn * L * 0.14, 0.065, name="db_head")
    else:
        raise ValueError(f"unknown implement {implement!r}")
    return b.build()


def standing_pose(height_m: float = 1.75, x_m: float = 0.0, y_m: float = 2.5, facing_deg: float = 0.0,
                  grip: str = "sides") -> np.ndarray:
    """A neutral standing pose (len(SIM_POINTS), 3) from anthropometric proportions.

    A fixture for tests and benchmarks, not a motion source. The person stands at (x_m, y_m)
    on the floor facing the camera (floor -y) turned by facing_deg about z. grip "sides":
    arms hanging; "bar": hands shoulder-width in front of the thighs (a barbell at lockout).
    """
    H = height_m
    # local: x = person's left, y = forward, z = up
    pts = {
        "head_top": (0.0, 0.0, H), "head": (0.0, 0.0, 0.932 * H),
        "shoulder_l": (0.113 * H, 0.0, 0.818 * H), "shoulder_r": (-0.113 * H, 0.0, 0.818 * H),
        "pelvis": (0.0, 0.0, 0.53 * H), "hip_l": (0.05 * H, 0.0, 0.53 * H), "hip_r": (-0.05 * H, 0.0, 0.53 * H),
        "spine_low": (0.0, -0.02 * H, 0.575 * H), "spine_mid": (0.0, -0.02 * H, 0.68 * H),
        "knee_l": (0.055 * H, 0.005 * H, 0.285 * H), "knee_r": (-0.055 * H, 0.005 * H, 0.285 * H),
        "ankle_l": (0.06 * H, -0.01 * H, 0.039 * H), "ankle_r": (-0.06 * H, -0.01 * H, 0.039 * H),
        "heel_l": (0.06 * H, -0.035 * H, 0.0), "heel_r": (-0.06 * H, -0.035 * H, 0.0),
        "toe_l": (0.075 * H, 0.1 * H, 0.0), "toe_r": (-0.075 * H, 0.1 * H, 0.0),
    }
    if grip == "bar":
        pts.update({
            "elbow_l": (0.12 * H, 0.02 * H, 0.63 * H), "elbow_r": (-0.12 * H, 0.02 * H, 0.63 * H),
            "wrist_l": (0.118 * H, 0.06 * H, 0.48 * H), "wrist_r": (-0.118 * H, 0.06 * H, 0.48 * H),
            "hand_l": (0.117 * H, 0.065 * H, 0.45 * H), "hand_r": (-0.117 * H, 0.065 * H, 0.45 * H),
        })
    elif grip == "sides":
        pts.update({
            "elbow_l": (0.135 * H, -0.01 * H, 0.63 * H), "elbow_r": (-0.135 * H, -0.01 * H, 0.63 * H),
            "wrist_l": (0.14 * H, 0.01 * H, 0.485 * H), "wrist_r": (-0.14 * H, 0.01 * H, 0.485 * H),
            "hand_l": (0.14 * H, 0.012 * H, 0.45 * H), "hand_r": (-0.14 * H, 0.012 * H, 0.45 * H),
        })
    else:
        raise ValueError("grip must be 'sides' or 'bar'")
    pts["neck"] = tuple(0.5 * (np.array(pts["shoulder_l"]) + np.array(pts["shoulder_r"])))
    local = np.array([pts[n] for n in SIM_POINTS], np.float64)
    # person facing the camera: left = floor +x, forward = floor -y; then turn by facing_deg
    a = math.radians(facing_deg)
    R = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    to_floor = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    return local @ (R @ to_floor).T + np.array([x_m, y_m, 0.0])
