"""The fitter's articulated body: kinematic tree, degrees of freedom, limits and surface.

Independent of the synthetic athlete (station.sim): proportions come from textbook
anthropometry (segment lengths as fractions of stature, after Drillis & Contini / Winter),
not from the simulator.

Frames
------
Everything here is in the FLOOR frame (station.frames: z up, y from the camera towards the
lifter, x = camera's right). Each segment has a local frame which, in the neutral pose, is
aligned with the pelvis frame: x = the person's forward, y = the person's left, z = up.
A person facing the camera has yaw -90 deg (forward = floor -y, left = floor +x).

Kinematic tree (15 segments, 33 DOF)
------------------------------------
pelvis (root: tx ty tz, yaw about z, roll about x, pitch about y: an Euler chain whose
middle angle is roll, so the gimbal lock is at 90 deg lateral tilt, which never happens)
  lumbar   joint at spine_low (L5/S1): flexion, lateral bend, twist
    thorax joint at spine_mid (T12/L1): flexion, lateral bend, twist
      upper_thorax joint 0.07 H above spine_mid: flexion (its bend and the thorax's are held
                   alike: DOF_PAIRS)
        head   joint at neck: flexion, lateral bend
        upper_arm_l/r joint at shoulder (clavicle fixed): flexion, abduction, rotation
          forearm_l/r joint at elbow: flexion (the hand is rigid with the forearm)
  thigh_l/r joint at hip: flexion, abduction, rotation
    shank_l/r joint at knee: flexion
      foot_l/r joint at ankle: dorsiflexion

Each DOF is one prismatic or revolute axis in its segment's local frame; a segment's frame is
parent_frame * Trans(offset) * Rot(dof_1) * Rot(dof_2) * ... Signs are chosen so that a
positive angle is the anatomical flexion / abduction / internal rotation on both sides.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from station.model import SKELETON_POINTS

DEG = np.pi / 180.0

SEGMENTS: tuple[str, ...] = (
    "pelvis", "lumbar", "thorax", "upper_thorax", "head",
    "upper_arm_l", "forearm_l", "upper_arm_r", "forearm_r",
    "thigh_l", "shank_l", "foot_l", "thigh_r", "shank_r", "foot_r",
)
SEG: dict[str, int] = {n: i for i, n in enumerate(SEGMENTS)}
SEG_PARENT = np.array([-1, 0, 1, 2, 3, 3, 5, 3, 7, 0, 9, 10, 0, 12, 13], dtype=np.int32)

PRISMATIC = 0
REVOLUTE = 1

_X = (1.0, 0.0, 0.0)
_Y = (0.0, 1.0, 0.0)
_Z = (0.0, 0.0, 1.0)
_NX = (-1.0, 0.0, 0.0)
_NY = (0.0, -1.0, 0.0)
_NZ = (0.0, 0.0, -1.0)

# (name, segment, type, local axis, lower limit, upper limit, prior sigma (rad or m) or 0 = none)
_DOF_TABLE: tuple = (
    ("root_tx", "pelvis", PRISMATIC, _X, -np.inf, np.inf, 0.0),
    ("root_ty", "pelvis", PRISMATIC, _Y, -np.inf, np.inf, 0.0),
    ("root_tz", "pelvis", PRISMATIC, _Z, -np.inf, np.inf, 0.0),
    ("root_yaw", "pelvis", REVOLUTE, _Z, -np.inf, np.inf, 0.0),
    ("root_roll", "pelvis", REVOLUTE, _X, -40 * DEG, 40 * DEG, 3 * DEG),
    ("root_pitch", "pelvis", REVOLUTE, _Y, -40 * DEG, 100 * DEG, 0.0),
    # the lumbar flexion prior (8 deg) keeps the pelvis in line with the lumbar segment: at the
    # bottom of a rep the pelvis and belly are hidden behind the bent trunk (~6 points each
    # from 1.6 m) and nothing else orients the pelvis (its capsule is round about its pitch
    # axis), so spine flexion is read as the thorax (pinned by the head: neck_flex) against
    # the line from the hips to the thorax's base. It does not pull a rounding short on the
    # mesh athlete: with it, rounded reps (21-33 deg, lumbar share 30-60 %) read 2.0 deg short
    # at the bottom and 0.4 deg long at their peak (8 dev scenarios, bench/spine.py); without
    # it the pelvis pitch is free and the fit reads backs 20 deg rounder than they are (spine
    # MAE 10.3 against 3.6 deg, 15 false rounded_back in 38 reps). Before the neck carried the
    # head, it was not harmless: clean bottoms read 10-25 deg extended. Still wrong: flat
    # backs read 20-35 deg extended at the bottom on the mesh athlete's shapes F and G (6-15 on
    # average on B, D, H), the thorax on its -25 deg limit. What holds the pelvis forward there
    # is the trunk's underside seen from below (the abdomen's and chest_low's points on
    # their downward side): a T-shirt or hoodie hanging off the belly and chest, and soft
    # tissue, lie 10-40 mm below the capsules once the trunk is bent, and tipping the pelvis
    # forward with the lumbar and thorax extended is how the model reaches them. It is not
    # the trunk's cross-section: set to the mesh's own standing profile (front, back, width
    # per capsule) F and G read the same and A 6 deg more extended. Without those points G
    # reads within 4 deg and F 6-18 extended, but A 6-17 deg too round (D, H up to 12-15):
    # they are the only floor the spine has at the bottom (bench/spine.py, mesh_*_faults1,
    # mesh_F_faults2). The lumbar also follows the thorax's bend, about the person's own
    # standing carriage (_DOF_PAIR_TABLE, StandingRest.lumbar_rad): the prior alone held it
    # at rest while the pelvis took a rounding as hip flexion
    ("lumbar_flex", "lumbar", REVOLUTE, _Y, -30 * DEG, 60 * DEG, 8 * DEG),
    ("lumbar_lat", "lumbar", REVOLUTE, _X, -30 * DEG, 30 * DEG, 10 * DEG),
    ("lumbar_twist", "lumbar", REVOLUTE, _Z, -30 * DEG, 30 * DEG, 10 * DEG),
    ("thorax_flex", "thorax", REVOLUTE, _Y, -25 * DEG, 45 * DEG, 25 * DEG),
    ("thorax_lat", "thorax", REVOLUTE, _X, -25 * DEG, 25 * DEG, 10 * DEG),
    ("thorax_twist", "thorax", REVOLUTE, _Z, -35 * DEG, 35 * DEG, 10 * DEG),
    # the thorax's top (the rig's spine01 on: the upper back, the shoulders, the head), bent
    # on the lower thorax: a back rounds along its length, and a rigid thorax read only the
    # chord of the curve (0.70 of the top bone's angle, which the coach judges)
    ("upper_thorax_flex", "upper_thorax", REVOLUTE, _Y, -20 * DEG, 45 * DEG, 20 * DEG),
    # the neck carries the head on the thorax, nearly rigidly (sd 4 deg): a bent-over lifter
    # is seen from above, and the head is what the camera sees best then (~60 points at the
    # bottom of a rep from 1.6 m, the pelvis and belly ~6 each); the chest capsules alone pin
    # the thorax's orientation poorly, and a free neck let the fit trade one for the other:
    # at the bottom of a clean RDL on the mesh athlete, thorax -19 deg and neck +12 deg from
    # standing, read as a back 10-25 deg extended (bench/spine.py's DOF columns). Centred on
    # the person's own rest, learned standing tall (StandingRest; loose until then). Its
    # cost: a lifter who lifts the head to look at the mirror at the bottom (neck extension)
    # reads as a straighter back: a rounding read short (a missed cue), never a false one
    ("neck_flex", "head", REVOLUTE, _Y, -50 * DEG, 70 * DEG, 4 * DEG),
    ("neck_lat", "head", REVOLUTE, _X, -40 * DEG, 40 * DEG, 15 * DEG),
    # shoulder: flexion raises the hanging arm forward (about -y), abduction sideways.
    ("shoulder_l_flex", "upper_arm_l", REVOLUTE, _NY, -60 * DEG, 180 * DEG, 0.0),
    ("shoulder_l_abd", "upper_arm_l", REVOLUTE, _X, -30 * DEG, 170 * DEG, 0.0),
    ("shoulder_l_rot", "upper_arm_l", REVOLUTE, _NZ, -90 * DEG, 90 * DEG, 20 * DEG),
    ("elbow_l_flex", "forearm_l", REVOLUTE, _NY, 0.0, 150 * DEG, 0.0),
    ("shoulder_r_flex", "upper_arm_r", REVOLUTE, _NY, -60 * DEG, 180 * DEG, 0.0),
    ("shoulder_r_abd", "upper_arm_r", REVOLUTE, _NX, -30 * DEG, 170 * DEG, 0.0),
    ("shoulder_r_rot", "upper_arm_r", REVOLUTE, _Z, -90 * DEG, 90 * DEG, 20 * DEG),
    ("elbow_r_flex", "forearm_r", REVOLUTE, _NY, 0.0, 150 * DEG, 0.0),
    # hip: flexion swings the thigh forward (about -y); knee flexion swings the shank back.
    ("hip_l_flex", "thigh_l", REVOLUTE, _NY, -30 * DEG, 135 * DEG, 0.0),
    ("hip_l_abd", "thigh_l", REVOLUTE, _X, -25 * DEG, 50 * DEG, 15 * DEG),
    ("hip_l_rot", "thigh_l", REVOLUTE, _NZ, -45 * DEG, 45 * DEG, 15 * DEG),
    ("knee_l_flex", "shank_l", REVOLUTE, _Y, 0.0, 150 * DEG, 0.0),
    ("ankle_l_flex", "foot_l", REVOLUTE, _NY, -50 * DEG, 40 * DEG, 20 * DEG),
    ("hip_r_flex", "thigh_r", REVOLUTE, _NY, -30 * DEG, 135 * DEG, 0.0),
    ("hip_r_abd", "thigh_r", REVOLUTE, _NX, -25 * DEG, 50 * DEG, 15 * DEG),
    ("hip_r_rot", "thigh_r", REVOLUTE, _Z, -45 * DEG, 45 * DEG, 15 * DEG),
    ("knee_r_flex", "shank_r", REVOLUTE, _Y, 0.0, 150 * DEG, 0.0),
    ("ankle_r_flex", "foot_r", REVOLUTE, _NY, -50 * DEG, 40 * DEG, 20 * DEG),
)
DOFS: tuple[str, ...] = tuple(d[0] for d in _DOF_TABLE)
DOF: dict[str, int] = {n: i for i, n in enumerate(DOFS)}
N_DOF = len(DOFS)
N_SEG = len(SEGMENTS)
DOF_SEG = np.array([SEG[d[1]] for d in _DOF_TABLE], dtype=np.int32)
DOF_TYPE = np.array([d[2] for d in _DOF_TABLE], dtype=np.int32)
DOF_AXIS = np.array([d[3] for d in _DOF_TABLE], dtype=np.float64)
DOF_LOWER = np.array([d[4] for d in _DOF_TABLE], dtype=np.float64)
DOF_UPPER = np.array([d[5] for d in _DOF_TABLE], dtype=np.float64)
DOF_PRIOR_SIGMA = np.array([d[6] for d in _DOF_TABLE], dtype=np.float64)

# Smoothness priors: pairs of DOFs pulled towards each other, (theta_a - theta_b) / sigma, not
# towards 0. A back bends along its length, its neighbouring joints alike: the lower and the
# upper thorax's flexion differ by little (sd 10 deg). Without it the two-segment thorax
# zigzags on bodies it does not fit (a lower thorax extended to its -25 deg limit under an
# upper one flexed 20-35 deg, on the heavy women's clean bottoms, read as anything from -20 to
# +80 deg of rounding in one rep) and its lower chain follows the trunk's hanging underside on
# its own: the pelvis sat 6 mm higher and 7 mm further forward at the bottom than with the
# rigid thorax, the knees read 1.4 deg short. It pulls no bend towards 0 (70 dev + 24
# held-out mesh takes, stop 42: spine MAE 3.93 -> 4.25 / 4.97 -> 5.60 deg against the unpaired
# two segments, 4.57 / 6.52 with the rigid thorax; macro F1 0.845 -> 0.862 / 0.775 -> 0.771)
#
# The lumbar is tied to the thorax the same way (sd 10 deg), but about the person's own rest:
# theta_lumbar - theta_thorax pulled to what it is while they stand tall (StandingRest; the
# pair is off until that is learned). The fit turned the pelvis to take a back's bend as hip
# flexion, the lumbar held by its own prior: at the rounded bottom of D_faults1 (truth 29 deg)
# the thorax +9 deg, the upper thorax +13 deg against standing, the lumbar -2 deg (stop 79).
# Centred on 0 the same pair moved a heavy woman's standing reference (held-out I's tops read
# past the lean-back rule: overextension F1 1.00 -> 0.59); about the person's rest it leaves
# the stance alone. 99 mesh takes (stop 80, docs/spine-limits.md): dev spine MAE 2.69 -> 2.51
# deg, macro F1 0.899 -> 0.903, rounded back P / R 1.00 / 0.50 -> 0.93 / 0.57; held out 3.97
# -> 3.94 deg, 0.880 -> 0.888, 0.88 / 0.71 -> 0.94 / 0.76. It reads every back ~1.5 deg
# rounder, men's and women's alike: the clean backs it calls rounded are men's borderline
# reps, 2.7-4.9 deg under the rule (dev 2, in 2 px patches 5, where main called 2); the
# women's short backs stay short.
_DOF_PAIR_TABLE: tuple = (
    # (DOF a, DOF b, sd, centred on the person's rest)
    ("thorax_flex", "upper_thorax_flex", 10 * DEG, False),
    ("lumbar_flex", "thorax_flex", 10 * DEG, True),
)
DOF_PAIRS = np.array([(DOF[a], DOF[b]) for a, b, _, _ in _DOF_PAIR_TABLE], dtype=np.int64).reshape(-1, 2)
DOF_PAIR_SIGMA = np.array([s for _, _, s, _ in _DOF_PAIR_TABLE], dtype=np.float64)
# the pairs centred on StandingRest.lumbar_rad (off until it is learned)
DOF_PAIR_AT_REST = np.array([r for _, _, _, r in _DOF_PAIR_TABLE], dtype=np.bool_)
# StandingRest.pair_mu before the rest is learned: shared, never written (not flagged read-only:
# numba's kernels would take that for another type and compile them anew)
_PAIR_MU_ZERO = np.zeros(len(_DOF_PAIR_TABLE))
ROOT_TRANSLATION = np.array([0, 1, 2])
REVOLUTE_DOFS = np.nonzero(DOF_TYPE == REVOLUTE)[0]

# DOF range per segment (DOFs are stored segment by segment, in tree order).
SEG_DOF_START = np.array([int(np.argmax(DOF_SEG == s)) if np.any(DOF_SEG == s) else 0
                          for s in range(N_SEG)], dtype=np.int32)
SEG_DOF_COUNT = np.array([int(np.sum(DOF_SEG == s)) for s in range(N_SEG)], dtype=np.int32)


def _chain() -> np.ndarray:
    """chain[s, j] = 1 when DOF j moves segment s (j belongs to s or one of its ancestors)."""
    chain = np.zeros((N_SEG, N_DOF), dtype=np.uint8)
    for s in range(N_SEG):
        a = s
        while a >= 0:
            chain[s, DOF_SEG == a] = 1
            a = SEG_PARENT[a]
    return chain


SEG_CHAIN = _chain()


@dataclass(frozen=True)
class Shape:
    """Body dimensions from a few shape parameters.

    height_m: stature (floor to the top of the head).
    build: scale of the surface radii (1 = average build; 1.2 = 20% thicker limbs/torso).
    leg_ratio: scale of the leg (thigh + shank) length relative to the stature table; the
        trunk takes up the rest of the stature (fitted per person: station.fit.personal).
    shoulder_ratio: scale of the shoulder (and hip) width.
    belly_fwd: how far the belly (the abdomen capsule) stands forward of the table's, as a
        fraction of stature (fitted per person: station.fit.personal).
    arm_ratio: scale of the arm (upper arm + forearm) length relative to the stature table
        (fitted per person: station.fit.personal).
    drape_fwd: how far loose cloth hangs off the belly when the trunk is bent over, as a
        fraction of stature, at a horizontal trunk: the abdomen capsule stands this much further
        forward times how far its forward axis points down (draped; fitted per person on the
        bent frames: station.fit.personal.DrapeDepth). Standing, cloth hangs against the body.
    arm_build: the arms' radius scale against `build` (a hoodie's sleeves; measured by energy
        on the frames the track starts on: station.fit.personal.ArmBuild).
    open_hand: how much further past the wrist a hand holding nothing reaches than one closed
        round a handle, as a fraction of stature (OPEN_HAND_REACH; the arms' length is measured
        with it while the hands hold nothing: station.fit.personal.ArmLength.open_hand).
    """

    height_m: float = 1.75
    build: float = 1.0
    leg_ratio: float = 1.0
    shoulder_ratio: float = 1.0
    belly_fwd: float = 0.0
    arm_ratio: float = 1.0
    drape_fwd: float = 0.0
    arm_build: float = 1.0
    open_hand: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"height_m": self.height_m, "build": self.build,
                "leg_ratio": self.leg_ratio, "shoulder_ratio": self.shoulder_ratio,
                "belly_fwd": self.belly_fwd, "arm_ratio": self.arm_ratio, "drape_fwd": self.drape_fwd,
                "arm_build": self.arm_build, "open_hand": self.open_hand}


@dataclass
class StandingRest:
    """The person's own carriage, learned while they stand tall (online personalisation of the
    model, after Tkach et al. 2017): the median, over the first `frames` frames in which they
    stand tall and the fit is good, of
    - the fitted neck flexion (neck_rad): people carry the head forward of the model's upright
      neck by 0-20 deg (the mesh athlete by ~18); the neck's stiff prior (the neck carries the
      head on the thorax, _DOF_TABLE) centres there once it is learned, and is loose
      (LEARNING_SIGMA_RAD, centred on 0) until then, so what is learned is the data's;
    - the lumbar's flexion minus the thorax's (lumbar_rad): the lumbar-thorax pair
      (_DOF_PAIR_TABLE) centres there once learned, and is off until then.

    The solver (station.fit.solver.fit_frame) feeds it every fit; a frame counts once, with
    its last fit (a frame may be fitted from several starts). It lives on the person's
    BodyModel, so a new person learns afresh.
    """

    frames: int = 20
    samples: list = field(default_factory=list)    # (neck, lumbar) rad per frame learned from
    _pending: tuple | None = field(default=None, repr=False)
    # (neck, lumbar, pair_mu), once learned (every fit reads them)
    _rest: tuple | None = field(default=None, repr=False)

    LEARNING_SIGMA_RAD = 30 * DEG
    # standing tall: the pelvis near upright, hips and knees nearly straight (not the spine
    # DOFs: how the model's thorax sits on a standing person is personal too)
    MAX_PITCH_RAD = 12 * DEG
    MAX_HIP_RAD = 15 * DEG
    MAX_KNEE_RAD = 25 * DEG
    MIN_INLIERS = 0.7

    @property
    def learned(self) -> bool:
        return len(self.samples) >= self.frames

    def _learned_rest(self) -> tuple[float, float, np.ndarray]:
        """(neck_rad, lumbar_rad, pair_mu): the samples' medians, and the pairs' centres from
        them; zeros until learned."""
        if not self.learned:
            return (0.0, 0.0, _PAIR_MU_ZERO)
        if self._rest is None:
            s = np.asarray(self.samples, np.float64).reshape(-1, 2)
            neck, lumbar = float(np.median(s[:, 0])), float(np.median(s[:, 1]))
            self._rest = (neck, lumbar, np.where(DOF_PAIR_AT_REST, lumbar, 0.0))
        return self._rest

    @property
    def neck_rad(self) -> float:
        """The rest flexion the neck's prior centres on (0 until learned)."""
        return self._learned_rest()[0]

    @property
    def lumbar_rad(self) -> float:
        """The lumbar's flexion past the thorax's standing tall, where the lumbar-thorax pair
        centres (0 until learned)."""
        return self._learned_rest()[1]

    @property
    def pair_mu(self) -> np.ndarray:
        """Each smoothness pair's centre (DOF_PAIRS order): lumbar_rad for the pairs centred
        on the rest (DOF_PAIR_AT_REST), 0 for the others; all 0 until learned. Not to be
        written (the fits share it)."""
        return self._learned_rest()[2]

    @staticmethod
    def reading(theta: np.ndarray) -> tuple[float, float]:
        """(neck, lumbar) of one pose, as learned: the neck's flexion, the lumbar's flexion
        minus the thorax's."""
        return (float(theta[DOF["neck_flex"]]),
                float(theta[DOF["lumbar_flex"]] - theta[DOF["thorax_flex"]]))

    def standing_tall(self, theta: np.ndarray, max_knee_rad: float | None = None) -> bool:
        """The pelvis near upright, hips and knees nearly straight (the knees under
        max_knee_rad when given: upright on soft knees, station.fit.personal.ArmLength)."""
        knee = self.MAX_KNEE_RAD if max_knee_rad is None else max_knee_rad
        t = np.abs(theta)
        return bool(t[DOF["root_pitch"]] < self.MAX_PITCH_RAD
                    and t[DOF["hip_l_flex"]] < self.MAX_HIP_RAD and t[DOF["hip_r_flex"]] < self.MAX_HIP_RAD
                    and t[DOF["knee_l_flex"]] < knee and t[DOF["knee_r_flex"]] < knee)

    def observe(self, theta: np.ndarray, inlier_fraction: float, frame_key=None) -> None:
        """One fit's result on the frame `frame_key` (None: a frame of its own): the frame's
        last fit is learned from, once the next frame comes, while not yet learned."""
        if self.learned:
            return
        ok = inlier_fraction >= self.MIN_INLIERS and self.standing_tall(theta)
        sample = self.reading(theta) if ok else None
        if frame_key is None:
            if sample is not None:
                self.samples.append(sample)
            return
        if self._pending is not None and self._pending[0] != frame_key and self._pending[1] is not None:
            self.samples.append(self._pending[1])
        self._pending = (frame_key, sample)


