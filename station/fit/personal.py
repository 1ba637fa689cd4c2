"""The lifter's own leg length, belly and arms' build, measured from the fit while they stand at
the start of a track (the belly: BELLY_FWD below; the arms' build, a hoodie's sleeves:
ARM_SCALES below; the leg length here).

The body model's segment lengths are fractions of stature (station.fit.body_model). People's
legs are not: the hip joint sits at 0.49-0.55 of stature over the mesh athlete's shapes
(shorter on the female shapes), against the table's 0.52. A leg that is too long lifts the
fitted pelvis: standing, the hips of a 1.62 m woman (mesh shape B) sat 34 mm too high; at the
bottom of a hinge 83 mm, with the bend read into the hips and a flat back read 15-30 deg
extended. With her own leg length forced, her MPJPE went 32.2 -> 26.5 mm and spine MAE
8.2 -> 5.1 deg.

The depth data says which leg length explains the person: refitted with each candidate ratio
(stature kept: a shorter leg, a longer trunk), the frames' energy is lowest near the body's
own (shapes A, B, F, truth 1.03 / 0.95 / 0.94 against the table: lowest at 1.0-1.03 / 0.96 /
0.93-0.96, standing and bent alike). So the tracker measures it per person (online model
personalisation, after Tkach et al. 2017, restricted to the one proportion the table gets
most wrong): LegLength, on standing frames only (a deep toe touch's bent frames, refitted on
another body mid-motion, sent the track off), ~40 ms on each frame it samples, 18 frames in
all; each round's body goes in on the next still frame (every joint under 25 mm a frame), not
mid-motion. Measured (bench/fitter.py, the mesh library's first fault set of shapes A-H): MPJPE
24.4 -> 22.7 mm, trunk 1.81 -> 1.39 deg, false cues on clean reps 9.1 -> 0 %. What it does
not fix: at the bottom of a hinge the fit still tilts the pelvis forward of the truth's and
reads the spine extended (shapes C-G), now without the short leg that hid it on the tall ones.

The arms are measured the same way (ArmLength: the same rounds, the candidates ARM_RATIOS,
upper arm and forearm scaled together) on the upright frames the legs are not measured on
(soft knees: ArmLength.samples) and on every upright frame once the legs are done. The
table's arm (0.311 of stature, glenohumeral centre to wrist) is the men's rigs' 0.30-0.31 but
0.28-0.29 of the women's (their forearms 0.13 of stature against 0.15): too long an arm
holding a bar or dumbbells lifts the shoulders over the hands it must reach. The energy finds
it where the hands hold something (mesh O, dumbbells, rig 0.89 of the table: 0.88; B 0.89:
0.94; men A, C 0.97: 0.98-0.99); where they hang free, once they are measured with open
hands (ArmLength.open_hand, station.fit.body_model.OPEN_HAND_REACH: F, 0.90, read 1.09 with
closed hands and 0.94 with open ones). Until the arms were measured on soft knees, no
motion-capture clip's arms were (its people stand at 17-34 deg of knee flexion, standing tall
wants under 25).
"""
from __future__ import annotations

import copy
from dataclasses import replace
from functools import lru_cache

import numpy as np

from station.fit.body_model import DOF, SEG, BodyModel, Shape, build_body, lumbar_down, with_shape
from station.fit.confidence import segment_visibility
from station.fit.solver import (FitResult, FitWeights, FrameData, Workspace, body_for_pose, fit_frame,
                                skeleton_points_floor)

