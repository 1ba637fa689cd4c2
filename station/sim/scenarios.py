"""The scenario library: named, seeded synthetic takes, varied the way real gyms vary.

A `Scenario` is pure data (who, where the camera is, what they do, what else is in view);
`build(scenario)` turns it into a `SyntheticTake` that knows its ground truth for every
frame and renders any frame's depth image on demand (deterministic per frame, so frames can
be rendered in any order or in parallel).

The library spans body sizes (1.5–2.0 m, slim to heavy), clothing, implements (barbell,
kettlebell, dumbbells, none), camera mounts from chest height (1.0 m) to the top of a 2.1 m
mirror, lifters facing the mirror or turned up to 45°, a second person walking behind,
sensor noise levels, and motion from our scripts and from real motion capture (CMU).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from station.form.angles import contract_angles
from station.frames import apply, floor_plane_from_T, invert
from station.model import ANGLES, JOINTS, Intrinsics
from station.sim import motion as mo
from station.sim.body import BodyShape, body_primitives
from station.sim.camera import CameraMount, aim_pitch_deg, d435_depth_intrinsics
from station.sim.kinematics import Proportions
from station.sim.pose import N_SKELETON, SIM_INDEX
from station.sim.render import LABEL_OTHER_PERSON, Primitives, Renderer
from station.sim.scene import SceneSpec, scene_primitives, typical_gym
from station.sim.sensor import D435Noise, apply_d435_noise

UP_FLOOR = np.array([0.0, 0.0, 1.0])
TRUTH_SCHEMA = "station.analysis/1"


@dataclass(frozen=True)
class Athlete:
    """Who lifts: body size and build, clothing, what they hold."""

    height_m: float = 1.75
    build: float = 0.5
    clothing: str = "tight"
    implement: str | None = "barbell"


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

SCENARIO_INDEX: dict[str, Scenario] = {s.name: s for s in SCENARIOS}


def get_scenario(name: str) -> Scenario:
    """The library's scenario called `name` (ValueError listing the names otherwise)."""
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

    poses_floor_m: (n, len(SIM_POINTS), 3) of the lifter; walker_poses_floor_m likewise or None.
    in_view: (n,) the lifter is in the lifting zone (the frames a tracker should track).
    reps: true reps (contract boundaries, pattern, rdl faults, metrics).
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
    _renderer: Renderer | None = field(default=None, repr=False)
    _scene_prims: Primitives | None = field(default=None, repr=False)

    @property
    def n_frames(self) -> int:
        return len(self.times_s)

    @cached_property
    def truth_angles(self) -> dict[str, np.ndarray]:
        ang = contract_angles(self.poses_floor_m[:, :N_SKELETON], UP_FLOOR, self.spine_baseline_deg)
        return {k: np.asarray(ang[k], np.float64) for k in ANGLES}

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
        return self._renderer.render(self.primitives(i), self.T_floor_cam)

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
                            "clothing": sc.athlete.clothing, "implement": sc.athlete.implement},
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


def build(scenario: Scenario) -> SyntheticTake:
    """Script the motion, place camera and scene, and compute the truth of every frame."""
    sc = scenario
    ath = sc.athlete
    props = Proportions.from_height(ath.height_m, ath.build)
    # a kettlebell handle is held with the hands together; bars and dumbbells at shoulder width
    grip_m = 0.14 if ath.implement == "kettlebell" else 0.45
    stance = mo.Stance(feet_xy_m=(sc.lifter_x_m, sc.lifter_distance_m), yaw_deg=sc.yaw_deg, grip_width_m=grip_m,
                       arms=sc.arms)
    zone = mo.LiftingZone(centre_xy_m=(sc.lifter_x_m, sc.lifter_distance_m))
    fps = float(sc.fps)
    if sc.motion == "mocap":
        from station.sim.mocap import load_clip

        clip = load_clip(sc.mocap_clip)
        t0, t1 = sc.mocap_window_s or (0.0, clip.duration_s)
        # scale subject 13 (head_top ≈ 1.69 m) to the athlete's height
        times, poses = clip.poses_floor(fps, place_xy_m=(sc.lifter_x_m, sc.lifter_distance_m),
                                        yaw_deg=sc.yaw_deg, t_start_s=t0, t_end_s=t1,
                                        scale=ath.height_m / 1.70)
        # The clips start mid-session; windows begin at an upright moment, held still for
        # mocap_hold_s as a person stands at the mirror before a set (trackers need to see that).
        hold = np.repeat(poses[:1], int(round(sc.mocap_hold_s * fps)), axis=0)
        poses = np.concatenate([hold, poses])
        times = np.arange(len(poses)) / fps
        from station.form.angles import spine_flexion_raw_deg

        baseline = float(spine_flexion_raw_deg(poses[0, :N_SKELETON]))
        in_view = zone.contains(poses[:, SIM_INDEX["pelvis"], :2])
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
        shape=BodyShape(ath.height_m, ath.build, ath.clothing), noise=noise, scene=scene)