@dataclass
class BodyModel:
    """Arrays the kernels use, for one Shape. Floats are float64; indices int32.

    seg_offset: (N_SEG, 3) joint position in the parent's local frame.
    point_seg, point_local: the SKELETON_POINTS (model.py order) as (segment, local position).
    cap_seg, cap_a_local, cap_b_local, cap_ra, cap_rb: tapered capsules on the segments.
    sample_seg, sample_local, sample_normal_local, sample_cap: surface samples (model->data).
    collision_pairs: (k, 2) capsule index pairs that must not interpenetrate.
    sole_seg, sole_local: points on the soles (feet on the floor term).
    """

    shape: Shape
    seg_offset: np.ndarray
    point_seg: np.ndarray
    point_local: np.ndarray
    cap_names: tuple[str, ...]
    cap_seg: np.ndarray
    cap_a_local: np.ndarray
    cap_b_local: np.ndarray
    cap_ra: np.ndarray
    cap_rb: np.ndarray
    sample_seg: np.ndarray = field(repr=False, default=None)
    sample_local: np.ndarray = field(repr=False, default=None)
    sample_normal_local: np.ndarray = field(repr=False, default=None)
    sample_cap: np.ndarray = field(repr=False, default=None)
    collision_pairs: np.ndarray = field(repr=False, default=None)
    collision_slack_m: np.ndarray = field(repr=False, default=None)
    sole_seg: np.ndarray = field(repr=False, default=None)
    sole_local: np.ndarray = field(repr=False, default=None)
    hand_caps: np.ndarray = field(repr=False, default=None)
    upper_arm_caps: np.ndarray = field(repr=False, default=None)
    standing_rest: StandingRest = field(repr=False, default_factory=StandingRest)
    # this body with its cloth hanging, by drape step (draped): laid out once each
    draped_bodies: dict = field(repr=False, default_factory=dict, init=False, compare=False)


