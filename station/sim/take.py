"""MotionTake: a scripted motion's poses with the truth of every frame, and joining takes.

A take's truth is computed here from its poses alone: the contract angles of every frame
(station.form.angles, up = floor z), each rep's fault labels and metrics from the independent
labeller (station.sim.truth), and which frames are in view. The scripts (station.sim.motion,
station.sim.walking) only say where the body is and where each rep starts, bottoms and ends.
Every script starts and ends standing upright at its Stance, so takes built with the same
Stance join without a jump; concat checks it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from station.frames import UP_FLOOR
from station.form.angles import contract_angles, spine_flexion_raw_deg
from station.model import ANGLES
from station.sim.kinematics import PoseParams, Proportions, pose_from_angles
from station.sim.pose import N_SKELETON, SIM_INDEX
from station.sim.truth import LiftingZone, RepTruth, rdl_truth_faults


@dataclass
class MotionTake:
    """A scripted motion and its truth.

    times_s (n,), poses_floor_m (n, len(SIM_POINTS), 3) float64 floor frame;
    reps: counted reps (contract definition); partial_reps: shallow dips that must not count;
    in_view (n,) bool: the pelvis is inside the lifting zone; spine_baseline_deg: raw spine
    flexion of this person standing upright (truth spine_flexion = raw − baseline);
    truth_angles: contract angles per frame, each (n,); segments: (name, t0, t1) of each part.
    """

    props: Proportions
    fps: float
    times_s: np.ndarray
    poses_floor_m: np.ndarray
    reps: list[RepTruth]
    partial_reps: list[RepTruth]
    in_view: np.ndarray
    spine_baseline_deg: float
    truth_angles: dict[str, np.ndarray]
    segments: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1] - self.times_s[0]) if len(self.times_s) else 0.0

    def angles_trace(self) -> dict[str, np.ndarray]:
        return {"t": self.times_s, **self.truth_angles}


def assemble_take(props: Proportions, fps: float, poses: np.ndarray, in_view: np.ndarray, baseline: float,
                  reps: list[RepTruth], partial: list[RepTruth], segments) -> MotionTake:
    """A take from its poses: truth angles per frame, then each rep's reference faults."""
    times = np.arange(len(poses)) / fps
    ang = contract_angles(poses[:, :N_SKELETON], UP_FLOOR, baseline)
    ang = {k: np.asarray(ang[k], dtype=np.float64) for k in ANGLES}
    take = MotionTake(props=props, fps=fps, times_s=times, poses_floor_m=poses, reps=[],
                      partial_reps=[], in_view=in_view, spine_baseline_deg=baseline,
                      truth_angles=ang, segments=list(segments))
    trace = take.angles_trace()
    for src, dst in ((reps, take.reps), (partial, take.partial_reps)):
        for r in src:
            r.faults, r.metrics = rdl_truth_faults(trace, r)
            dst.append(r)
    return take


def finish_take(props: Proportions, fps: float, poses: np.ndarray, zone: LiftingZone,
                reps: list[RepTruth], partial: list[RepTruth], segments) -> MotionTake:
    """A script's take: in view where the pelvis is in `zone`, this person's spine baseline."""
    return assemble_take(props, fps, poses, zone.contains(poses[:, SIM_INDEX["pelvis"]]),
                         spine_baseline_deg(props), reps, partial, segments)


def spine_baseline_deg(props: Proportions) -> float:
    """Raw spine flexion (station.form.angles) of this person standing upright."""
    pose = pose_from_angles(props, PoseParams())
    return float(spine_flexion_raw_deg(pose[:N_SKELETON]))


def concat(takes: Sequence[MotionTake], max_jump_m: float = 0.02) -> MotionTake:
    """Join takes end to start: each next take's first frame replaces the previous last frame.

    Raises ValueError when a join would jump (any point moves more than max_jump_m), i.e. the
    takes were not built with the same Stance and person.
    """
    if not takes:
        raise ValueError("nothing to concatenate")
    first = takes[0]
    poses = [first.poses_floor_m]
    reps, partial, segs = list(first.reps), list(first.partial_reps), list(first.segments)
    t_off = float(first.times_s[-1])
    for tk in takes[1:]:
        if tk.fps != first.fps or tk.props != first.props:
            raise ValueError("takes differ in fps or proportions")
        jump = float(np.linalg.norm(tk.poses_floor_m[0] - poses[-1][-1], axis=-1).max())
        if jump > max_jump_m:
            raise ValueError(f"takes do not join: a point jumps {jump:.3f} m (use the same Stance)")
        poses.append(tk.poses_floor_m[1:])
        for src, dst in ((tk.reps, reps), (tk.partial_reps, partial)):
            dst += [RepTruth(r.start_t + t_off, r.bottom_t + t_off, r.end_t + t_off, r.pattern) for r in src]
        segs += [(nm, a + t_off, b + t_off) for nm, a, b in tk.segments]
        t_off += float(tk.times_s[-1])
    in_view = np.concatenate([first.in_view] + [tk.in_view[1:] for tk in takes[1:]])
    return assemble_take(first.props, first.fps, np.concatenate(poses), in_view,
                         first.spine_baseline_deg, reps, partial, segs)
