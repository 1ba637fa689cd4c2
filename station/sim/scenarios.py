"""The scenario library: named, seeded synthetic takes, varied the way real gyms vary.

A `Scenario` is pure data (who, where the camera is, what they do, what else is in view);
`build(scenario)` turns it into a `SyntheticTake` that knows its ground truth for every
frame and renders any frame's depth image on demand (deterministic per frame, so frames can
be rendered in any order or in parallel).

The library spans body sizes (1.5–2.0 m, slim to heavy), clothing, implements (barbell,
kettlebell, dumbbells, none), camera mounts from chest height (1.0 m) to the top of a 2.1 m
mirror, lifters facing the mirror or turned up to 45°, a second person walking behind,
sensor noise levels, and motion from our scripts and from real motion capture (CMU).

Two bodies wear the same motion: the capsule body (station.sim.body, built from the kind of
primitives the fitter fits) and the skinned MakeHuman mesh (station.sim.mesh_body, a real
human surface with its own rig). `Scenario.body` picks one; any library name with the suffix
"@mesh" or "@capsule" is that scenario on that body (`get_scenario("rdl_clean@mesh")`).
The mesh body's truth is its own rig's (see station.sim.mesh_body and
docs/analysis-output.md, "Synthetic athletes").
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from station.form.angles import contract_angles
from station.frames import apply, floor_plane_from_T, invert
from station.model import ANGLES, JOINTS, Intrinsics
from station.sim import motion as mo
from station.sim.body import BodyShape, body_primitives, implement_primitives
from station.sim.camera import CameraMount, aim_pitch_deg, d435_depth_intrinsics
from station.sim.kinematics import PoseParams, Proportions, pose_from_angles
from station.sim import mesh_body as mb
from station.sim.pose import N_SKELETON, SIM_INDEX
from station.sim.render import LABEL_LIFTER, LABEL_OTHER_PERSON, Primitives, Renderer
from station.sim.scene import SceneSpec, scene_primitives, typical_gym
from station.sim.sensor import D435Noise, apply_d435_noise

UP_FLOOR = np.array([0.0, 0.0, 1.0])
TRUTH_SCHEMA = "station.analysis/1"
BODIES: tuple[str, ...] = ("capsule", "mesh")
SPLITS: tuple[str, ...] = ("dev", "holdout")


@dataclass(frozen=True)
class Athlete:
    """Who lifts: body size and build, clothing, what they hold.

    build: 0 slim … 0.5 average … 1 heavy (the mesh body's weight macro).
    sex, muscle: the mesh body's macros (0 female … 1 male; 0 min … 0.5 average … 1 max muscle);
        the capsule body ignores them.
    clothing: "tight", "loose", "tshirt" or "hoodie" (the capsule body has tight and loose:
        tshirt and hoodie are loose there; the mesh body wears "loose" as a T-shirt).
    """

    height_m: float = 1.75
    build: float = 0.5
    clothing: str = "tight"
    implement: str | None = "barbell"
    sex: float = 1.0
    muscle: float = 0.5

    def capsule_shape(self) -> BodyShape:
        return BodyShape(self.height_m, self.build, "tight" if self.clothing == "tight" else "loose")

    def mesh_shape(self) -> "mb.MeshShape":
        clothing = "tshirt" if self.clothing == "loose" else self.clothing
        return mb.MeshShape(self.height_m, self.sex, self.muscle, self.build, clothing)


@dataclass(frozen=True)
class Scenario:
    """One named synthetic take.

    motion: "session" (walk in, stand, a hinge set, stand, walk out), "hinge_set",
        "deadlift_set" (from the floor), "squat_set", "stand", or "mocap" (a clip of real
        motion capture on this body).
    exercise: what the lifter is doing (the truth the station's exercise recognition is
        scored against); arms: how they hold the implement (motion.ARM_HOLDS).
    reps: the hinge or squat reps of the set.
    mount_height_m: camera height; pitch aims the optical axis at 0.95 m above the floor
        at the lifter's distance unless pitch_down_deg is given.
    """

    name: str
    description: str
    seed: int
    athlete: Athlete = Athlete()
    motion: str = "hinge_set"
    reps: tuple = ()
    mocap_clip: str = ""
    mocap_window_s: tuple[float, float] | None = None
    mocap_hold_s: float = 1.5               # stand still in the clip's first pose before it plays
    mount_height_m: float = 1.6
    pitch_down_deg: float | None = None
    lifter_distance_m: float = 2.6
    lifter_x_m: float = 0.0
    yaw_deg: float = 0.0
    scene: str = "gym"                      # "gym" (wall and equipment) or "bare" (floor and wall)
    wall_distance_m: float = 5.0
    walker: bool = False                    # a second person walking behind the lifter
    noise_scale: float = 1.0                # multiplies the D435 subpixel noise and hole rate
    width: int = 848
    height: int = 480
    fps: int = 30
    exercise: str = "rdl"
    tags: tuple[str, ...] = ()
    body: str = "capsule"                   # "capsule" or "mesh" (see the module docstring)
    split: str = "dev"                      # "holdout": never looked at while developing
    soft_knee_deg: float = 0.0              # knee flexion while standing tall
    arms_out_m: float = 0.0                 # hanging hands this much further apart (arms away from the body)
    elbow_flexion_deg: float = 5.0          # elbow bend of hanging arms
    mocap_mirror: bool = False              # mocap: swap the person's left and right

    def __post_init__(self) -> None:
        if self.body not in BODIES:
            raise ValueError(f"scenario {self.name}: body must be one of {BODIES}, got {self.body!r}")
        if self.split not in SPLITS:
            raise ValueError(f"scenario {self.name}: split must be one of {SPLITS}, got {self.split!r}")

    def on_body(self, body: str) -> "Scenario":
        """This scenario worn by another body, named NAME@BODY."""
        base = self.name.split("@", 1)[0]
        return replace(self, body=body, name=f"{base}@{body}")
    arms: str = "hang"                      # how the implement is held (station.sim.motion.ARM_HOLDS)

    def mount(self) -> CameraMount:
        pitch = self.pitch_down_deg
        if pitch is None:
            pitch = aim_pitch_deg(self.mount_height_m, 0.95, self.lifter_distance_m)
        return CameraMount(self.mount_height_m, pitch)


def _clean(n: int, **kw) -> tuple[mo.HingeRepParams, ...]:
    return tuple(mo.HingeRepParams(**kw) for _ in range(n))


def _mixed_reps() -> tuple[mo.HingeRepParams, ...]:
    return (mo.HingeRepParams(),
            mo.HingeRepParams(spine_rounding_deg=32.0),
            mo.HingeRepParams(knee_flexion_deg=55.0, hip_flexion_deg=75.0),
            mo.HingeRepParams(lockout_hip_flexion_deg=25.0),
            mo.HingeRepParams(lateral_shift_m=0.10, eccentric_s=0.6))


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("rdl_clean", "5 clean barbell RDLs, average build, camera at 1.6 m", 1,
             reps=_clean(5), tags=("clean",)),
    Scenario("rdl_clean_chest_cam", "clean RDLs seen from chest height (1.0 m)", 2,
             reps=_clean(4), mount_height_m=1.0, tags=("clean", "mount")),
    Scenario("rdl_clean_top_cam", "clean RDLs seen from the top of a 2.1 m mirror", 3,
             reps=_clean(4), mount_height_m=2.1, tags=("clean", "mount")),
    Scenario("rdl_rounded_back", "the back rounds at the bottom of every rep", 4,
             reps=_clean(4, spine_rounding_deg=32.0), mount_height_m=1.9, tags=("fault",)),
    Scenario("rdl_knee_dominant", "knees bend too much: squatting the hinge", 5,
             reps=_clean(4, knee_flexion_deg=58.0, hip_flexion_deg=72.0), tags=("fault",)),
    Scenario("rdl_incomplete_lockout", "never stands fully tall between reps", 6,
             reps=_clean(4, lockout_hip_flexion_deg=26.0), tags=("fault",)),
    Scenario("rdl_overextension", "leans back at the top", 7,
             reps=_clean(4, lean_back_hip_deg=18.0, lean_back_spine_deg=20.0, top_pause_s=1.0),
             mount_height_m=1.3, tags=("fault",)),
    Scenario("rdl_hip_shift", "pelvis drifts to the left on the way down", 8,
             reps=_clean(4, lateral_shift_m=0.11), tags=("fault",)),
    Scenario("rdl_too_fast", "drops into each rep in half a second", 9,
             reps=_clean(5, eccentric_s=0.55, concentric_s=0.8), tags=("fault",)),
    Scenario("rdl_mixed_faults", "one clean rep, then a different fault each rep", 10,
             reps=_mixed_reps(), mount_height_m=1.9, tags=("fault",)),
    Scenario("squats_at_hinge_station", "bodyweight squats at the hinge station", 11,
             athlete=Athlete(implement=None), motion="squat_set",
             reps=tuple(mo.SquatRepParams(knee_flexion_deg=k, hip_flexion_deg=h)
                        for k, h in ((105, 100), (115, 105), (100, 95), (110, 102))),
             tags=("squat",)),
    Scenario("good_morning_bodyweight", "good mornings with nearly straight knees, no weight, hands at the chest",
             12, athlete=Athlete(1.62, 0.3, "tight", None), arms="chest",
             reps=_clean(4, hip_flexion_deg=85.0, knee_flexion_deg=8.0), exercise="good_morning",
             tags=("profile",)),
    Scenario("kettlebell_swing", "ballistic kettlebell swings: fast is correct here", 13,
             athlete=Athlete(1.80, 0.6, "loose", "kettlebell"),
             reps=_clean(8, hip_flexion_deg=70.0, knee_flexion_deg=22.0, eccentric_s=0.45,
                         concentric_s=0.45, top_pause_s=0.15, bottom_pause_s=0.0),
             exercise="kettlebell_swing", tags=("profile",)),
    Scenario("kettlebell_swing_small", "a 1.60 m lifter swinging a light bell, camera at 1.3 m", 31,
             athlete=Athlete(1.60, 0.3, "tight", "kettlebell"), arms="swing", mount_height_m=1.3,
             reps=_clean(6, hip_flexion_deg=65.0, knee_flexion_deg=20.0, eccentric_s=0.5,
                         concentric_s=0.5, top_pause_s=0.1, bottom_pause_s=0.0, swing_deg=75.0),
             exercise="kettlebell_swing", tags=("profile", "exercise")),
    Scenario("deadlift_floor", "conventional barbell deadlifts from the floor", 32,
             athlete=Athlete(1.78, 0.6, "tight", "barbell"), motion="deadlift_set",
             reps=_clean(4, hip_flexion_deg=100.0, knee_flexion_deg=68.0, eccentric_s=1.3,
                         concentric_s=1.3, bottom_pause_s=1.0, top_pause_s=0.5),
             exercise="deadlift", tags=("profile", "exercise")),
    Scenario("deadlift_floor_top_cam", "deadlifts from the floor, heavy lifter, loose T-shirt, camera at 2.1 m",
             33, athlete=Athlete(1.85, 0.85, "loose", "barbell"), motion="deadlift_set",
             reps=_clean(3, hip_flexion_deg=95.0, knee_flexion_deg=62.0, eccentric_s=1.1,
                         concentric_s=1.5, bottom_pause_s=0.8, top_pause_s=0.7),
             mount_height_m=2.1, lifter_distance_m=2.8, exercise="deadlift", tags=("profile", "exercise")),
    Scenario("good_morning_bar_back", "good mornings with a bar on the upper back", 34,
             athlete=Athlete(1.75, 0.5, "tight", "barbell"), arms="back",
             reps=_clean(4, hip_flexion_deg=80.0, knee_flexion_deg=14.0, eccentric_s=2.0),
             exercise="good_morning", tags=("profile", "exercise")),
    Scenario("good_morning_hands_chest", "bodyweight good mornings, hands at the chest, camera at 1.3 m", 35,
             athlete=Athlete(1.66, 0.4, "loose", None), arms="chest", mount_height_m=1.3,
             reps=_clean(4, hip_flexion_deg=75.0, knee_flexion_deg=10.0, eccentric_s=1.8),
             exercise="good_morning", tags=("profile", "exercise")),
    Scenario("dumbbell_rdl_turned_30", "dumbbell RDLs, lifter turned 30° to the mirror", 14,
             athlete=Athlete(1.70, 0.4, "tight", "dumbbells"), reps=_clean(4), yaw_deg=30.0,
             tags=("clean", "turned")),
    Scenario("rdl_turned_45", "barbell RDLs turned 45°, back rounding from rep 3", 15,
             reps=_clean(2) + _clean(2, spine_rounding_deg=30.0), yaw_deg=-45.0,
             mount_height_m=1.9, tags=("fault", "turned")),
    Scenario("tall_heavy_loose", "a 1.98 m heavy lifter in loose clothes with a kettlebell", 16,
             athlete=Athlete(1.98, 0.95, "loose", "kettlebell"), reps=_clean(4, hip_flexion_deg=75.0),
             lifter_distance_m=2.9, mount_height_m=2.1, tags=("clean", "body")),
    Scenario("short_slim", "a 1.52 m slim lifter, tight clothes, light barbell", 17,
             athlete=Athlete(1.52, 0.05, "tight", "barbell"), reps=_clean(4), mount_height_m=1.3,
             lifter_distance_m=2.3, tags=("clean", "body")),
    Scenario("background_walker", "someone walks behind the lifter during the set", 18,
             reps=_clean(5), walker=True, tags=("clean", "walker")),
    Scenario("session_walk_in_out", "walks in, stands, 4 RDLs, stands, walks out", 19,
             motion="session", reps=_clean(4), tags=("clean", "lifecycle")),
    Scenario("partial_and_grip_reset", "a partial dip and a grip reset among full reps", 20,
             reps=(mo.HingeRepParams(), mo.HingeRepParams(partial=True, hip_flexion_deg=20.0),
                   mo.HingeRepParams(grip_reset=True), mo.HingeRepParams(bottom_pause_s=1.2),
                   mo.HingeRepParams()), tags=("clean", "robustness")),
    Scenario("noisy_far", "lifter far back (3.3 m), noisier sensor, chest-height camera", 21,
             reps=_clean(4), lifter_distance_m=3.3, mount_height_m=1.2, noise_scale=1.8,
             tags=("clean", "noise")),
    Scenario("offset_bare_room", "lifter 0.4 m left of centre in a bare room, 640x480", 22,
             reps=_clean(4), lifter_x_m=-0.4, scene="bare", width=640, height=480,
             tags=("clean", "mode")),
    Scenario("mocap_toe_touch", "real motion capture: CMU 13_31 toe-touch bends", 23,
             athlete=Athlete(1.70, 0.45, "tight", None), motion="mocap", mocap_clip="13_31",
             mocap_window_s=(0.5, 4.49), tags=("mocap",)),
    Scenario("mocap_squats", "real motion capture: CMU 13_30 bodyweight squats", 24,
             athlete=Athlete(1.70, 0.45, "tight", None), motion="mocap", mocap_clip="13_30",
             mocap_window_s=(0.5, 5.99), mount_height_m=1.9, tags=("mocap", "squat")),
    Scenario("mocap_warmup", "real motion capture: CMU 13_29 bends, knee raises and squats", 25,
             athlete=Athlete(1.70, 0.45, "loose", None), motion="mocap", mocap_clip="13_29",
             mocap_window_s=(15.0, 38.2), mount_height_m=1.3, tags=("mocap", "squat")),
)


# ---------------------------------------------------------------------------------------------
# The enlarged library: the mesh athlete in many shapes, every fault near its threshold

@dataclass(frozen=True)
class _Who:
    key: str
    athlete: Athlete
    split: str


# Dev shapes are the ones looked at while developing; holdout shapes, seeds and mocap windows
# are only ever run for the report (bench/*.py --split holdout).
ENLARGED_SHAPES: tuple[_Who, ...] = (
    _Who("A", Athlete(1.75, 0.5, "tight", "barbell", 1.0, 0.5), "dev"),
    _Who("B", Athlete(1.62, 0.2, "tight", "dumbbells", 0.0, 0.4), "dev"),
    _Who("C", Athlete(1.88, 0.6, "tshirt", "barbell", 1.0, 0.9), "dev"),
    _Who("D", Athlete(1.68, 0.85, "hoodie", "kettlebell", 0.0, 0.5), "dev"),
    _Who("E", Athlete(1.95, 0.9, "tshirt", "barbell", 0.8, 0.3), "dev"),
    _Who("F", Athlete(1.55, 0.5, "tshirt", None, 0.2, 0.5), "dev"),
    _Who("G", Athlete(1.82, 0.1, "hoodie", "dumbbells", 1.0, 0.4), "dev"),
    _Who("H", Athlete(1.70, 0.75, "tight", "barbell", 0.9, 0.7), "dev"),
    _Who("I", Athlete(1.58, 1.0, "hoodie", "barbell", 0.0, 0.3), "holdout"),
    _Who("J", Athlete(1.92, 0.15, "tight", "dumbbells", 1.0, 0.6), "holdout"),
    _Who("K", Athlete(1.73, 0.5, "tshirt", "barbell", 0.1, 0.8), "holdout"),
    _Who("L", Athlete(1.80, 0.65, "hoodie", None, 0.7, 0.5), "holdout"),
)

FAULT_FAMILIES: tuple[str, ...] = ("rounded_back", "knee_dominant", "incomplete_lockout", "overextension",
                                   "hip_shift", "too_fast")


def _family_rep(family: str, positive: bool, rng: np.random.Generator) -> mo.HingeRepParams:
    """A rep of one fault family, just over (positive) or under its rdl threshold.

    Three of four reps are over the threshold; distances are drawn from borderline (1.5° or
    1 cm) to clear, so every figure sees reps near the rule, not only caricatures.
    """
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    # other families' reps carry natural rounding, now and then close under the rule
    rounding = u(0.0, 8.0) if rng.random() < 0.7 else u(8.0, 18.5)
    base = dict(hip_flexion_deg=u(72, 92), knee_flexion_deg=u(10, 26), eccentric_s=u(1.15, 1.8),
                concentric_s=u(0.9, 1.3), top_pause_s=u(0.5, 0.9), spine_rounding_deg=rounding,
                lateral_shift_m=u(-0.02, 0.02))
    if family == "rounded_back":      # rule: spine_flexion > 20°; scripted 10–35°
        base["spine_rounding_deg"] = u(21.5, 33.0) if positive else u(11.0, 18.8)
        base["lumbar_share"] = u(0.3, 0.6)
    elif family == "knee_dominant":   # rule: knee > 40° (or hip < 1.8 knee); scripted knees 25–58°
        knee = u(41.5, 58.0) if positive else u(25.0, 38.5)
        base.update(knee_flexion_deg=knee, hip_flexion_deg=max(base["hip_flexion_deg"], 1.8 * knee + 6.0)
                    if not positive else u(70, 90))
        base["hip_flexion_deg"] = min(base["hip_flexion_deg"], 118.0)
    elif family == "incomplete_lockout":  # rule: hip flexion > 15° at the rep's end
        base["lockout_hip_flexion_deg"] = u(17.0, 30.0) if positive else u(4.0, 13.0)
    elif family == "overextension":   # rule: hip < −10° or spine < −15° at the end
        if positive:
            if rng.random() < 0.5:
                base.update(lean_back_hip_deg=u(12.0, 22.0), lean_back_spine_deg=u(0.0, 10.0))
            else:
                base.update(lean_back_hip_deg=u(0.0, 7.0), lean_back_spine_deg=u(17.0, 28.0))
        else:
            base.update(lean_back_hip_deg=u(2.0, 8.0), lean_back_spine_deg=u(4.0, 12.5))
        base["top_pause_s"] = u(0.8, 1.1)
    elif family == "hip_shift":       # rule: |shift| > 0.06 m relative to the rep's start
        base["lateral_shift_m"] = float(rng.choice([-1.0, 1.0])) * (u(0.07, 0.12) if positive else u(0.02, 0.05))
    elif family == "too_fast":        # rule: eccentric < 1.0 s
        base["eccentric_s"] = u(0.5, 0.88) if positive else u(1.12, 1.4)
    elif family != "clean":
        raise ValueError(family)
    return mo.HingeRepParams(**base)


_MOUNTS_M = (1.3, 1.6, 1.9, 2.1, 1.0, 1.6)
_YAWS_DEG = (0.0, 0.0, 20.0, -30.0, 0.0, 45.0, -15.0, 0.0)


def _enlarged_library() -> tuple[Scenario, ...]:
    out: list[Scenario] = []
    seed = 1000
    for w_i, who in enumerate(ENLARGED_SHAPES):
        rng = np.random.default_rng(7000 + w_i + (500 if who.split == "holdout" else 0))
        no_bar = who.athlete.implement is None
        for k in range(5):  # four sets of faults (one rep of each family, shuffled) and a clean set
            seed += 1
            if k < 4:
                fams = [FAULT_FAMILIES[j] for j in rng.permutation(len(FAULT_FAMILIES))]
                reps = tuple(_family_rep(f, bool(rng.random() < 0.75), rng) for f in fams)
                name, desc = f"mesh_{who.key}_faults{k + 1}", "one rep of each fault family near its threshold"
            else:
                reps = tuple(_family_rep("clean", False, rng) for _ in range(5))
                name, desc = f"mesh_{who.key}_clean", "clean reps of natural variety"
            mount = _MOUNTS_M[(w_i + k) % len(_MOUNTS_M)]
            yaw = _YAWS_DEG[(3 * w_i + k) % len(_YAWS_DEG)]
            out.append(Scenario(
                name, f"{desc}; shape {who.key}", seed, athlete=who.athlete, reps=reps,
                mount_height_m=mount, yaw_deg=yaw, lifter_distance_m=float(rng.uniform(2.3, 3.0)),
                lifter_x_m=float(rng.uniform(-0.25, 0.25)), walker=(k == 2 and w_i % 3 == 0),
                soft_knee_deg=float(rng.uniform(3.0, 12.0)) if rng.random() < 0.6 else 0.0,
                arms_out_m=float(rng.uniform(0.05, 0.2)) if no_bar else 0.0,
                elbow_flexion_deg=float(rng.uniform(5.0, 20.0)),
                tags=("enlarged", "clean" if k == 4 else "fault"), body="mesh", split=who.split))
    # the whole visit (walk in, stand, set, walk out), one per split
    for key, seed_ in (("C", 1101), ("J", 1102)):
        who = next(w for w in ENLARGED_SHAPES if w.key == key)
        rng = np.random.default_rng(seed_)
        out.append(Scenario(f"mesh_{key}_session", f"walks in, a clean set, walks out; shape {key}", seed_,
                            athlete=who.athlete, motion="session",
                            reps=tuple(_family_rep("clean", False, rng) for _ in range(4)),
                            tags=("enlarged", "clean", "lifecycle"), body="mesh", split=who.split))
    # real motion capture: dev on 13_30 / 13_31, holdout on 13_29's windows, mirrored
    mocap = (
        ("mesh_A_mocap_toe_touch", "A", "13_31", (0.5, 4.49), False, 1.6, 0.0, 1201),
        ("mesh_D_mocap_toe_touch", "D", "13_31", (0.5, 4.49), False, 1.9, 25.0, 1202),
        ("mesh_B_mocap_squats", "B", "13_30", (0.5, 5.99), False, 1.3, 0.0, 1203),
        ("mesh_G_mocap_squats", "G", "13_30", (0.5, 5.99), False, 2.1, -20.0, 1204),
        ("mesh_I_mocap_toe_touch_one_hand", "I", "13_29", (16.0, 22.5), True, 1.6, 0.0, 1205),
        ("mesh_K_mocap_squats", "K", "13_29", (31.7, 38.2), True, 1.3, 15.0, 1206),
        ("mesh_L_mocap_knee_raise_squats", "L", "13_29", (22.5, 38.2), True, 1.9, 0.0, 1207),
    )
    for name, key, clip, window, mirror, mount, yaw, seed_ in mocap:
        who = next(w for w in ENLARGED_SHAPES if w.key == key)
        out.append(Scenario(name, f"real motion capture (CMU {clip}) on shape {key}", seed_,
                            athlete=replace(who.athlete, implement=None), motion="mocap", mocap_clip=clip,
                            mocap_window_s=window, mocap_mirror=mirror, mount_height_m=mount, yaw_deg=yaw,
                            tags=("enlarged", "mocap"), body="mesh", split=who.split))
    return tuple(out)


ENLARGED: tuple[Scenario, ...] = _enlarged_library()
SCENARIO_INDEX: dict[str, Scenario] = {s.name: s for s in SCENARIOS + ENLARGED}


def library(split: str | None = "dev", enlarged: bool = True, original: bool = True) -> tuple[Scenario, ...]:
    """Scenarios to benchmark: the original library (every one is "dev": it was developed on) and
    the enlarged mesh library, filtered by split (None = both)."""
    out = (SCENARIOS if original and split in (None, "dev") else ()) + (ENLARGED if enlarged else ())
    return tuple(s for s in out if split is None or s.split == split)


def get_scenario(name: str) -> Scenario:
    """The library's scenario called `name` (ValueError listing the names otherwise).

    NAME@mesh / NAME@capsule: that scenario worn by the mesh or the capsule body.
    """
    if "@" in name:
        base, body = name.rsplit("@", 1)
        if body not in BODIES:
            raise ValueError(f"unknown body {body!r} in scenario {name!r}; choose from {BODIES}")
        return get_scenario(base).on_body(body)
    try:
        return SCENARIO_INDEX[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, SCENARIO_INDEX, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown scenario {name!r}{hint} (see `station scenarios`)") from None


@dataclass
class SyntheticTake:
    """A built scenario: per-frame truth and an on-demand depth renderer.

    poses_floor_m: (n, len(SIM_POINTS), 3) of the lifter: the truth (for the mesh body its
        rig's joint centres, not the sim skeleton that drove it); walker_poses_floor_m likewise or None.
    in_view: (n,) the lifter is in the lifting zone (the frames a tracker should track).
    reps: true reps (contract boundaries, pattern, rdl faults, metrics).
    mesh, rig: the mesh body and its posed rig (body "mesh"), else None.
    truth_spine_flexion_deg: (n,) the mesh body's spine truth (spine01 vs root), else None.
    """

    scenario: Scenario
    times_s: np.ndarray
    poses_floor_m: np.ndarray
    walker_poses_floor_m: np.ndarray | None
    in_view: np.ndarray
    reps: list
    spine_baseline_deg: float
    T_floor_cam: np.ndarray
    intrinsics: Intrinsics
    shape: BodyShape
    noise: D435Noise
    scene: SceneSpec
    mesh: "mb.ShapedMesh | None" = None
    rig: "mb.PosedRig | None" = None
    truth_spine_flexion_deg: np.ndarray | None = None
    _renderer: Renderer | None = field(default=None, repr=False)
    _scene_prims: Primitives | None = field(default=None, repr=False)
    _skin_buf: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_frames(self) -> int:
        return len(self.times_s)

    @cached_property
    def truth_angles(self) -> dict[str, np.ndarray]:
        ang = contract_angles(self.poses_floor_m[:, :N_SKELETON], UP_FLOOR, self.spine_baseline_deg)
        out = {k: np.asarray(ang[k], np.float64) for k in ANGLES}
        if self.truth_spine_flexion_deg is not None:
            out["spine_flexion"] = np.asarray(self.truth_spine_flexion_deg, np.float64)
        return out

    @cached_property
    def skeleton_cam_m(self) -> np.ndarray:
        """(n, len(SKELETON_POINTS), 3) true skeleton points in the camera frame."""
        return apply(invert(self.T_floor_cam), self.poses_floor_m[:, :N_SKELETON])

    def primitives(self, i: int) -> Primitives:
        """Everything in view at frame i, floor frame."""
        if self._scene_prims is None:
            self._scene_prims = scene_primitives(self.scene)
        sc = self.scenario
        t = float(self.times_s[i])
        if self.mesh is not None:  # the surface is a mesh (render_ideal draws it); the implement is not
            parts = [self._scene_prims]
            if sc.athlete.implement is not None:
                parts.append(implement_primitives(self.poses_floor_m[i], sc.athlete.implement,
                                                  plates_per_side=self.shape.plates_per_side))
        else:
            parts = [self._scene_prims,
                     body_primitives(self.poses_floor_m[i], self.shape, sc.athlete.implement, t, sc.seed)]
        if self.walker_poses_floor_m is not None:
            walker_shape = BodyShape(1.82, 0.6, "loose")
            parts.append(body_primitives(self.walker_poses_floor_m[i], walker_shape, None, t,
                                         sc.seed + 1).with_label(LABEL_OTHER_PERSON))
        return Primitives.concat(*parts)

    def render_ideal(self, i: int):
        """Noise-free depth (metres), primitive index and label images of frame i (views: copy to keep)."""
        if self._renderer is None:
            self._renderer = Renderer(self.intrinsics)
        prims = self.primitives(i)
        out = self._renderer.render(prims, self.T_floor_cam)
        if self.mesh is not None:
            verts = self.mesh_vertices_floor_m(i)
            mb.draw_mesh(out.depth_m, out.prim_index, out.label, verts, self.mesh.triangles,
                         self.T_floor_cam, self.intrinsics, LABEL_LIFTER, len(prims))
        return out

    def mesh_vertices_floor_m(self, i: int) -> np.ndarray:
        """(n_vertices, 3) the mesh body's posed surface at frame i (a view of a reused buffer)."""
        if self.mesh is None or self.rig is None:
            raise ValueError(f"scenario {self.scenario.name} does not wear the mesh body")
        if self._skin_buf is None:
            self._skin_buf = np.empty((len(self.mesh.vertices_m), 3))
        return mb.skin_fast(self.mesh, self.rig, i, out_m=self._skin_buf)

    def render_u16(self, i: int) -> np.ndarray:
        """The sensor's depth image of frame i: (H, W) uint16 in 1 mm units, 0 = no data.

        Noise is seeded by (scenario seed, frame index), so frames are reproducible in any order.
        """
        ideal = self.render_ideal(i)
        rng = np.random.default_rng([self.scenario.seed, i])
        return apply_d435_noise(ideal.depth_m, self.intrinsics, self.noise, rng)

    def truth_document(self, recording_name: str) -> dict:
        """Ground truth in the schema of docs/analysis-output.md (plus a "truth" block)."""
        plane = floor_plane_from_T(self.T_floor_cam)
        skel = self.skeleton_cam_m
        ang = self.truth_angles
        frames = []
        for i in range(self.n_frames):
            fr = {"t": round(float(self.times_s[i] - self.times_s[0]), 6), "tracked": bool(self.in_view[i])}
            if self.in_view[i]:
                fr["joints"] = {n: [round(float(v), 5) for v in skel[i, j]] for j, n in enumerate(JOINTS)}
                fr["angles"] = {k: round(float(ang[k][i]), 4) for k in ANGLES}
                fr["spine_points"] = {"spine_low": [round(float(v), 5) for v in skel[i, N_SKELETON - 2]],
                                      "spine_mid": [round(float(v), 5) for v in skel[i, N_SKELETON - 1]]}
            frames.append(fr)
        sc = self.scenario
        return {
            "schema": TRUTH_SCHEMA,
            "recording": recording_name,
            "exercise": sc.exercise,
            "floor": {"normal": [float(v) for v in plane.normal_cam], "d": float(plane.d_m)},
            "frames": frames,
            "reps": [{**r.as_contract(), "exercise": sc.exercise} for r in self.reps],
            "rep_count": len(self.reps),
            "truth": {
                "scenario": sc.name, "description": sc.description, "seed": sc.seed,
                "athlete": {"height_m": sc.athlete.height_m, "build": sc.athlete.build,
                            "clothing": sc.athlete.clothing, "implement": sc.athlete.implement,
                            "sex": sc.athlete.sex, "muscle": sc.athlete.muscle},
                "body": sc.body, "split": sc.split,
                "joint_definition": ("MakeHuman rig joint centres; spine_flexion = sagittal angle of spine01 "
                                     "in the root frame minus standing" if sc.body == "mesh" else
                                     "sim skeleton points; spine_flexion from the contract's points"),
                "camera": {"height_m": sc.mount().height_m, "pitch_down_deg": sc.mount().pitch_down_deg,
                           "width": sc.width, "height": sc.height, "fps": sc.fps},
                "lifter": {"distance_m": sc.lifter_distance_m, "x_m": sc.lifter_x_m, "yaw_deg": sc.yaw_deg},
                "walker": sc.walker, "spine_baseline_deg": self.spine_baseline_deg,
                "fault_rules": "rdl defaults of the analysis contract, on the exact angles",
                "T_floor_cam": [[float(v) for v in row] for row in self.T_floor_cam],
            },
        }


_MOCAP_UPRIGHT_HIP_DEG = 25.0


def _mocap_reps(times_s: np.ndarray, angles: dict[str, np.ndarray]) -> list:
    """True reps of a motion-capture clip, which has no scripted boundaries.

    A rep is a movement whose mean hip flexion exceeds 45° (bends and squats); it starts and
    ends at the local minima of mean hip flexion around that peak, which must be below 25°
    (subject 13 stands with 5–20° of hip and knee flexion, and jogs straight after the last
    squat); its bottom is the deepest hip flexion.
    Knee raises lift one leg: the trunk stays upright (inclination < 30°), so they are excluded.
    Pattern: squat when knee flexion at the bottom exceeds 90°.
    """
    hip = 0.5 * (angles["hip_flexion_l"] + angles["hip_flexion_r"])
    knee = 0.5 * (angles["knee_flexion_l"] + angles["knee_flexion_r"])
    trunk = angles["trunk_inclination"]
    deep = (hip > 45.0) & ((trunk > 30.0) | (knee > 90.0))
    reps = []
    i, n = 0, len(hip)
    trace = {"t": times_s, **angles}
    while i < n:
        if not deep[i]:
            i += 1
            continue
        j = i
        while j < n and deep[j]:
            j += 1
        s = i
        while s > 0 and hip[s] > _MOCAP_UPRIGHT_HIP_DEG:
            s -= 1
        while s > 0 and hip[s - 1] < hip[s]:  # back to where they left upright (local minimum)
            s -= 1
        e = j - 1
        while e < n - 1 and hip[e] > _MOCAP_UPRIGHT_HIP_DEG:
            e += 1
        while e < n - 1 and hip[e + 1] < hip[e]:  # on to where they are fully back upright
            e += 1
        b = s + int(np.argmax(hip[s:e + 1]))
        if hip[s] <= _MOCAP_UPRIGHT_HIP_DEG and hip[e] <= _MOCAP_UPRIGHT_HIP_DEG:  # complete within the clip
            rep = mo.RepTruth(float(times_s[s]), float(times_s[b]), float(times_s[e]),
                              "squat" if knee[b] > 90.0 else "hinge")
            rep.faults, rep.metrics = mo.rdl_truth_faults(trace, rep)
            reps.append(rep)
        i = e + 1
    return reps


def _walker_poses(n: int, fps: float, lifter_y: float, seed: int) -> np.ndarray:
    """A second person crossing behind the lifter (1.2 m further back), right to left, starting
    after a seeded delay; before and after they stand out of view."""
    props = Proportions.from_height(1.82, 0.6)
    y = lifter_y + 1.2
    take = mo.walk_out(props, mo.Stance(feet_xy_m=(3.6, y)), end_xy_m=(-3.6, y), fps=fps)
    delay = int(np.random.default_rng(seed).integers(int(1.5 * fps), int(3.0 * fps)))
    poses = take.poses_floor_m
    idx = np.clip(np.arange(n) - delay, 0, len(poses) - 1)
    return poses[idx]


def _mirror(poses: np.ndarray, x_m: float, y_m: float, yaw_deg: float) -> np.ndarray:
    """Poses of a person facing −y at (x_m, y_m) mirrored left↔right, then turned by yaw_deg."""
    from station.sim.pose import SIM_POINTS

    swap = [SIM_INDEX[n.replace("_l", "_r") if n.endswith("_l") else n.replace("_r", "_l") if n.endswith("_r") else n]
            for n in SIM_POINTS]
    out = poses[:, swap].copy()
    out[..., 0] = 2.0 * x_m - out[..., 0]
    a = np.radians(yaw_deg)
    R = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    c = np.array([x_m, y_m, 0.0])
    return (out - c) @ R.T + c


def build(scenario: Scenario) -> SyntheticTake:
    """Script the motion, place camera and scene, and compute the truth of every frame."""
    sc = scenario
    ath = sc.athlete
    props = Proportions.from_height(ath.height_m, ath.build)
    # a kettlebell handle is held with the hands together; bars and dumbbells at shoulder width
    grip_m = 0.14 if ath.implement == "kettlebell" else 0.45
    if ath.implement is None and sc.arms == "hang":
        grip_m += sc.arms_out_m
    stance = mo.Stance(feet_xy_m=(sc.lifter_x_m, sc.lifter_distance_m), yaw_deg=sc.yaw_deg, grip_width_m=grip_m,
                       arms=sc.arms, soft_knee_deg=sc.soft_knee_deg, elbow_flexion_deg=sc.elbow_flexion_deg)
    zone = mo.LiftingZone(centre_xy_m=(sc.lifter_x_m, sc.lifter_distance_m))
    fps = float(sc.fps)
    if sc.motion == "mocap":
        from station.sim.mocap import load_clip

        clip = load_clip(sc.mocap_clip)
        t0, t1 = sc.mocap_window_s or (0.0, clip.duration_s)
        # scale subject 13 (head_top ≈ 1.69 m) to the athlete's height
        times, poses = clip.poses_floor(fps, place_xy_m=(sc.lifter_x_m, sc.lifter_distance_m),
                                        yaw_deg=0.0 if sc.mocap_mirror else sc.yaw_deg, t_start_s=t0,
                                        t_end_s=t1, scale=ath.height_m / 1.70)
        if sc.mocap_mirror:
            poses = _mirror(poses, sc.lifter_x_m, sc.lifter_distance_m, sc.yaw_deg)
        # The clips start mid-session; windows begin at an upright moment, held still for
        # mocap_hold_s as a person stands at the mirror before a set (trackers need to see that).
        hold = np.repeat(poses[:1], int(round(sc.mocap_hold_s * fps)), axis=0)
        poses = np.concatenate([hold, poses])
        times = np.arange(len(poses)) / fps
        from station.form.angles import spine_flexion_raw_deg

        baseline = float(spine_flexion_raw_deg(poses[0, :N_SKELETON]))
        in_view = zone.contains(poses[:, SIM_INDEX["pelvis"], :2])
        reference = poses[0]
        if sc.body == "capsule":
            ang = contract_angles(poses[:, :N_SKELETON], UP_FLOOR, baseline)
            reps = _mocap_reps(times, {k: np.asarray(ang[k], np.float64) for k in ANGLES})
    else:
        if sc.motion == "session":
            take = mo.session(props, list(sc.reps), stance, fps=fps, seed=sc.seed)
        elif sc.motion == "hinge_set":
            take = mo.concat([mo.stand(props, 1.5, stance, fps, sc.seed, zone=zone),
                              mo.hinge_set(props, list(sc.reps), stance, fps, seed=sc.seed + 1, zone=zone)])
        elif sc.motion == "deadlift_set":
            take = mo.concat([mo.stand(props, 1.5, stance, fps, sc.seed, zone=zone),
                              mo.deadlift_set(props, list(sc.reps), stance, fps, seed=sc.seed + 1, zone=zone)])
            mo.judge_truth(take, "deadlift")
        elif sc.motion == "squat_set":
            take = mo.concat([mo.stand(props, 1.5, stance, fps, sc.seed, zone=zone),
                              mo.squat_set(props, list(sc.reps), stance, fps, seed=sc.seed + 1, zone=zone)])
        elif sc.motion == "stand":
            take = mo.stand(props, 6.0, stance, fps, sc.seed, zone=zone)
        else:
            raise ValueError(f"scenario {sc.name}: unknown motion {sc.motion!r}")
        times, poses, in_view = take.times_s, take.poses_floor_m, take.in_view
        baseline, reps = take.spine_baseline_deg, list(take.reps)
        reference = pose_from_angles(props, PoseParams())
    mesh = rig = spine_truth = None
    if sc.body == "mesh":
        mesh = mb.shaped_mesh(ath.mesh_shape())
        rig = mb.pose_rig(mesh, np.asarray(poses, np.float64), reference)
        poses, baseline, spine_truth = rig.points, rig.spine_standing_deg, rig.spine_flexion_deg
        ang = contract_angles(poses[:, :N_SKELETON], UP_FLOOR, baseline)
        ang = {k: np.asarray(ang[k], np.float64) for k in ANGLES}
        ang["spine_flexion"] = spine_truth
        if sc.motion == "mocap":
            reps = _mocap_reps(np.asarray(times, np.float64), ang)
        else:  # same rep boundaries, judged again on the mesh's own angles
            trace = {"t": np.asarray(times, np.float64), **ang}
            reps = [mo.RepTruth(r.start_t, r.bottom_t, r.end_t, r.pattern) for r in reps]
            for r in reps:
                r.faults, r.metrics = mo.rdl_truth_faults(trace, r)
    walker = _walker_poses(len(times), fps, sc.lifter_distance_m, sc.seed) if sc.walker else None
    scene = typical_gym(sc.wall_distance_m) if sc.scene == "gym" else SceneSpec(sc.wall_distance_m)
    base = D435Noise()
    noise = replace(base, subpixel_rms_px=base.subpixel_rms_px * sc.noise_scale,
                    hole_fraction=min(base.hole_fraction * sc.noise_scale, 0.2))
    return SyntheticTake(
        scenario=sc, times_s=np.asarray(times, np.float64), poses_floor_m=np.asarray(poses, np.float64),
        walker_poses_floor_m=walker, in_view=np.asarray(in_view, bool), reps=reps,
        spine_baseline_deg=float(baseline), T_floor_cam=sc.mount().T_floor_cam(),
        intrinsics=d435_depth_intrinsics(sc.width, sc.height),
        shape=ath.capsule_shape(), noise=noise, scene=scene, mesh=mesh, rig=rig,
        truth_spine_flexion_deg=spine_truth)