# Anthropometric fractions of stature (Drillis & Contini; Winter, Biomechanics of Human
# Movement, fig. 4.1), rounded.
_ANKLE_H = 0.039
_SHANK = 0.246
_THIGH = 0.245
# glenohumeral centre -> elbow centre. Not Winter's 0.186 H (the synthetic capsule athlete's
# own value): the joint centres body models define sit nearer the shoulder. The MakeHuman rig
# of the mesh athlete has 0.146-0.159 H over four shapes (1.55-1.98 m, slim to heavy, female
# and male); the CMU subject's humerus is 0.72-0.82 of his femur (0.177-0.20 H). A straight
# arm's surface does not show where its elbow is, and a wrong elbow is what a folded arm
# cannot fit: with 0.186 H the forearm must fold to its limit and still leaves the hands
# ~6 cm low at the chest. 0.165 H sits between the rigs and the table. bench/fitter.py, 8
# scenarios: MPJPE mesh 45.3 -> 35.1 mm (every scenario; spine MAE 5.2 -> 4.4 deg), capsule
# 40.7 -> 39.8, but its hanging-arm RDLs +3-6 mm and tall_heavy_loose's spine 8 -> 17 deg: an
# arm of the wrong length bends the trunk to reach its points (there, a kettlebell the fit
# never picks up). One length cannot serve both bodies: the tracker measures each lifter's
# (Shape.arm_ratio scales this and the forearm; station.fit.personal.ArmLength).
_UPPER_ARM = 0.165
_FOREARM = 0.146
_HAND = 0.108
_SHOULDER_H = 0.818          # acromion (the top of the shoulder), not the joint
_GH_DROP = 0.021             # glenohumeral joint centre below the acromion (~35-40 mm)
_HEAD_CENTRE_H = 0.935
# the upper thorax's joint above spine_mid (T12/L1): where the mesh rig's spine01 starts
_UPPER_THORAX_JOINT = 0.07


