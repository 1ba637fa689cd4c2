"""Speed of the synthetic depth renderer and the D435 noise model (prints figures, never fails).

A typical scene: a lifter with a loaded barbell, a passer-by, the gym of
station.sim.scene.typical_gym (rack, bench, plates, dumbbell rack, plyo box), floor and wall;
camera at 1.5 m pitched 15° down, lifter at 2.5 m. One thread (set NUMBA_NUM_THREADS=1).

    NUMBA_NUM_THREADS=1 python bench/renderer.py [--frames 200]

Then the mesh athlete (station.sim.mesh_body) in the same gym: skinning, z-buffer rasterising
of its 26,756 triangles on top of the primitives, and the whole frame with the noise model.
"""
from __future__ import annotations

import argparse
import math
import resource
import time
import tracemalloc

import numpy as np

from station.frames import T_floor_cam_from_mount
from station.sim.camera import d435_depth_intrinsics
from station.sim.body import BodyShape, body_primitives, standing_pose
from station.sim.render import LABEL_OTHER_PERSON, Primitives, Renderer
from station.sim.scene import scene_primitives, typical_gym
from station.sim.sensor import D435Noise, apply_d435_noise


def scene(t_s: float) -> Primitives:
    pose = standing_pose(1.75, 0.0, 2.5, grip="bar")
    pose = pose + np.array([0.0, 0.0, 0.02 * math.sin(2 * t_s)])  # move a little so nothing is cached
    walker = body_primitives(standing_pose(1.7, -1.5 + 0.8 * t_s, 4.2, facing_deg=90),
                             BodyShape(1.7, 0.3, "loose"), t_s=t_s).with_label(LABEL_OTHER_PERSON)
    return Primitives.concat(body_primitives(pose, BodyShape(clothing="loose"), "barbell", t_s=t_s), walker,
                             scene_primitives(typical_gym(5.0)))


def mesh_speed(T: np.ndarray, n_frames: int) -> None:
    """ms per frame of the mesh athlete's stages at 848x480 (a hinge rep, rig posed beforehand)."""
    from station.sim import mesh_body as mb
    from station.sim import mesh_shape as ms
    from station.sim.kinematics import PoseParams, Proportions, pose_from_angles

    props = Proportions.from_height(1.75)
    ref = pose_from_angles(props, PoseParams())
    poses = np.stack([pose_from_angles(props, PoseParams(hip_flexion_deg=80.0 * (0.5 - 0.5 * math.cos(k / 10)),
                                                         knee_flexion_l_deg=15.0, knee_flexion_r_deg=15.0))
                      for k in range(n_frames)])
    body = ms.shaped_mesh(ms.MeshShape(clothing="tshirt"))
    t0 = time.perf_counter()
    rig = mb.pose_rig(body, poses, ref)
    t_rig = (time.perf_counter() - t0) / n_frames
    intr = d435_depth_intrinsics(848, 480)
    rr = Renderer(intr)
    gym = scene_primitives(typical_gym(5.0))
    buf = np.empty((len(body.vertices_m), 3))
    mb.draw_mesh(*_views(rr.render(gym, T)), mb.skin_fast(body, rig, 0, out_m=buf), body.triangles, T, intr, 1, 0)
    t0 = time.perf_counter()
    for i in range(n_frames):
        mb.skin_fast(body, rig, i, out_m=buf)
    t_skin = (time.perf_counter() - t0) / n_frames
    out = rr.render(gym, T)
    t0 = time.perf_counter()
    for i in range(n_frames):
        mb.draw_mesh(*_views(out), buf, body.triangles, T, intr, 1, 0)
    t_draw = (time.perf_counter() - t0) / n_frames
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(n_frames):
        out = rr.render(gym, T)
        mb.draw_mesh(*_views(out), mb.skin_fast(body, rig, i, out_m=buf), body.triangles, T, intr, 1, 0)
        apply_d435_noise(out.depth_m, intr, D435Noise(), rng)
    t_all = (time.perf_counter() - t0) / n_frames
    for stage, t in (("mesh: pose rig (per frame)", t_rig), ("mesh: skin 13k vertices", t_skin),
                     ("mesh: rasterise 27k tris", t_draw), ("gym+mesh+noise, whole", t_all)):
        print(f"{848}x{480:<4} {stage:<24} {t * 1e3:9.2f} {1.0 / t:7.1f}")


def _views(r):
    return r.depth_m, r.prim_index, r.label


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    T = T_floor_cam_from_mount(1.5, 15.0)
    print(f"primitives in the typical scene: {len(scene(0.0))} "
          f"(lifter+barbell {len(body_primitives(standing_pose(grip='bar'), BodyShape(), 'barbell'))})")
    print(f"{'mode':>8} {'stage':<24} {'ms/frame':>9} {'fps':>7}")
    for w, h in ((848, 480), (640, 480)):
        intr = d435_depth_intrinsics(w, h)
        rr = Renderer(intr)
        rng = np.random.default_rng(0)
        noise = D435Noise()
        frames = [scene(i / 30.0) for i in range(args.frames)]
        rr.render(frames[0], T)
        apply_d435_noise(rr.render(frames[0], T).depth_m, intr, noise, rng)  # compile / load cache
        t0 = time.perf_counter()
        for p in frames:
            rr.render(p, T)
        t_render = (time.perf_counter() - t0) / len(frames)
        t0 = time.perf_counter()
        for p in frames:
            apply_d435_noise(rr.render(p, T).depth_m, intr, noise, rng)
        t_both = (time.perf_counter() - t0) / len(frames)
        t0 = time.perf_counter()
        for i in range(20):
            scene(i / 30.0)
        t_build = (time.perf_counter() - t0) / 20
        for stage, t in (("render", t_render), ("render + noise", t_both), ("build primitives (py)", t_build)):
            print(f"{w}x{h:<4} {stage:<24} {t * 1e3:9.2f} {1.0 / t:7.1f}")
    mesh_speed(T, args.frames)
    tracemalloc.start()
    intr = d435_depth_intrinsics(848, 480)
    rr = Renderer(intr)
    apply_d435_noise(rr.render(scene(0.0), T).depth_m, intr, D435Noise(), np.random.default_rng(0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced allocation for one 848x480 render+noise frame: {peak / 1e6:.1f} MB; "
          f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