# candidate leg ratios (thigh + shank against the stature table): the table's 0.52 hip
# height x 0.90..1.10 spans 0.47-0.57, past the human range
LEG_RATIOS: tuple[float, ...] = (0.90, 0.925, 0.95, 0.975, 1.0, 1.025, 1.05, 1.075, 1.10)
# candidate arm ratios (upper arm + forearm against the table's 0.165 + 0.146 of stature): the
# mesh athlete's rigs span 0.28-0.31 of stature (women's forearms 0.13, men's 0.15), the CMU
# subject's humerus alone 0.18-0.20
ARM_RATIOS: tuple[float, ...] = (0.85, 0.88, 0.91, 0.94, 0.97, 1.0, 1.03, 1.06, 1.09)
# the knees' limit on the frames the arms are measured on (ArmLength.samples)
UPRIGHT_KNEE_RAD = np.deg2rad(45.0)
# two lengths explain the person equally: a second local minimum of the summed energy within
# this much a sampled frame of the lowest (the data term counts ~1 per unexplained point of a
# 1000-point cloud) leaves the ratio where it is. Measured on the leg rounds of 74 mesh (the
# development split's) and 29 capsule takes: only deadlift_floor_top_cam (the camera at the
# top of the mirror looks down on a lifter whose shins the plates hide) has two, at 0.95 and
# 1.025, within 0.02-1.06 a frame of each other; the round took whichever noise put lower
# (0.945, with the heel rule of station.fit._kernels_energy.SOLE_REACH_M: his pelvis 61 mm off
# and three clean backs called rounded). Every other second minimum lay at the range's end,
# 7 or more a frame above. A threshold set on these takes: a body it was not tuned on may
# have a flatter energy and keep the table's legs.
AMBIGUOUS_PER_FRAME = 2.0
# still: every joint slower than this (m a frame; 0.025 at 30 fps is 0.75 m/s, a fast arm
# swing's wrists move 45-97 mm a frame)
STILL_M_PER_FRAME = 0.025


def rebased(theta: np.ndarray, old: BodyModel, new: BodyModel) -> np.ndarray:
    """The pose moved onto another body: the root raised or lowered by the legs' change in
    length, so the feet stay where they stood."""
    theta = theta.copy()
    theta[DOF["root_tz"]] -= (new.seg_offset[SEG["foot_l"], 2] - old.seg_offset[SEG["foot_l"], 2]
                              + new.seg_offset[SEG["shank_l"], 2] - old.seg_offset[SEG["shank_l"], 2])
    return theta


def shape_energies(body: BodyModel, frames: list[tuple[FrameData, np.ndarray]], weights: FitWeights,
                   field: str, values: tuple[float, ...], implement: str | None = None,
                   n_iter: int = 8, anchors: np.ndarray | None = None) -> np.ndarray:
    """(len(values),) the frames' summed fit energy with the Shape field `field` at each
    value (every other field of `body`'s shape kept: stature, build, the other ratios).
    frames: (frame, pose fitted on `body`) pairs; each is refitted from its pose, moved onto
    the candidate body (rebased), without the temporal term."""
    ws = Workspace()
    out = np.zeros(len(values))
    for k, v in enumerate(values):
        cand = _candidate(replace(body.shape, **{field: float(v)}))
        cand.standing_rest = copy.deepcopy(body.standing_rest)   # the same rests; learns nothing
        for frame, theta in frames:
            th = rebased(theta, body, cand)
            out[k] += fit_frame(body_for_pose(cand, th, ws), frame, th, None, weights,
                                n_iter=n_iter, ws=ws, implement=implement,
                                anchors_floor_m=anchors).energy
    return out


def best_ratio(energies: np.ndarray, ratios: tuple[float, ...] = LEG_RATIOS) -> float:
    """The ratio of lowest energy, refined by the parabola through it and its neighbours
    (kept within them); an end of the range when the minimum lies there."""
    k = int(np.argmin(energies))
    if k == 0 or k == len(ratios) - 1:
        return float(ratios[k])
    e0, e1, e2 = energies[k - 1], energies[k], energies[k + 1]
    den = e0 - 2.0 * e1 + e2
    step = ratios[k + 1] - ratios[k]
    off = 0.5 * (e0 - e2) / den if den > 0 else 0.0
    return float(ratios[k] + np.clip(off, -0.5, 0.5) * step)