# Where the contract's joint centres sit relative to the fitted surface, as fractions of
# stature in the segment's frame (forward, left, up). The capsules fit the surface; the joint
# centres a real body has inside that surface are not on the capsules' axes. Measured on the
# CC0 MakeHuman mesh athlete (station.sim.mesh_body, its rig's joint centres: femoral heads,
# knee and ankle joints) as the median offset from the fitted point to the rig's joint over
# six development bodies (1.50-1.98 m, slim to heavy and muscular, male and female), standing
# and hinging; the spread over bodies is given. An independent test set saw the same
# direction (the skeleton higher and nearer the camera than the joint centres). The elbows'
# (~0.03 H nearer the shoulder) is a bone length, not an offset: _UPPER_ARM.
_HIP_FWD = -0.023        # sd 0.004 over bodies
_HIP_UP = -0.008         # sd 0.014 (varies with the body's leg length; the mean is applied)
_HIP_WIDER = 0.011       # each side, sd 0.003
_KNEE_FWD = -0.008       # sd 0.003
_KNEE_UP = -0.004        # sd 0.006
_ANKLE_FWD = 0.019       # sd 0.003
_ANKLE_UP = -0.005       # sd 0.007
_ANKLE_NARROWER = 0.007  # each side, sd 0.002
_HEAD_FWD = -0.005       # sd 0.003
_HEAD_UP = -0.006        # sd 0.008


