"""The scenario library: named, seeded synthetic takes, varied the way real gyms vary.

A `Scenario` is pure data (who, where the camera is, what they do, what else is in view);
`build(scenario)` (station.sim.synthetic_take, re-exported here) turns it into a
`SyntheticTake` that knows its ground truth for every frame and renders any frame's depth
image on demand (deterministic per frame, so frames can be rendered in any order or in
parallel).

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

from dataclasses import dataclass, replace

import numpy as np

from station.segment.person import LiftingZone
from station.sim.body import BodyShape
from station.sim.camera import CameraMount, aim_pitch_deg
from station.sim.mesh_shape import MeshShape
from station.sim.motion import HingeRepParams, SquatRepParams
from station.sim.synthetic_take import SyntheticTake, build

__all__ = ["Athlete", "Scenario", "SyntheticTake", "build", "BODIES", "SPLITS", "SCENARIOS", "ENLARGED",
           "ENLARGED_SHAPES", "FAULT_FAMILIES", "SCENARIO_INDEX", "library", "get_scenario"]

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

    def mesh_shape(self) -> MeshShape:
        clothing = "tshirt" if self.clothing == "loose" else self.clothing
        return MeshShape(self.height_m, self.sex, self.muscle, self.build, clothing)


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
    walker: bool = False                    # a second person crossing the view during the set
    walker_offset_m: float = 1.2            # how far behind the lifter they cross (negative: in
                                            # front, between the lifter and the mirror)
    walker_start_s: float | None = None     # when they set off (None: 1.5-3 s in, by the seed)
    noise_scale: float = 1.0                # multiplies the D435 subpixel noise and hole rate
    edge_fattening_px: int = 0              # the sensor's foreground fattening (D435Noise)
    noise_corr_px: float = 0.0              # the noise correlated in patches (D435Noise.noise_corr_sigma_px)
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
    arms: str = "hang"                      # how the implement is held (station.sim.motion.ARM_HOLDS)
    stand_posture_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # standing: hip, thoracic and neck
                                            # flexion (a relaxed stance; station.sim.motion.Stance)

    def __post_init__(self) -> None:
        if self.body not in BODIES:
            raise ValueError(f"scenario {self.name}: body must be one of {BODIES}, got {self.body!r}")
        if self.split not in SPLITS:
            raise ValueError(f"scenario {self.name}: split must be one of {SPLITS}, got {self.split!r}")

    def on_body(self, body: str) -> "Scenario":
        """This scenario worn by another body, named NAME@BODY."""
        base = self.name.split("@", 1)[0]
        return replace(self, body=body, name=f"{base}@{body}")

    def zone_at_lifter(self, zone: LiftingZone) -> LiftingZone:
        """The station's lifting zone `zone` re-centred on where this scenario's lifter
        stands (staff set the zone to their floor markings)."""
        return replace(zone, centre_x_m=self.lifter_x_m, centre_y_m=self.lifter_distance_m)

    def mount(self) -> CameraMount:
        pitch = self.pitch_down_deg
        if pitch is None:
            pitch = aim_pitch_deg(self.mount_height_m, 0.95, self.lifter_distance_m)
        return CameraMount(self.mount_height_m, pitch)


def _clean(n: int, **kw) -> tuple[HingeRepParams, ...]:
    return tuple(HingeRepParams(**kw) for _ in range(n))


def _mixed_reps() -> tuple[HingeRepParams, ...]:
    return (HingeRepParams(),
            HingeRepParams(spine_rounding_deg=32.0),
            HingeRepParams(knee_flexion_deg=55.0, hip_flexion_deg=75.0),
            HingeRepParams(lockout_hip_flexion_deg=25.0),
            HingeRepParams(lateral_shift_m=0.10, eccentric_s=0.6))


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
             reps=tuple(SquatRepParams(knee_flexion_deg=k, hip_flexion_deg=h)
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
    # mid-set, between the lifter and the mirror: a second or so with the lifter partly or
    # wholly hidden behind someone nearer the camera (station.segment.occlusion)
    Scenario("walker_in_front", "someone crosses between the lifter and the mirror mid-set", 40,
             reps=_clean(5), walker=True, walker_offset_m=-1.0, walker_start_s=6.7,
             tags=("clean", "walker")),
    # nearer the camera than the lifter by more (a large, fast occluder) and by less (the
    # walker's back within 0.1-0.2 m of a bent lifter's head); both cross at the third rep's
    # bottom
    Scenario("walker_close_to_camera", "someone passes 1 m from the camera mid-set; the back "
             "rounds on every rep", 41, reps=_clean(4, spine_rounding_deg=32.0), mount_height_m=1.9,
             walker=True, walker_offset_m=-1.6, walker_start_s=5.2, tags=("fault", "walker")),
    Scenario("walker_brushing_past", "someone brushes past 0.6 m in front of the lifter mid-set",
             42, reps=_clean(5), walker=True, walker_offset_m=-0.6, walker_start_s=5.2,
             tags=("clean", "walker")),
    Scenario("session_walk_in_out", "walks in, stands, 4 RDLs, stands, walks out", 19,
             motion="session", reps=_clean(4), tags=("clean", "lifecycle")),
    Scenario("partial_and_grip_reset", "a partial dip and a grip reset among full reps", 20,
             reps=(HingeRepParams(), HingeRepParams(partial=True, hip_flexion_deg=20.0),
                   HingeRepParams(grip_reset=True), HingeRepParams(bottom_pause_s=1.2),
                   HingeRepParams()), tags=("clean", "robustness")),
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
    # added at stop 31, after the held-out shapes so that every earlier take keeps its seed:
    # more of what the fitter does not model (women heavy, slim in a hoodie, tall and
    # muscular; a heavy man in a hoodie, a 2 m man, a short heavy man). On their first fits
    # (one clean and one fault set each, 1.6 m, facing the mirror) the coach called three of
    # their six rounded backs clean
    _Who("M", Athlete(1.65, 1.0, "tight", "barbell", 0.0, 0.5), "dev"),
    _Who("N", Athlete(1.78, 0.9, "hoodie", "barbell", 1.0, 0.6), "dev"),
    _Who("O", Athlete(1.70, 0.2, "hoodie", "dumbbells", 0.0, 0.4), "dev"),
    _Who("P", Athlete(2.00, 0.3, "tshirt", None, 1.0, 0.3), "dev"),
    _Who("Q", Athlete(1.80, 0.4, "tight", "barbell", 0.2, 0.9), "dev"),
    _Who("R", Athlete(1.60, 0.8, "tshirt", "kettlebell", 1.0, 0.5), "dev"),
)

FAULT_FAMILIES: tuple[str, ...] = ("rounded_back", "knee_dominant", "incomplete_lockout", "overextension",
                                   "hip_shift", "too_fast")


def _family_rep(family: str, positive: bool, rng: np.random.Generator) -> HingeRepParams:
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
    return HingeRepParams(**base)


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