def ambiguous(energies: np.ndarray, n_frames: int) -> bool:
    """Whether two separate ratios explain the frames alike: a second local minimum of
    `energies` within AMBIGUOUS_PER_FRAME a frame of the lowest."""
    e = np.asarray(energies, np.float64)
    padded = np.concatenate(([np.inf], e, [np.inf]))   # an end counts when its neighbour is higher
    minima = np.sort(e[(e < padded[:-2]) & (e < padded[2:])])
    return len(minima) >= 2 and minima[1] - minima[0] < AMBIGUOUS_PER_FRAME * max(n_frames, 1)


class LegLength:
    """The leg ratio (or another Shape ratio: `field`, candidates `ratios`; ArmLength) fitted
    over the first standing-tall frames of a track. Every `every`-th of them is refitted with
    each candidate ratio there and then (~40 ms on that frame), the energies summed over the
    frames so far; after every `per_round` sampled frames the ratio of least energy is kept
    (none while two ratios explain the frames alike: `ambiguous`), and the body is rebuilt
    with it on the next still frame (`step` returns it, with the pose moved onto it), for
    `rounds` rounds. The first round's poses
    were fitted on the table's legs, which favours them; the later rounds' on the legs
    measured so far."""

    def __init__(self, every: int = 4, per_round: int = 6, rounds: int = 3, field: str = "leg_ratio",
                 ratios: tuple[float, ...] = LEG_RATIOS, check_ambiguous: bool = True):
        self.every, self.per_round, self.rounds = every, per_round, rounds
        self.field, self.ratios, self.check_ambiguous = field, ratios, check_ambiguous
        self.reset()

    def reset(self) -> None:
        """A new person (an upright start): measure again."""
        self._count = self._frames = self._round = 0
        self._energy = np.zeros(len(self.ratios))
        self._pending: float | None = None   # a round's ratio, applied on the next still frame

    @property
    def done(self) -> bool:
        return self._round >= self.rounds and self._pending is None

    @property
    def pending(self) -> bool:
        """A round's ratio waits for a still frame to go in."""
        return self._pending is not None

    def samples(self, body: BodyModel, theta: np.ndarray) -> bool:
        """Whether a frame fitted at theta is one to measure on: standing tall."""
        return body.standing_rest.standing_tall(theta)

    def measured_on(self, body: BodyModel) -> BodyModel:
        """The body whose candidates the energies compare: the track's."""
        return body

    def step(self, body: BodyModel, frame: FrameData, theta: np.ndarray, weights: FitWeights,
             implement: str | None = None, anchors: np.ndarray | None = None,
             theta_prev: np.ndarray | None = None) -> tuple[BodyModel, np.ndarray] | None:
        """One tracked frame, its fitted pose and the frame before's: (the rebuilt body, theta
        on it) on the first still frame after a round completes, else None."""
        if self._pending is not None:
            if not still(body, theta, theta_prev):
                return None
            new = with_shape(body, **{self.field: self._pending})   # the neck's learned rest goes on
            self._pending = None
            return new, rebased(theta, body, new)
        if self.done or not self.samples(body, theta):
            return None
        self._count += 1
        if self._count % self.every:
            return None
        self._energy += shape_energies(self.measured_on(body), [(frame, theta)], weights, self.field,
                                       self.ratios, implement, anchors=anchors)
        self._frames += 1
        if self._frames % self.per_round:
            return None
        self._round += 1
        if self.check_ambiguous and ambiguous(self._energy, self._frames):
            return None   # the body stays as it is; the next round has more frames to decide on
        self._pending = best_ratio(self._energy, self.ratios)
        return self.step(body, frame, theta, weights, implement, anchors, theta_prev)