# The upper arms against the chest and abdomen capsules: more overlap allowed than the
# capsules' own slack. A trunk capsule is round where a body's side is flat and soft, and its
# radius grows with the build (fitted to the clothes' surface too): the upper arms of a heavy
# lifter, or of anyone in a loose shirt, hang 3-8 cm inside it (the mesh athlete's rig,
# tall_heavy_loose and kettlebell_swing, standing). Held out of their place, hanging arms cost
# more than arms parked behind the back (hidden, free), and the fit put them there for whole
# sets. Measured (mesh, first 300 frames, MPJPE mm, with the hanging hypotheses): +0 cm
# tall_heavy_loose 38 / kettlebell_swing 22 / mocap_toe_touch 32; +2 cm 25 / 18 / 33; +4 cm
# 23 / 18 / 41 (the toe touch's arms, away from the trunk, sink in). The same +4 cm on the
# forearms against the chest and pelvis: 22 / 18 / 48-75 (forearms folded into the chest).
_ARM_TORSO_SLACK_M = 0.02

# A hand holding nothing hangs open: the wrist to the middle fingertip is ~0.108 of stature
# (Drillis and Contini's hand length; the mesh athlete's rig 0.105-0.122 H, fingers straight),
# where the model's hand capsule ends 0.085 H past the wrist, a fist's reach round a handle. The
# arms' length measured on free hands (station.fit.personal.ArmLength) stretched the arm to
# put its short hand over the fingertips (mesh F, arms 0.90 of the table's: 1.03-1.09). They are
# measured with the capsule's end this much further (Shape.open_hand, tip at 0.105 H) while the
# hands hold nothing; the track fits with closed hands (station.fit.tracker).
OPEN_HAND_REACH = 0.020


