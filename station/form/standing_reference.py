"""The lifter's standing reference: how THIS person stands upright (their spine curve and hip
flexion), which spine_flexion and the lean-back rule are measured relative to."""
from __future__ import annotations

import numpy as np

from station.form.angles import hip_flexion_deg, knee_flexion_deg, spine_flexion_raw_deg, trunk_inclination_deg
from station.model import SKELETON_INDEX


class StandingReference:
    """How this lifter stands upright, learned once per track from the same frames.

    spine_deg: the raw spine flexion standing, the baseline spine_flexion is measured
    against. Absolute spine angles from depth are not trustworthy and people's natural curves
    differ, so the contract measures flexion relative to this person standing upright before
    the set.

    hip_deg: the hip flexion standing (mean of left and right). The contract's hip flexion
    stays absolute, but the fit reads some people's standing hips several degrees off (the
    capsule fit of tall_heavy_loose stands at -8.5 deg, truth 0): a per-person bias the
    lean-back rule (station.form.rules.Overextension) must not call leaning back.

    Both are medians over frames where the person stands still and upright (trunk within 12°
    of vertical, hips and knees nearly straight, pelvis slower than 0.15 m/s: not walking in,
    not stepping into place) on a settled track; reset when the track is lost.
    """

    def __init__(self, frames_needed: int = 20, max_trunk_deg: float = 12.0, max_hip_deg: float = 15.0,
                 max_knee_deg: float = 30.0, max_speed_m_s: float = 0.15):
        self.frames_needed = frames_needed
        self.max_trunk_deg = max_trunk_deg
        self.max_hip_deg = max_hip_deg
        self.max_knee_deg = max_knee_deg
        self.max_speed_m_s = max_speed_m_s
        self.reset()

    def reset(self) -> None:
        """A new person: nothing known of how they stand."""
        self._samples: list[float] = []
        self._hip_samples: list[float] = []
        self._last_pelvis: tuple[float, np.ndarray] | None = None
        self.spine_deg: float | None = None
        self.hip_deg: float | None = None

    @property
    def has_spine_reference(self) -> bool:
        """Whether any standing frame has been seen: until then the spine baseline in force is
        the current frame's own raw curve, so spine_flexion reads 0 (a flat back) whatever the
        back does, and nothing can be judged from it."""
        return self.spine_deg is not None or bool(self._samples)

    def _standing_still(self, points_cam_m: np.ndarray, up_cam: np.ndarray, t_s: float,
                        raw_angles: dict | None) -> float | None:
        """The frame's standing hip flexion (mean of l and r) if it stands still and upright,
        else None."""
        pelvis = points_cam_m[SKELETON_INDEX["pelvis"]]
        last, self._last_pelvis = self._last_pelvis, (t_s, pelvis.copy())
        if last is None or t_s <= last[0]:
            return None
        speed = float(np.linalg.norm(pelvis - last[1])) / (t_s - last[0])
        if raw_angles is not None:
            hip_l, hip_r, knee_l, knee_r = (raw_angles[k] for k in (
                "hip_flexion_l", "hip_flexion_r", "knee_flexion_l", "knee_flexion_r"))
        else:
            hip_l, hip_r = hip_flexion_deg(points_cam_m, "l"), hip_flexion_deg(points_cam_m, "r")
            knee_l, knee_r = knee_flexion_deg(points_cam_m, "l"), knee_flexion_deg(points_cam_m, "r")
        hip = 0.5 * (float(hip_l) + float(hip_r))
        knee = 0.5 * (float(knee_l) + float(knee_r))
        if not (speed < self.max_speed_m_s and abs(hip) < self.max_hip_deg and knee < self.max_knee_deg):
            return None
        trunk = raw_angles["trunk_inclination"] if raw_angles is not None else trunk_inclination_deg(points_cam_m, up_cam)
        return hip if float(trunk) < self.max_trunk_deg else None

    def update(self, points_cam_m: np.ndarray, up_cam: np.ndarray, t_s: float, learn: bool = True,
               raw_angles: dict | None = None) -> float:
        """Feed one tracked skeleton; returns the spine baseline in force (a provisional one at
        first). hip_deg is set with the settled spine baseline (frames_needed standing frames),
        never provisionally: the lean-back rule has the absolute threshold to fall back on, and a
        reference that stays put keeps a rep's live cue and its verdict on the same threshold.

        learn: False while the tracker is still initialising (the fit is settling), so only a
        settled track sets the reference. raw_angles: contract_angles(points_cam_m, up_cam, 0.0)
        when the caller has them already (the live path), so they are not computed twice.
        """
        raw = float(spine_flexion_raw_deg(points_cam_m) if raw_angles is None else raw_angles["spine_flexion"])
        hip = self._standing_still(points_cam_m, up_cam, t_s, raw_angles)
        if learn and self.spine_deg is None and hip is not None:
            self._samples.append(raw)
            self._hip_samples.append(hip)
            if len(self._samples) >= self.frames_needed:
                self.spine_deg = float(np.median(self._samples))
                self.hip_deg = float(np.median(self._hip_samples))
        if self.spine_deg is not None:
            return self.spine_deg
        return float(np.median(self._samples)) if self._samples else raw