class ArmLength(LegLength):
    """The arm ratio (Shape.arm_ratio) measured as the legs are (the module docstring)."""

    def __init__(self, every: int = 4, per_round: int = 6, rounds: int = 3):
        # not `ambiguous`: the arms' energies often have a second minimum within 2 a frame
        # (rdl_clean@capsule 1.7-2.1, rdl_overextension 1.7-1.8); that rule was measured for legs
        super().__init__(every, per_round, rounds, field="arm_ratio", ratios=ARM_RATIOS, check_ambiguous=False)

    def reset(self) -> None:
        super().reset()
        # the hands' reach past the wrist the candidates are measured with (Shape.open_hand;
        # the tracker sets it while the hands hold nothing: station.fit.tracker), closed for
        # a new person until their hands are seen empty
        self.open_hand = 0.0

    def measured_on(self, body: BodyModel) -> BodyModel:
        """The track's body with the hands the arms are measured with: open while they hold
        nothing (a closed hand's short reach stretched free-handed arms over the fingers:
        station.fit.body_model.OPEN_HAND_REACH). The track fits on with its own hands."""
        if body.shape.open_hand == self.open_hand:
            return body
        return with_shape(body, open_hand=self.open_hand)

    def samples(self, body: BodyModel, theta: np.ndarray) -> bool:
        """Upright: the pelvis and hips as standing tall wants them, the knees up to
        UPRIGHT_KNEE_RAD. The arms hang from the shoulders whatever the knees do, and people
        stand with soft knees (the mesh athlete's motion-capture clips at 17-34 deg, so
        standing tall's 25 deg never measured their arms: the table's 0.311 H against their
        0.28-0.31)."""
        return body.standing_rest.standing_tall(theta, max_knee_rad=UPRIGHT_KNEE_RAD)


# The belly: how far the lifter's abdomen stands forward of the table's (Shape.belly_fwd, as a
# fraction of stature). A heavy belly that the model's abdomen cannot reach pulls the model's
# trunk onto it: the capsule athlete tall_heavy_loose (1.98 m, heavy, a shirt over the belly)
# was fitted standing with the pelvis pitched 16-24 deg forward, the lumbar and thorax extended
# to their limits and the neck flexed 30 deg to hold the head up, and never read as standing
# tall (so its neck rest and its leg length were never learned, and a clean back was called
# rounded). It is measured as the leg length is, by energy (each candidate body refitted on
# the frames), on the upright frames the track starts on (station.fit.tracker: the start
# needs an upright person, and a body that cannot reach its belly never stands tall
# afterwards). Measured on the start of 132 takes (every dev and held-out take of both bodies,
# the capsule library's 30): tall_heavy_loose +0.0285 (56 mm; its energy 106 under the
# table's over its 4 sampled frames, 26 a frame), and there the fit stands him upright, reads his
# trunk, hips and knees closer (1.4/2.5/2.7 deg, were 2.1/3.6/3.4) and calls none of his
# four clean backs rounded or leaves them unjudged (one called, three not judged before). Every
# mesh take (heavy, slim, T-shirts, hoodies) within +-0.0045 of the table's, or +-0.01 on
# energies under 3 a frame below it: the fits' own scatter between candidates. So a depth is
# kept only at least BELLY_MIN_FWD from the table's (a body rebuilt for a few millimetres
# moves every fit a little for nothing) and BELLY_MIN_GAIN a sampled frame under its energy
# (the data term counts ~1 per unexplained point of a 1000-point cloud). That gain was set
# after the capsule deadlift_floor_top_cam measured +0.020 at 9 a frame (a flat minimum,
# 0.01-0.025 within 14 of each other, from a camera looking down on the belly) and fitted
# worse with it (MPJPE 23.1 -> 29.6 mm, spine 5.5 -> 8.5 deg): a threshold chosen on the
# library's takes, so a body it was not tuned on may need it looked at again.
BELLY_FWD: tuple[float, ...] = (-0.01, -0.005, 0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035)
BELLY_MIN_FWD = 0.0075
BELLY_MIN_GAIN = 15.0


def offset_kept(energies: np.ndarray, n_frames: int, values: tuple[float, ...],
                min_offset: float, min_gain: float) -> float:
    """The value of least energy over `values` (which hold 0, the table's; energies summed over
    n_frames sampled frames; best_ratio), or 0 unless it is at least `min_offset` from 0 and
    its energy is `min_gain` a frame under 0's (a body rebuilt for a few millimetres, or for
    energies the fits' own scatter explains, moves every fit a little for nothing)."""
    v = best_ratio(energies, values)
    gain = float(energies[values.index(0.0)] - np.min(energies))
    return v if abs(v) >= min_offset and gain >= min_gain * max(n_frames, 1) else 0.0