def build_body(shape: Shape = Shape()) -> BodyModel:
    """The body's bones, joints and capsules for a shape (floor-frame metres)."""
    H = float(shape.height_m)
    b = float(shape.build)
    leg = float(shape.leg_ratio)
    sw = float(shape.shoulder_ratio)
    belly = float(shape.belly_fwd)
    ab = b * float(shape.arm_build)   # the arms' radius scale (sleeves: Shape.arm_build)
    upper_arm = _UPPER_ARM * H * float(shape.arm_ratio)
    forearm = _FOREARM * H * float(shape.arm_ratio)
    thigh = _THIGH * H * leg
    shank = _SHANK * H * leg
    # the hip's height: the trunk fills the rest of the stature (a shorter leg, a longer trunk)
    hip_h = (_ANKLE_H + (_SHANK + _THIGH) * leg) * H
    # Trunk lengths fill the gap between the (nominal) hip and the shoulders.
    sl_up, sl_back = 0.055 * H, 0.022 * H          # pelvis -> spine_low (L5/S1)
    lumbar_len = 0.100 * H                           # spine_low -> spine_mid
    neck_up = (_SHOULDER_H * H) - hip_h - sl_up - lumbar_len  # spine_mid -> shoulder line
    neck_fwd = 0.030 * H
    half_sh = 0.105 * H * sw                         # glenohumeral half-separation
    half_hip = 0.050 * H * sw                        # hip joint centre half-separation

    off = np.zeros((N_SEG, 3))
    off[SEG["lumbar"]] = (-sl_back, 0.0, sl_up)
    off[SEG["thorax"]] = (0.0, 0.0, lumbar_len)
    split = _UPPER_THORAX_JOINT * H                 # spine_mid -> the upper thorax's joint
    off[SEG["upper_thorax"]] = (0.0, 0.0, split)
    off[SEG["head"]] = (neck_fwd, 0.0, neck_up - split)
    gh_up = neck_up - _GH_DROP * H                   # spine_mid -> glenohumeral centres
    off[SEG["upper_arm_l"]] = (neck_fwd, half_sh, gh_up - split)
    off[SEG["upper_arm_r"]] = (neck_fwd, -half_sh, gh_up - split)
    off[SEG["forearm_l"]] = (0.0, 0.0, -upper_arm)
    off[SEG["forearm_r"]] = (0.0, 0.0, -upper_arm)
    # The thighs turn about the femoral heads: where the contract's hip joints are reported
    # (_HIP_FWD/_HIP_WIDER/_HIP_UP from the pelvis capsule's centre line), the thigh capsule
    # and the knee kept where they were at rest. Turning them about the capsule's centre line
    # instead, as before, moved the reported hips 0.023 H round the thigh with the hip's
    # flexion: at the bottom of a hinge the fitted thigh (hip to knee) read 40-60 mm longer
    # than standing and the pelvis 25-65 mm high on every mesh shape, the pelvis tipped
    # forward of the truth's and the back read extended. Measured (bench/fitter.py, the mesh
    # library's 70 dev takes): spine MAE 5.82 -> 4.57 deg, MPJPE 25.5 -> 24.7 mm (13.0 -> 10.5
    # without each take's constant), trunk 1.52 -> 1.34, hip 2.57 -> 2.33, knee 3.35 -> 3.10.
    dfw, dwd, dup = _HIP_FWD * H, _HIP_WIDER * H, _HIP_UP * H
    off[SEG["thigh_l"]] = (dfw, half_hip + dwd, dup)
    off[SEG["thigh_r"]] = (dfw, -half_hip - dwd, dup)
    off[SEG["shank_l"]] = (-dfw, -dwd, -thigh - dup)
    off[SEG["shank_r"]] = (-dfw, dwd, -thigh - dup)
    off[SEG["foot_l"]] = (0.0, 0.0, -shank)
    off[SEG["foot_r"]] = (0.0, 0.0, -shank)

    head_up = (_HEAD_CENTRE_H - _SHOULDER_H) * H
    pts = {
        # the contract's head is the centre between the ears; the face is ~0.058 H ahead of
        # it, more than a head radius: the head capsule's axis lies forward of this point
        "head": ("head", ((0.01 + _HEAD_FWD) * H, 0.0, head_up + _HEAD_UP * H)),
        # the contract's neck is the midpoint of the glenohumeral centres
        "neck": ("upper_thorax", (neck_fwd, 0.0, gh_up - split)),
        "shoulder_l": ("upper_arm_l", (0.0, 0.0, 0.0)),
        "shoulder_r": ("upper_arm_r", (0.0, 0.0, 0.0)),
        "elbow_l": ("forearm_l", (0.0, 0.0, 0.0)),
        "elbow_r": ("forearm_r", (0.0, 0.0, 0.0)),
        "wrist_l": ("forearm_l", (0.0, 0.0, -forearm)),
        "wrist_r": ("forearm_r", (0.0, 0.0, -forearm)),
        # the contract's joint centres where a real body's sit relative to the surface the
        # capsules fit (_JOINT_CENTRE_OFFSETS): the femoral heads behind and below the
        # pelvis capsule's centre line, the ankle ahead of the shank's axis and lower
        "pelvis": ("pelvis", (_HIP_FWD * H, 0.0, _HIP_UP * H)),
        "hip_l": ("pelvis", (_HIP_FWD * H, half_hip + _HIP_WIDER * H, _HIP_UP * H)),
        "hip_r": ("pelvis", (_HIP_FWD * H, -half_hip - _HIP_WIDER * H, _HIP_UP * H)),
        "knee_l": ("shank_l", (_KNEE_FWD * H, 0.0, _KNEE_UP * H)),
        "knee_r": ("shank_r", (_KNEE_FWD * H, 0.0, _KNEE_UP * H)),
        "ankle_l": ("foot_l", (_ANKLE_FWD * H, -_ANKLE_NARROWER * H, _ANKLE_UP * H)),
        "ankle_r": ("foot_r", (_ANKLE_FWD * H, _ANKLE_NARROWER * H, _ANKLE_UP * H)),
        "spine_low": ("lumbar", (0.0, 0.0, 0.0)),
        "spine_mid": ("thorax", (0.0, 0.0, 0.0)),
    }
    point_seg = np.array([SEG[pts[n][0]] for n in SKELETON_POINTS], dtype=np.int32)
    point_local = np.array([pts[n][1] for n in SKELETON_POINTS], dtype=np.float64)

    # Capsules: (name, segment, a, b, ra, rb) in local metres; radii scaled by build.
    fa = forearm
    ua = upper_arm
    # a closed hand's capsule ends 0.085 H past the wrist (its far end plus radius); an open one
    # further (Shape.open_hand)
    hand_end = (0.065 + float(shape.open_hand)) * H
    foot_drop = -(_ANKLE_H * H) + 0.020 * H * b     # sole on the floor in the neutral pose
    caps = [
        # pelvis: wide, across the left axis, centred a little above the hip joints
        ("pelvis", "pelvis", (0.0, 0.035 * H * sw, 0.012 * H), (0.0, -0.035 * H * sw, 0.012 * H),
         0.062 * H * b, 0.062 * H * b),
        # abdomen: in front of the lumbar spine (a belly further forward: Shape.belly_fwd)
        ("abdomen", "lumbar", ((0.030 + belly) * H, 0.030 * H * sw, 0.050 * H),
         ((0.030 + belly) * H, -0.030 * H * sw, 0.050 * H), 0.058 * H * b, 0.058 * H * b),
        # chest: two capsules across, lower and upper thorax
        ("chest_low", "thorax", (0.035 * H, 0.035 * H * sw, 0.035 * H),
         (0.035 * H, -0.035 * H * sw, 0.035 * H), 0.062 * H * b, 0.062 * H * b),
        ("chest_high", "upper_thorax", (0.030 * H, 0.045 * H * sw, 0.095 * H - split),
         (0.030 * H, -0.045 * H * sw, 0.095 * H - split), 0.058 * H * b, 0.058 * H * b),
        ("neck", "head", (0.0, 0.0, 0.0), (0.01 * H, 0.0, 0.06 * H), 0.032 * H * b, 0.032 * H * b),
        # head: a short vertical capsule, chin (~0.87 H) to the vertex (1.0 H)
        ("head", "head", (0.022 * H, 0.0, head_up - 0.025 * H),
         (0.022 * H, 0.0, 1.0 * H - _SHOULDER_H * H - 0.046 * H), 0.046 * H, 0.046 * H),
        ("upper_arm_l", "upper_arm_l", (0.0, 0.0, 0.0), (0.0, 0.0, -ua), 0.030 * H * ab, 0.024 * H * ab),
        ("forearm_l", "forearm_l", (0.0, 0.0, 0.0), (0.0, 0.0, -fa), 0.022 * H * ab, 0.016 * H * ab),
        ("hand_l", "forearm_l", (0.0, 0.0, -fa - 0.02 * H), (0.0, 0.0, -fa - hand_end),
         0.020 * H, 0.020 * H),
        ("upper_arm_r", "upper_arm_r", (0.0, 0.0, 0.0), (0.0, 0.0, -ua), 0.030 * H * ab, 0.024 * H * ab),
        ("forearm_r", "forearm_r", (0.0, 0.0, 0.0), (0.0, 0.0, -fa), 0.022 * H * ab, 0.016 * H * ab),
        ("hand_r", "forearm_r", (0.0, 0.0, -fa - 0.02 * H), (0.0, 0.0, -fa - hand_end),
         0.020 * H, 0.020 * H),
        ("thigh_l", "thigh_l", (-dfw, -dwd, -0.03 * H - dup), (-dfw, -dwd, -thigh - dup), 0.048 * H * b, 0.031 * H * b),
        ("shank_l", "shank_l", (0.0, 0.0, 0.0), (0.0, 0.0, -shank), 0.030 * H * b, 0.020 * H * b),
        ("foot_l", "foot_l", (-0.025 * H, 0.0, foot_drop), (0.105 * H, 0.0, foot_drop),
         0.020 * H * b, 0.020 * H * b),
        ("thigh_r", "thigh_r", (-dfw, dwd, -0.03 * H - dup), (-dfw, dwd, -thigh - dup), 0.048 * H * b, 0.031 * H * b),
        ("shank_r", "shank_r", (0.0, 0.0, 0.0), (0.0, 0.0, -shank), 0.030 * H * b, 0.020 * H * b),
        ("foot_r", "foot_r", (-0.025 * H, 0.0, foot_drop), (0.105 * H, 0.0, foot_drop),
         0.020 * H * b, 0.020 * H * b),
    ]
    cap_names = tuple(c[0] for c in caps)
    cap_seg = np.array([SEG[c[1]] for c in caps], dtype=np.int32)
    cap_a = np.array([c[2] for c in caps], dtype=np.float64)
    cap_b = np.array([c[3] for c in caps], dtype=np.float64)
    cap_ra = np.array([c[4] for c in caps], dtype=np.float64)
    cap_rb = np.array([c[5] for c in caps], dtype=np.float64)
    ci = {n: i for i, n in enumerate(cap_names)}
    pairs = []
    slack = []   # extra allowed overlap per pair (m), beyond FitWeights.collision_slack_m
    for s in ("l", "r"):
        for limb in (f"forearm_{s}", f"hand_{s}"):
            for other in ("thigh_l", "thigh_r", "pelvis", "abdomen"):
                pairs.append((ci[limb], ci[other]))
                # the pelvis and abdomen capsules are round where the body's front is flat:
                # they reach further forward than the groin and belly do (the hip joint
                # centres sit in the front half of the pelvis), and hands holding a
                # kettlebell or a bar press into soft tissue there. A tight collision pushes
                # the hands sideways or behind the body.
                slack.append(0.045 if other in ("pelvis", "abdomen") else (0.035 if limb.startswith("hand") else 0.015))
        pairs.append((ci[f"upper_arm_{s}"], ci["chest_low"]))
        pairs.append((ci[f"upper_arm_{s}"], ci["abdomen"]))
        pairs.append((ci[f"forearm_{s}"], ci["chest_low"]))
        # upper arms rest against the chest's flat sides
        slack += [0.02 + _ARM_TORSO_SLACK_M, 0.02 + _ARM_TORSO_SLACK_M, 0.0]
    pairs.append((ci["thigh_l"], ci["thigh_r"]))
    pairs.append((ci["shank_l"], ci["shank_r"]))
    pairs.append((ci["foot_l"], ci["foot_r"]))
    slack += [0.0, 0.0, 0.0]

    # (heel, toe) of each foot, in that order: the floor term pairs sole points 2k and 2k + 1
    # (station.fit._kernels_energy.SOLE_REACH_M)
    sole_seg = np.array([SEG["foot_l"]] * 2 + [SEG["foot_r"]] * 2, dtype=np.int32)
    sole_z = foot_drop - 0.020 * H * b
    sole_local = np.array([(-0.025 * H, 0.0, sole_z), (0.105 * H, 0.0, sole_z)] * 2)

    body = BodyModel(shape=shape, seg_offset=off, point_seg=point_seg, point_local=point_local,
                     cap_names=cap_names, cap_seg=cap_seg, cap_a_local=cap_a, cap_b_local=cap_b,
                     cap_ra=cap_ra, cap_rb=cap_rb, collision_pairs=np.array(pairs, dtype=np.int32),
                     collision_slack_m=np.array(slack, dtype=np.float64),
                     sole_seg=sole_seg, sole_local=sole_local,
                     hand_caps=np.array([ci["hand_l"], ci["hand_r"]], dtype=np.int32),
                     upper_arm_caps=np.array([ci["upper_arm_l"], ci["upper_arm_r"]], dtype=np.int32))
    _add_surface_samples(body)
    return body


