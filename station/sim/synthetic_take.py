"""A built scenario: the synthetic athlete's truth for every frame, and its depth frames on demand.

`build(scenario)` scripts the motion (station.sim.motion and station.sim.walking, or real
motion capture through station.sim.mocap), dresses it in the scenario's body (the capsule
body, or the MakeHuman mesh posed by station.sim.mesh_body, whose own rig then is the truth),
places camera, scene and a second person, and returns a SyntheticTake. The take renders any
frame's depth image deterministically (noise seeded per frame, so frames can be rendered in
any order or in parallel) and writes its truth in the analysis contract's schema
(truth_document, docs/analysis-output.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from station.contract import SCHEMA
from station.form.angles import contract_angles, spine_flexion_raw_deg
from station.frames import UP_FLOOR, apply, floor_plane_from_T, invert
from station.model import ANGLES, JOINTS, Intrinsics
from station.sim.mesh_body import PosedRig, draw_mesh, pose_rig, skin_fast
from station.sim.mesh_shape import ShapedMesh, shaped_mesh
from station.sim.body import BodyShape, body_primitives, implement_primitives
from station.sim.camera import d435_depth_intrinsics
from station.sim.kinematics import PoseParams, Proportions, pose_from_angles
from station.sim.mocap import load_clip
from station.sim.motion import Stance, deadlift_set, hinge_set, squat_set, stand
from station.sim.pose import N_SKELETON, SIM_INDEX, SIM_POINTS
from station.sim.render import LABEL_LIFTER, LABEL_OTHER_PERSON, Primitives, Renderer
from station.sim.scene import SceneSpec, scene_primitives, typical_gym
from station.sim.sensor import D435Noise, apply_d435_noise
from station.sim.take import concat
from station.sim.truth import LiftingZone, RepTruth, judge_reps, judge_truth, rdl_truth_faults
from station.sim.walking import session, walk_out

if TYPE_CHECKING:
    from station.sim.scenarios import Scenario


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
    mesh: ShapedMesh | None = None
    rig: PosedRig | None = None
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
            draw_mesh(out.depth_m, out.prim_index, out.label, verts, self.mesh.triangles,
                      self.T_floor_cam, self.intrinsics, LABEL_LIFTER, len(prims))
        return out

    def mesh_vertices_floor_m(self, i: int) -> np.ndarray:
        """(n_vertices, 3) the mesh body's posed surface at frame i (a view of a reused buffer)."""
        if self.mesh is None or self.rig is None:
            raise ValueError(f"scenario {self.scenario.name} does not wear the mesh body")
        if self._skin_buf is None:
            self._skin_buf = np.empty((len(self.mesh.vertices_m), 3))
        return skin_fast(self.mesh, self.rig, i, out_m=self._skin_buf)

    def render_u16(self, i: int) -> np.ndarray:
        """The sensor's depth image of frame i: (H, W) uint16 in 1 mm units, 0 = no data.

        Noise is seeded by (scenario seed, frame index), so frames are reproducible in any order.
        """
        ideal = self.render_ideal(i)
        rng = np.random.default_rng([self.scenario.seed, i])
        return apply_d435_noise(ideal.depth_m, self.intrinsics, self.noise, rng)

    @property
    def truth_profile(self) -> str:
        """The exercise profile whose rules labelled the truth's faults (truth_profile_of)."""
        return truth_profile_of(self.scenario)

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
            "schema": SCHEMA,
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
                "fault_rules": (f"the {self.truth_profile} profile's defaults"
                                + (" of the analysis contract" if self.truth_profile == "rdl" else "")
                                + ", on the exact angles"),
                "fault_profile": self.truth_profile,
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
            rep = RepTruth(float(times_s[s]), float(times_s[b]), float(times_s[e]),
                           "squat" if knee[b] > 90.0 else "hinge")
            rep.faults, rep.metrics = rdl_truth_faults(trace, rep)
            reps.append(rep)
        i = e + 1
    return reps


def _walker_poses(n: int, fps: float, lifter_y: float, seed: int, offset_m: float = 1.2,
                  start_s: float | None = None) -> np.ndarray:
    """A second person crossing the view offset_m behind the lifter (negative: in front of
    them), right to left, starting after a seeded delay; before and after they stand out of
    view."""
    props = Proportions.from_height(1.82, 0.6)
    y = lifter_y + offset_m
    take = walk_out(props, Stance(feet_xy_m=(3.6, y)), end_xy_m=(-3.6, y), fps=fps)
    delay = (int(np.random.default_rng(seed).integers(int(1.5 * fps), int(3.0 * fps))) if start_s is None
             else int(round(start_s * fps)))
    poses = take.poses_floor_m
    idx = np.clip(np.arange(n) - delay, 0, len(poses) - 1)
    return poses[idx]


def _mirror(poses: np.ndarray, x_m: float, y_m: float, yaw_deg: float) -> np.ndarray:
    """Poses of a person facing −y at (x_m, y_m) mirrored left↔right, then turned by yaw_deg."""
    swap = [SIM_INDEX[n.replace("_l", "_r") if n.endswith("_l") else n.replace("_r", "_l") if n.endswith("_r") else n]
            for n in SIM_POINTS]
    out = poses[:, swap].copy()
    out[..., 0] = 2.0 * x_m - out[..., 0]
    a = np.radians(yaw_deg)
    R = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    c = np.array([x_m, y_m, 0.0])
    return (out - c) @ R.T + c


