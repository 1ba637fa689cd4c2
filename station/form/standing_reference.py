"""The lifter's standing reference: how THIS person stands upright (their spine curve and hip
flexion), which spine_flexion and the lean-back rule are measured relative to."""
from __future__ import annotations

import numpy as np

from station.form.angles import hip_flexion_deg, knee_flexion_deg, spine_flexion_raw_deg, trunk_inclination_deg
from station.model import SKELETON_INDEX


def _mean_lr(angles: dict, name: str) -> float:
    """The mean of an angle's left and right readings (name + "_l", name + "_r")."""
    return 0.5 * (float(angles[name + "_l"]) + float(angles[name + "_r"]))


class StandingReference:
    """How this lifter stands upright, learned per track from the same frames (and followed
    when the model the fit reads them with changes: model_changed).

    spine_deg: the raw spine flexion standing, the baseline spine_flexion is measured
    against. Absolute spine angles from depth are not trustworthy and people's natural curves
    differ, so the contract measures flexion relative to this person standing upright before
    the set.

    hip_deg: the hip flexion standing (mean of left and right). The contract's hip flexion
    stays absolute, but the fit reads some people's standing hips several degrees off (the
    capsule fit of tall_heavy_loose stands at -8.5 deg, truth 0): a per-person bias the
    lean-back rule (station.form.rules.Overextension) must not call leaning back.

    Both are medians over frames where the person stands still and upright (trunk within
    max_trunk_deg of vertical, hips flexed under max_hip_deg and extended under
    max_hip_ext_deg, knees under max_knee_deg, pelvis slower than 0.15 m/s: not walking in,
    not stepping into place) on a settled track; reset when the track is lost.

    Upright is how ordinary people stand, soft: the motion capture's subjects stand still
    with 18-38 deg of knee flexion and their hips flexed up to 19 deg (truth), and the capsule
    fit of one of them (mocap_toe_touch) reads his stance hips 24-26 deg, trunk 11-12 deg.
    Hips under 15 deg and the trunk under 12 never learned him, and his back was never judged
    in either rep. A hinge inclines the trunk with the hips (12-14 deg at 17 deg of hip flexion
    on the library's scripted lifters, past 15 by 25) while the pelvis moves faster than a
    stance allows, and a squat bends the knees past 40, so a rep is not taken for a stance
    (the library's true skeletons: no frame of a rep learned); a still quarter squat held
    upright would be, and its curve is the person's standing one.
    Extended hips stay bounded at 15 deg: an extended reference moves the lean-back limit
    (station.form.rules.Overextension.hip_limit).
    """

    # the pelvis's speed is read between frames at most this far apart: across a gap in the
    # track a walker's stride 6.5 s later, back where it was, read as standing still
    MAX_SPEED_GAP_S = 0.2
    # A change of the model the fit reads the lifter with (model_changed: their body rebuilt,
    # an implement taken up) before the set has begun: the stance is learned again, the
    # reference so far in force until RELEARN_MIN_FRAMES of the new are seen (the first
    # reference is provisional from one frame, but then there was nothing better to use).
    RELEARN_MIN_FRAMES = 5
    # The set has begun once the trunk inclines past this (a hinge or a squat under way; a
    # stance is within max_trunk_deg). A change after that is not learned from the set's
    # frames: a set's still, upright frames may be a lockout leaning back, or a spine still
    # moving while the pelvis is still, and neither is the stance (measured, not kept: the
    # same stance read on both models from the frames around the change moved mesh E's
    # reference 8 deg, on a back coming out of a lean-back). The reference's own frames are
    # read again on the new model instead (needs_reread)
    SET_BEGUN_TRUNK_DEG = 30.0

    def __init__(self, frames_needed: int = 20, max_trunk_deg: float = 15.0, max_hip_deg: float = 30.0,
                 max_knee_deg: float = 40.0, max_speed_m_s: float = 0.15, max_hip_ext_deg: float = 15.0):
        self.frames_needed = frames_needed
        self.max_trunk_deg = max_trunk_deg
        self.max_hip_deg = max_hip_deg
        self.max_hip_ext_deg = max_hip_ext_deg
        self.max_knee_deg = max_knee_deg
        self.max_speed_m_s = max_speed_m_s
        self.reset()

    def reset(self) -> None:
        """A new person: nothing known of how they stand."""
        self._samples: list[float] = []
        self._hip_samples: list[float] = []
        self._witnesses: list[object] = []   # what each sample was read from (update's witness)
        self._previous_witnesses: list[object] = []   # the previous model's, while learning again
        self._stale = False   # read on a model the fit no longer has (needs_reread)
        self._last_pelvis: tuple[float, np.ndarray] | None = None
        self.spine_deg: float | None = None
        self.hip_deg: float | None = None
        self._previous_spine_deg: float | None = None   # in force while learning again
        self._set_begun = False

    def model_changed(self) -> None:
        """The model the fit reads this lifter with changed: their body rebuilt
        (station.fit.personal: their own leg or arm length, measured after the reference was
        learned on the table's body) or an implement taken up. The fit reads the same stance
        with another curve: mesh shape R's kettlebell, recognised 0.7 s after the reference
        was learned, tipped the fitted pelvis 6-8 deg back and read his standing back 10 deg
        more extended from then on, every rep of the set with it.

        Before the set has begun the stance is learned again from the next standing frames.
        After it (SET_BEGUN_TRUNK_DEG) it is not learned from the set's frames: later still,
        upright frames may be a lockout leaning back (mesh A_faults2: its spine at -21 deg,
        learned again as his stance; two clean backs after it called rounded). The caller
        reads the reference's own frames again on the new model instead (needs_reread,
        witnesses, reread)."""
        if not self.has_spine_reference:
            return
        if self._set_begun:
            self._stale = self.spine_deg is not None
            return
        # the reference in force goes on with the frames it was read from: a stance learned
        # again from fewer than RELEARN_MIN_FRAMES since the change before is not in force yet,
        # and its frames are not the reference's. Changes in a row before the set (the legs'
        # and the arms' rounds) had kept the newest few frames with an older reference: read
        # again once the set began, 3 frames from the last 0.1 s before the first rep moved
        # mesh E's reference 2.2 deg, his standing back read 2.5-3.9 deg extended for the set
        in_force = self.spine_deg is not None or self._previous_spine_deg is None or \
            len(self._samples) >= self.RELEARN_MIN_FRAMES
        self._previous_spine_deg = self._baseline(np.nan)
        if in_force and self._witnesses:
            self._previous_witnesses = self._witnesses
        self._samples, self._hip_samples, self._witnesses = [], [], []
        self.spine_deg = None

    @property
    def needs_reread(self) -> bool:
        """Whether the reference in force was read on a model the fit no longer has, and the
        stance can be known only from the frames it was learned on (a change in the set, or
        one before it whose new stance was not seen in time): the caller reads them again on
        the new model (witnesses) and hands the readings to reread."""
        return self._stale and bool(self._witnesses)

    def witnesses(self, at_most: int = 10) -> list[object]:
        """Up to at_most of the witnesses (update's) of the reference's frames, evenly spread
        over them."""
        w = self._witnesses
        if len(w) <= at_most:
            return list(w)
        return [w[int(k)] for k in np.linspace(0, len(w) - 1, at_most).round()]

    def reread(self, raw_angles: list[dict]) -> None:
        """The reference's own frames read on the model the fit has now (after a change in the
        set, model_changed): the same stance on the new model, so the back keeps reading
        against how this lifter stands. Mesh D_faults1's body is measured again after her
        first rep; the reference learned on the old one read her standing backs 2.5 deg
        flexed from then on (truth flat), 0.1 deg read again. The stance is not learned again
        from the set's frames: a lockout leaning back is still and upright too.
        raw_angles: per witness, its contract angles with the raw spine (as update's)."""
        self._stale = False
        if raw_angles:
            self._settle([float(a["spine_flexion"]) for a in raw_angles],
                         [_mean_lr(a, "hip_flexion") for a in raw_angles])

    def _settle(self, spine_raw_deg: list[float], hip_deg: list[float]) -> None:
        """The reference: the medians of the stance's readings."""
        self.spine_deg = float(np.median(spine_raw_deg))
        self.hip_deg = float(np.median(hip_deg))

    @property
    def has_spine_reference(self) -> bool:
        """Whether any standing frame has been seen: until then the spine baseline in force is
        the current frame's own raw curve, so spine_flexion reads 0 (a flat back) whatever the
        back does, and nothing can be judged from it."""
        return self.spine_deg is not None or bool(self._samples) or self._previous_spine_deg is not None

    def _baseline(self, raw: float) -> float:
        """The spine baseline in force: the learned one, else the median of the standing frames
        so far (after a change before the set, once RELEARN_MIN_FRAMES of them are in; the
        previous model's until then), else the frame's own curve."""
        if self.spine_deg is not None:
            return self.spine_deg
        if self._previous_spine_deg is not None and len(self._samples) < self.RELEARN_MIN_FRAMES:
            return self._previous_spine_deg
        return float(np.median(self._samples)) if self._samples else raw

    def _end_relearning(self) -> None:
        """The set has begun while the stance was being learned again after a change: what
        has been seen of it on the new model is the reference (the previous model's with fewer
        than RELEARN_MIN_FRAMES), not the set's lockouts to come (mesh C_faults1: a lockout
        leaning back, spine -20 deg, learned as his stance; a clean back after it called
        rounded)."""
        if self.spine_deg is not None or self._previous_spine_deg is None:
            return
        if len(self._samples) >= self.RELEARN_MIN_FRAMES:
            self._settle(self._samples, self._hip_samples)
        else:   # the previous model's, to be read again on this one (needs_reread)
            self.spine_deg = self._previous_spine_deg
            self._samples, self._hip_samples, self._witnesses = [], [], self._previous_witnesses
            self._stale = True
        self._previous_spine_deg = None
        self._previous_witnesses = []

    def _standing_still(self, points_cam_m: np.ndarray, t_s: float, raw_angles: dict | None,
                        trunk_deg: float) -> float | None:
        """The frame's standing hip flexion (mean of l and r) if it stands still and upright,
        else None."""
        pelvis = points_cam_m[SKELETON_INDEX["pelvis"]]
        last, self._last_pelvis = self._last_pelvis, (t_s, pelvis.copy())
        if last is None or t_s <= last[0] or t_s - last[0] > self.MAX_SPEED_GAP_S:
            return None
        speed = float(np.linalg.norm(pelvis - last[1])) / (t_s - last[0])
        if raw_angles is None:
            raw_angles = {f"{a}_{s}": f(points_cam_m, s) for a, f in (
                ("hip_flexion", hip_flexion_deg), ("knee_flexion", knee_flexion_deg)) for s in "lr"}
        hip = _mean_lr(raw_angles, "hip_flexion")
        knee = _mean_lr(raw_angles, "knee_flexion")
        if not (speed < self.max_speed_m_s and -self.max_hip_ext_deg < hip < self.max_hip_deg
                and knee < self.max_knee_deg):
            return None
        return hip if trunk_deg < self.max_trunk_deg else None

    def update(self, points_cam_m: np.ndarray, up_cam: np.ndarray, t_s: float, learn: bool = True,
               raw_angles: dict | None = None, witness: object = None) -> float:
        """Feed one tracked skeleton; returns the spine baseline in force (a provisional one at
        first). hip_deg is set with the settled spine baseline (frames_needed standing frames),
        never provisionally: the lean-back rule has the absolute threshold to fall back on, and a
        reference that stays put keeps a rep's live cue and its verdict on the same threshold.

        learn: False while the tracker is still initialising (the fit is settling), so only a
        settled track sets the reference. raw_angles: contract_angles(points_cam_m, up_cam, 0.0)
        when the caller has them already (the live path), so they are not computed twice.
        witness: what the frame was read from (the pipeline's cloud and pose), kept with a
        sample taken into the reference so that it can be read again on another model
        (witnesses, reread).
        """
        raw = float(spine_flexion_raw_deg(points_cam_m) if raw_angles is None else raw_angles["spine_flexion"])
        trunk = float(raw_angles["trunk_inclination"] if raw_angles is not None
                      else trunk_inclination_deg(points_cam_m, up_cam))
        hip = self._standing_still(points_cam_m, t_s, raw_angles, trunk)
        if self.has_spine_reference and not self._set_begun:
            if trunk > self.SET_BEGUN_TRUNK_DEG:
                self._set_begun = True
                self._end_relearning()
        if learn and self.spine_deg is None and hip is not None:
            self._samples.append(raw)
            self._hip_samples.append(hip)
            if witness is not None:
                self._witnesses.append(witness)
            if len(self._samples) >= self.frames_needed:
                self._settle(self._samples, self._hip_samples)
                self._previous_spine_deg = None
                self._previous_witnesses = []
        return self._baseline(raw)