def _perp_basis(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(d)
    d = d / n if n > 1e-12 else np.array([0.0, 0.0, 1.0])
    helper = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = _cross3(d, helper)
    e1 /= np.linalg.norm(e1)
    return e1, _cross3(d, e1)


def _cross3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.cross of two 3-vectors, the same products in the same order, without its axis
    handling (which was most of a body's build time)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def _add_surface_samples(body: BodyModel, n_around: int = 10, spacing_m: float = 0.05) -> None:
    """Rings of surface points on each capsule (local frame), for the model->data terms.

    Built with array arithmetic, capsule by capsule (a body is rebuilt for every candidate
    shape at a track's start: a point-by-point loop cost ~10 ms a body)."""
    phi = 2 * np.pi * np.arange(n_around) / n_around
    cos_phi, sin_phi = np.cos(phi)[:, None], np.sin(phi)[:, None]
    segs, locs, norms, capi = [], [], [], []
    for c in range(len(body.cap_seg)):
        a, b = body.cap_a_local[c], body.cap_b_local[c]
        ra, rb = body.cap_ra[c], body.cap_rb[c]
        d = b - a
        length = float(np.linalg.norm(d))
        if length < 1e-9:  # a sphere: a few rings over the whole sphere
            axis = np.array([0.0, 0.0, 1.0])
            e1, e2 = _perp_basis(axis)
            el = (np.linspace(-60, 60, 5) * DEG)[:, None, None]
            n = (np.cos(el) * (cos_phi * e1 + sin_phi * e2) + np.sin(el) * axis).reshape(-1, 3)
            loc = a + ra * n
        else:
            e1, e2 = _perp_basis(d)
            n_rings = max(2, int(np.ceil(length / spacing_m)) + 1)
            t = np.linspace(0.0, 1.0, n_rings)[:, None, None]
            ring_n = cos_phi * e1 + sin_phi * e2                      # (n_around, 3)
            n = np.broadcast_to(ring_n, (n_rings, n_around, 3)).reshape(-1, 3)
            loc = (a + t * d + (ra + t * (rb - ra)) * ring_n).reshape(-1, 3)
        segs.append(np.full(len(n), body.cap_seg[c], dtype=np.int32))
        locs.append(loc)
        norms.append(n)
        capi.append(np.full(len(n), c, dtype=np.int32))
    body.sample_seg = np.concatenate(segs)
    body.sample_local = np.ascontiguousarray(np.concatenate(locs), dtype=np.float64)
    body.sample_normal_local = np.ascontiguousarray(np.concatenate(norms), dtype=np.float64)
    body.sample_cap = np.concatenate(capi)


def neutral_pose(shape: Shape = Shape(), x_m: float = 0.0, y_m: float = 2.5,
                 yaw_rad: float = -np.pi / 2) -> np.ndarray:
    """Standing upright, arms hanging, facing the camera (yaw -90 deg) at (x, y) on the floor."""
    theta = np.zeros(N_DOF)
    theta[DOF["root_tx"]] = x_m
    theta[DOF["root_ty"]] = y_m
    theta[DOF["root_tz"]] = (_ANKLE_H + (_SHANK + _THIGH) * shape.leg_ratio) * shape.height_m
    theta[DOF["root_yaw"]] = yaw_rad
    theta[DOF["shoulder_l_abd"]] = 6 * DEG
    theta[DOF["shoulder_r_abd"]] = 6 * DEG
    theta[DOF["elbow_l_flex"]] = 8 * DEG
    theta[DOF["elbow_r_flex"]] = 8 * DEG
    return theta


DRAPE_STEP_M = 0.002


def lumbar_down(seg_R: np.ndarray) -> float:
    """How far the lumbar's forward axis points towards the floor (sine of its dip: 0 standing
    upright, 1 with the trunk horizontal; seg_R: a pose's segment rotations, floor frame)."""
    return -float(seg_R[SEG["lumbar"], 2, 0])


def draped(body: BodyModel, seg_R: np.ndarray) -> BodyModel:
    """The body with its cloth hanging for a pose (seg_R: the pose's segment rotations, floor
    frame; station.fit.solver.posed_segments): the abdomen capsule and its surface samples
    moved forward by Shape.drape_fwd x stature x how far the lumbar's forward axis points
    down (0 standing, 1 with the trunk horizontal). The body itself when it has no drape."""
    d = float(body.shape.drape_fwd)
    if d == 0.0:
        return body
    # in steps of DRAPE_STEP_M, each body kept: the fit's arrays are laid out once per body
    k = int(round(d * float(body.shape.height_m) * min(max(lumbar_down(seg_R), 0.0), 1.0) / DRAPE_STEP_M))
    if k == 0:
        return body
    cache = body.draped_bodies
    out = cache.get(k)
    if out is None:
        dx = k * DRAPE_STEP_M
        c = body.cap_names.index("abdomen")
        a, b, sl = body.cap_a_local.copy(), body.cap_b_local.copy(), body.sample_local.copy()
        a[c, 0] += dx
        b[c, 0] += dx
        sl[body.sample_cap == c, 0] += dx
        out = cache[k] = replace(body, cap_a_local=a, cap_b_local=b, sample_local=sl)
    return out


def with_shape(body: BodyModel, **changes) -> BodyModel:
    """The same person resized: what was learned of them (their standing rest) carries over."""
    out = build_body(replace(body.shape, **changes))
    out.standing_rest = body.standing_rest
    return out
