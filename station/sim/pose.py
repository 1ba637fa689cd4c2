"""The synthetic athlete's skeleton: the named points every motion source produces.

A pose is a float64 array (len(SIM_POINTS), 3) of points in the floor frame (metres,
z up; see station.frames); a motion is an array (n_frames, len(SIM_POINTS), 3).
Motion scripts (sim.motion), the motion-capture driver (sim.mocap) and the body surface
(sim.body) all speak this and nothing else, so any motion can drive any body.

The first rows are station.model.SKELETON_POINTS (the contract's fifteen joints plus
spine_low and spine_mid), so `pose[:len(SKELETON_POINTS)]` is directly a skeleton. The
extra points shape the body surface:
  head_top         vertex of the skull
  hand_l, hand_r   centre of the palm (where a grip holds a bar or a kettlebell handle)
  heel_l, heel_r   back of the heel at the floor
  toe_l, toe_r     ball of the foot / toe tip at the floor
Definitions follow docs/analysis-output.md: neck = midpoint of the shoulders, pelvis =
midpoint of the hips, head = centre of the head between the ears.
"""
from __future__ import annotations

from station.model import SKELETON_POINTS

SIM_EXTRA_POINTS: tuple[str, ...] = ("head_top", "hand_l", "hand_r", "heel_l", "heel_r", "toe_l", "toe_r")
SIM_POINTS: tuple[str, ...] = SKELETON_POINTS + SIM_EXTRA_POINTS
SIM_INDEX: dict[str, int] = {name: i for i, name in enumerate(SIM_POINTS)}
N_SKELETON = len(SKELETON_POINTS)