def truth_profile_of(scenario: Scenario) -> str:
    """The exercise profile whose rules label a scenario's truth faults: the rdl defaults of
    the analysis contract, except deadlifts from the floor, whose reps start at the floor
    and are labelled by the deadlift profile (station.sim.truth.judge_reps). A benchmark
    that scores verdicts runs the station with this profile."""
    return "deadlift" if scenario.motion == "deadlift_set" else "rdl"


def build(scenario: Scenario) -> SyntheticTake:
    """Script the motion, place camera and scene, and compute the truth of every frame."""
    sc = scenario
    ath = sc.athlete
    props = Proportions.from_height(ath.height_m, ath.build)
    # a kettlebell handle is held with the hands together; bars and dumbbells at shoulder width
    grip_m = 0.14 if ath.implement == "kettlebell" else 0.45
    if ath.implement is None and sc.arms == "hang":
        grip_m += sc.arms_out_m
    stance = Stance(feet_xy_m=(sc.lifter_x_m, sc.lifter_distance_m), yaw_deg=sc.yaw_deg, grip_width_m=grip_m,
                    arms=sc.arms, soft_knee_deg=sc.soft_knee_deg, elbow_flexion_deg=sc.elbow_flexion_deg,
                    hip_flexion_deg=sc.stand_posture_deg[0], thoracic_flexion_deg=sc.stand_posture_deg[1],
                    neck_flexion_deg=sc.stand_posture_deg[2])
    zone = LiftingZone(centre_xy_m=(sc.lifter_x_m, sc.lifter_distance_m))
    fps = float(sc.fps)
    if sc.motion == "mocap":
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
        baseline = float(spine_flexion_raw_deg(poses[0, :N_SKELETON]))
        in_view = zone.contains(poses[:, SIM_INDEX["pelvis"], :2])
        reference = poses[0]
        if sc.body == "capsule":
            ang = contract_angles(poses[:, :N_SKELETON], UP_FLOOR, baseline)
            reps = _mocap_reps(times, {k: np.asarray(ang[k], np.float64) for k in ANGLES})
    else:
        if sc.motion == "session":
            take = session(props, list(sc.reps), stance, fps=fps, seed=sc.seed)
        elif sc.motion == "hinge_set":
            take = concat([stand(props, 1.5, stance, fps, sc.seed, zone=zone),
                           hinge_set(props, list(sc.reps), stance, fps, seed=sc.seed + 1, zone=zone)])
        elif sc.motion == "deadlift_set":
            take = concat([stand(props, 1.5, stance, fps, sc.seed, zone=zone),
                           deadlift_set(props, list(sc.reps), stance, fps, seed=sc.seed + 1, zone=zone)])
            judge_truth(take, truth_profile_of(sc))   # concat labelled the reps by the rdl rules
        elif sc.motion == "squat_set":
            take = concat([stand(props, 1.5, stance, fps, sc.seed, zone=zone),
                           squat_set(props, list(sc.reps), stance, fps, seed=sc.seed + 1, zone=zone)])
        elif sc.motion == "stand":
            take = stand(props, 6.0, stance, fps, sc.seed, zone=zone)
        else:
            raise ValueError(f"scenario {sc.name}: unknown motion {sc.motion!r}")
        times, poses, in_view = take.times_s, take.poses_floor_m, take.in_view
        baseline, reps = take.spine_baseline_deg, list(take.reps)
        reference = pose_from_angles(props, PoseParams())
    mesh = rig = spine_truth = None
    if sc.body == "mesh":
        mesh = shaped_mesh(ath.mesh_shape())
        rig = pose_rig(mesh, np.asarray(poses, np.float64), reference)
        poses, baseline, spine_truth = rig.points, rig.spine_standing_deg, rig.spine_flexion_deg
        ang = contract_angles(poses[:, :N_SKELETON], UP_FLOOR, baseline)
        ang = {k: np.asarray(ang[k], np.float64) for k in ANGLES}
        ang["spine_flexion"] = spine_truth
        if sc.motion == "mocap":
            reps = _mocap_reps(np.asarray(times, np.float64), ang)
        else:  # same rep boundaries, judged again on the mesh's own angles
            trace = {"t": np.asarray(times, np.float64), **ang}
            reps = [RepTruth(r.start_t, r.bottom_t, r.end_t, r.pattern) for r in reps]
            for r in reps:
                r.faults, r.metrics = rdl_truth_faults(trace, r)
            if truth_profile_of(sc) != "rdl":   # reps from the floor: the deadlift's rules, as the capsule body's
                judge_reps(np.asarray(times, np.float64), ang, reps, truth_profile_of(sc))
    walker = _walker_poses(len(times), fps, sc.lifter_distance_m, sc.seed, sc.walker_offset_m,
                           sc.walker_start_s) if sc.walker else None
    scene = typical_gym(sc.wall_distance_m) if sc.scene == "gym" else SceneSpec(sc.wall_distance_m)
    base = D435Noise()
    noise = replace(base, subpixel_rms_px=base.subpixel_rms_px * sc.noise_scale,
                    hole_fraction=min(base.hole_fraction * sc.noise_scale, 0.2),
                    edge_fattening_px=sc.edge_fattening_px, noise_corr_sigma_px=sc.noise_corr_px)
    return SyntheticTake(
        scenario=sc, times_s=np.asarray(times, np.float64), poses_floor_m=np.asarray(poses, np.float64),
        walker_poses_floor_m=walker, in_view=np.asarray(in_view, bool), reps=reps,
        spine_baseline_deg=float(baseline), T_floor_cam=sc.mount().T_floor_cam(),
        intrinsics=d435_depth_intrinsics(sc.width, sc.height),
        shape=ath.capsule_shape(), noise=noise, scene=scene, mesh=mesh, rig=rig,
        truth_spine_flexion_deg=spine_truth)