def belly_depth(energies: np.ndarray, n_frames: int) -> float:
    """The belly depth of least energy over BELLY_FWD, or 0 (the table's) unless it is at
    least BELLY_MIN_FWD from it and BELLY_MIN_GAIN a frame under it (offset_kept)."""
    return offset_kept(energies, n_frames, BELLY_FWD, BELLY_MIN_FWD, BELLY_MIN_GAIN)


class StartEnergies:
    """A Shape field measured over a track's initialising frames: the `phase`-th of every
    `every` of them, when still (a walker's stride, refitted, read a belly where there is
    none: session_walk_in_out@mesh 0.0144 H), is refitted with each candidate value (~40 ms on
    that frame) and the energies summed over VALUES. every 0: never measured. Subclasses
    name the field and its candidates (BellyDepth, ArmBuild)."""

    FIELD: str = ""
    VALUES: tuple[float, ...] = ()

    def __init__(self, every: int = 8, phase: int = 0):
        self.every, self.phase = every, phase
        self.reset()

    def reset(self) -> None:
        """A new person (an upright start): measure again."""
        self._count = self._frames = 0
        self._energy = np.zeros(len(self.VALUES))
        self._prev: np.ndarray | None = None   # the last initialising frame's pose

    def candidates(self, body: BodyModel) -> tuple[float, ...]:
        """The field's values to refit `body` with, one per VALUES entry."""
        return self.VALUES

    def step(self, body: BodyModel, frame: FrameData, theta: np.ndarray, weights: FitWeights,
             implement: str | None = None) -> None:
        """One initialising frame and its fitted pose."""
        self._count += 1
        if (self.every > 0 and self._count % self.every == self.phase
                and still(body, theta, self._prev)):
            self._energy += shape_energies(body, [(frame, theta)], weights, self.FIELD,
                                           self.candidates(body), implement)
            self._frames += 1
        self._prev = theta.copy()


class BellyDepth(StartEnergies):
    """The belly (Shape.belly_fwd) measured over a track's initialising frames
    (StartEnergies, half way through every `every`); `depth` is belly_depth of the energies
    (0 with none sampled; every 0: the table's abdomen)."""

    FIELD, VALUES = "belly_fwd", BELLY_FWD

    def __init__(self, every: int = 8):
        super().__init__(every, every // 2)

    @property
    def depth(self) -> float:
        return belly_depth(self._energy, self._frames)


# The arms' own build (Shape.arm_build): a sleeve stands off an arm by as much as a hoodie
# stands off the trunk, on a radius a third of the trunk's, and the trunk's build (measured on
# the trunk's and thighs' sides: station.fit.start.build_ratio) leaves a hoodie's arms thin. An
# arm fitted thin sits too near the camera: on stop 59's mesh library the hoodies' elbows were
# 18-44 mm too near, tight clothes' and T-shirts' 0-12 mm. Measured as the belly is, by energy
# on the initialising frames (the arms hang at the sides, their sides seen), each candidate an
# absolute scale of the table's arm radii (the initialising body has the table's build).
# Measured (stop 60, bench/fitter.py, 99 mesh takes): the hoodies G, N, O measure 1.23-1.38 of
# the trunk's build, and their elbows sit 18-22 mm too near (were 32-41), their shoulders 6-11
# (were 17-25); dev MPJPE 22.2 -> 21.3 mm (G 24.4 -> 19.4, N 26.5 -> 20.5), held out 26.4 ->
# 24.2; tight clothes and T-shirts mostly keep the trunk's. What it costs: those hoodies'
# flat backs read ~1.9 deg more extended at depth (the thicker arms hanging in front of the
# chest take points the trunk had) and their standing hips ~0.7 deg more extended.
# The legs measured the same way (a leg_build, tried at stop 60) pick 1.1-1.15 of the trunk's
# build on every mesh shape, men in tight clothes too, and change nothing worth it (dev spine
# 2.98 -> 2.92 deg, knee 2.87 -> 2.96, macro F1 0.881 -> 0.874): not in the model.
ARM_SCALES: tuple[float, ...] = (0.85, 1.0, 1.15, 1.3, 1.45, 1.6, 1.75)
ARM_BUILD_RANGE = (0.8, 1.6)
# the arms keep the trunk's build unless the energy a sampled frame at it is at least this
# much above the least (~1 per unexplained point of a 1000-point cloud: AMBIGUOUS_PER_FRAME's
# logic): tight clothes' arms have a flat minimum within ~1 a frame across 0.9-1.2
ARM_MIN_GAIN = 2.0


class ArmBuild(StartEnergies):
    """The arms' build (Shape.arm_build) measured over a track's initialising frames
    (StartEnergies, the first of every `every`: between the belly's frames), each candidate
    an ARM_SCALES scale of the table's radii; `arm_build(build)` the Shape.arm_build that goes
    with the trunk's measured build. every 0: never measured."""

    FIELD, VALUES = "arm_build", ARM_SCALES

    def candidates(self, body: BodyModel) -> tuple[float, ...]:
        return tuple(v / body.shape.build for v in ARM_SCALES)   # against the body's own build

    def arm_build(self, build: float) -> float:
        """Shape.arm_build for a body of `build`: the scale of least energy over it, or 1 (the
        trunk's) unless the energy at the trunk's build is ARM_MIN_GAIN a sampled frame above
        the least."""
        return arm_build(self._energy, self._frames, build)


def arm_build(energies: np.ndarray, n_frames: int, build: float) -> float:
    """ArmBuild.arm_build of the energies summed over n_frames sampled frames (ARM_SCALES)."""
    if n_frames == 0:
        return 1.0
    at_trunk = float(np.interp(build, ARM_SCALES, energies))
    if at_trunk - float(np.min(energies)) < ARM_MIN_GAIN * n_frames:
        return 1.0
    return float(np.clip(best_ratio(energies, ARM_SCALES) / build, *ARM_BUILD_RANGE))


def still(body: BodyModel, theta: np.ndarray, theta_prev: np.ndarray | None) -> bool:
    """No joint of the skeleton moved more than STILL_M_PER_FRAME since the frame before.
    The body is swapped only then: a swap mid-motion re-poses the model while the fit
    chases a limb (a rebuild during mocap_warmup's fast arm swing at 2.8 s lost the left arm
    for seconds: wrist 65 -> 1260 mm off). Joints, not DOFs: an upper arm's twist jitters
    0.1-0.2 rad a frame while the arm stands still."""
    if theta_prev is None:
        return False
    moved = skeleton_points_floor(body, theta) - skeleton_points_floor(body, theta_prev)
    return bool(np.max(np.linalg.norm(moved, axis=1)) < STILL_M_PER_FRAME)


@lru_cache(maxsize=(len(LEG_RATIOS) + len(ARM_RATIOS) + len(BELLY_FWD)) * 2)
def _candidate(shape: Shape) -> BodyModel:
    """A candidate body of shape_energies (the leg and arm ratios, the belly depths), built once per
    shape: each sampled frame refits every candidate, and built afresh they cost ~200 ms on
    each of a track's 18 leg-sampled frames when a build took ~20 ms (bench/analyze_speed.py:
    main thread 7.9 ms a frame, half of it these builds; a build is ~1.3 ms since its surface
    samples are made with array arithmetic). Private to shape_energies, which sets its neck
    prior on every use; never the tracker's body."""
    return build_body(shape)


# Loose cloth: how far a T-shirt's or hoodie's front hangs off the belly when the lifter bends
# over (Shape.drape_fwd, station.fit.body_model.draped). Standing, cloth lies against the body,
# so it is measured on bent frames (the lumbar's forward axis at least DRAPE_MIN_DOWN towards
# the floor, ~45 deg), as the legs are: each candidate body refitted on the frame. Cloth the
# model does not have pulls the trunk's underside onto it: the pelvis tips forward and a back
# reads extended. On one mesh body (1.70 m, bent to 80 deg; bench/spine_pair.py), hoodie
# against tight clothes, the energy was lowest at 0.01-0.03 in the hoodie and at 0 in tight
# clothes, woman and man alike, and each 0.01 read the spine 3-5 deg rounder; his rounded reps
# (24, 30 deg) read 16.4 and 20.4 deg without the drape, 23.7 and 29.0 with it (0.026). A
# drape the frames prefer by less than DRAPE_MIN_GAIN a frame is not taken (a tight body's
# frames cost 1-6 a frame more at 0.01; the data term counts ~1 per unexplained point). Set
# on that one body. The mesh library (stop 59): dev spine 2.90 -> 2.65 deg, rounded backs
# found 19 -> 21 of 46 but one clean back called rounded (N, a heavy man in a hoodie: a
# 16.6 deg rep read 23.4); held out spine 4.68 -> 4.03, 8 -> 10 of 21; verdicts 5 gained and
# 7 lost, so it was off. With the arms' own build (ArmBuild, stop 60) it gained 5 verdicts
# and lost 3, no clean rep given a fault, and it is on (TrackerConfig.drape_sample_frames;
# docs/spine-limits.md). Another renderer's cloth may hang otherwise: the energy, not a
# prior, decides each lifter's.
DRAPE_FWD: tuple[float, ...] = (0.0, 0.01, 0.02, 0.03, 0.04)
DRAPE_MIN_FWD = 0.005
DRAPE_MIN_GAIN = 1.5
DRAPE_MIN_DOWN = 0.7
# the segments a sampled frame must see, each at least this share of its camera-facing
# samples explained (station.fit.confidence.segment_visibility; its visible_full is 0.25)
DRAPE_SEEN_SEGMENTS: tuple[str, ...] = ("thorax", "upper_thorax")
DRAPE_MIN_VISIBLE = 0.25
_DRAPE_SEEN = np.array([SEG[s] for s in DRAPE_SEEN_SEGMENTS])


class DrapeDepth:
    """The cloth's drape measured on the first bent frames of a track: every `every`-th frame
    bent past DRAPE_MIN_DOWN is refitted with each candidate (~25 ms on that frame); after
    `frames` of them the drape of least energy is kept (best_ratio) when it is at least
    DRAPE_MIN_FWD and DRAPE_MIN_GAIN a frame under no drape's energy (offset_kept). Once per
    person. frames 0: never measured (TrackerConfig.drape_sample_frames 0)."""

    def __init__(self, every: int = 2, frames: int = 6):
        self.every, self.frames = every, frames
        self.reset()

    def reset(self) -> None:
        """A new person: measure again."""
        self._count = self._frames = 0
        self._energy = np.zeros(len(DRAPE_FWD))
        self.done = False

    def step(self, body: BodyModel, frame: FrameData, fit: FitResult, weights: FitWeights,
             implement: str | None = None, anchors: np.ndarray | None = None) -> BodyModel | None:
        """One tracked frame and its fit: the body with its drape once measured, else None.
        Only frames that see the chest and upper back (DRAPE_SEEN_SEGMENTS) are sampled: with
        the upper body hidden, any belly explains what is left."""
        if self.done or self.frames <= 0:
            return None
        if np.any(segment_visibility(fit.seg_visibility)[_DRAPE_SEEN] < DRAPE_MIN_VISIBLE):
            return None
        if lumbar_down(fit.seg_R) < DRAPE_MIN_DOWN:   # the fit's own pose: no kinematics again
            return None
        self._count += 1
        if self._count % self.every:
            return None
        self._energy += shape_energies(body, [(frame, fit.theta)], weights, "drape_fwd", DRAPE_FWD, implement,
                                       anchors=anchors)
        self._frames += 1
        if self._frames < self.frames:
            return None
        self.done = True
        d = offset_kept(self._energy, self._frames, DRAPE_FWD, DRAPE_MIN_FWD, DRAPE_MIN_GAIN)
        return with_shape(body, drape_fwd=d) if d > 0.0 else None
