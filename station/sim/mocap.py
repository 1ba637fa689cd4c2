"""The motion-capture driver: real human motion (CMU ASF/AMC) as synthetic-athlete poses.

The packaged CMU clips (station/data/mocap/) as MocapClip: parsed and forward-kinematised
(station.sim.acclaim), mapped onto the sim's named points (station.sim.mocap_retarget), with
their action labels, and placed in the floor frame at any frame rate (MocapClip.poses_floor),
so recorded human movement can drive the synthetic athlete.
"""
from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from station.sim.acclaim import (AMC_FPS_HZ, AsfSkeleton, MocapFormatError, forward_kinematics, parse_amc,
                                 parse_asf)
from station.sim.mocap_retarget import R_ZUP_CMU, SoleCalibration, sim_points_from_fk
from station.sim.pose import SIM_INDEX

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mocap"

# Packaged clips: name -> (amc file, labels file, joints30hz file) in DATA_DIR.
CLIPS: dict[str, tuple[str, str, str]] = {
    "13_29": ("cmu_13_29.amc", "cmu_13_29_labels.csv", "cmu_13_29_joints30hz.csv"),
    "13_30": ("cmu_13_30_f1321-2040.amc", "cmu_13_30_f1321-2040_labels.csv",
              "cmu_13_30_f1321-2040_joints30hz.csv"),
    "13_31": ("cmu_13_31_f0901-1440.amc", "cmu_13_31_f0901-1440_labels.csv",
              "cmu_13_31_f0901-1440_joints30hz.csv"),
}
ASF_FILE = "cmu_13.asf"

# The 23 joints of the README's *_joints30hz.csv, in its column order, and the CMU segment
# whose distal end each one is ("root" = the root translation).
CMU_JOINTS: tuple[tuple[str, str], ...] = (
    ("pelvis", "root"),
    ("l_hip", "lhipjoint"), ("r_hip", "rhipjoint"),
    ("l_knee", "lfemur"), ("r_knee", "rfemur"),
    ("l_ankle", "ltibia"), ("r_ankle", "rtibia"),
    ("l_toe_base", "lfoot"), ("r_toe_base", "rfoot"),
    ("l_toe_tip", "ltoes"), ("r_toe_tip", "rtoes"),
    ("spine_low", "lowerback"), ("spine_mid", "upperback"),
    ("neck_base", "thorax"), ("neck_mid", "lowerneck"),
    ("head_base", "upperneck"), ("head_top", "head"),
    ("l_shoulder", "lclavicle"), ("r_shoulder", "rclavicle"),
    ("l_elbow", "lhumerus"), ("r_elbow", "rhumerus"),
    ("l_wrist", "lradius"), ("r_wrist", "rradius"),
)
CMU_JOINT_NAMES: tuple[str, ...] = tuple(n for n, _ in CMU_JOINTS)


# ------------------------------------------------------------------------------ labels

def load_labels(path: str | Path) -> list[tuple[float, float, str]]:
    """Action segments (start_s, end_s, action) from a labels CSV (clip time)."""
    path = Path(path)
    out: list[tuple[float, float, str]] = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or header[:2] != ["start_s", "end_s"] or "action" not in header:
                raise MocapFormatError(path, 1, f"expected a header with start_s,end_s,...,action, got {header}")
            ia = header.index("action")
            for row in reader:
                lineno = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    raise MocapFormatError(path, lineno, f"expected {len(header)} fields, got {len(row)}")
                try:
                    t0, t1 = float(row[0]), float(row[1])
                except ValueError:
                    raise MocapFormatError(path, lineno, f"start_s/end_s not numbers: {row[:2]}") from None
                if not t1 > t0:
                    raise MocapFormatError(path, lineno, f"segment ends ({t1}) before it starts ({t0})")
                out.append((t0, t1, row[ia].strip()))
    except OSError as e:
        raise MocapFormatError(path, None, f"cannot read labels: {e.strerror or e}") from None
    return out


# ------------------------------------------------------------------------------- clips

def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class MocapClip:
    """One motion-capture clip, parsed and forward-kinematised.

    fps_hz: the AMC frame rate (120 for CMU).
    times_s: (n,) clip time of each frame, frame k at k / fps_hz.
    points_cmu_world_m: (n, len(CMU_JOINT_NAMES), 3) the README's 23 joints (bone ends) in
        the CMU world frame (metres, Y up, floor at y = 0), for comparison with its CSVs.
    sim_points_cmu_m: (n, len(SIM_POINTS), 3) the sim points in the same CMU frame.
    labels: [(start_s, end_s, action)] in clip time (empty if unknown).
    soles: the per-foot sole calibration used for heel_* and toe_*.
    """

    name: str
    fps_hz: float
    times_s: np.ndarray
    points_cmu_world_m: np.ndarray
    sim_points_cmu_m: np.ndarray
    labels: list[tuple[float, float, str]] = field(default_factory=list)
    soles: dict[str, SoleCalibration] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.times_s)

    @property
    def duration_s(self) -> float:
        """Time of the last frame (clip times run 0 … duration_s)."""
        return float(self.times_s[-1])

    def action_at(self, t_s: float) -> str | None:
        """The labelled action at clip time t_s (segments are [start, end); the last one also
        includes its end), or None outside every segment."""
        for i, (t0, t1, action) in enumerate(self.labels):
            if t0 <= t_s < t1 or (i == len(self.labels) - 1 and t_s == t1):
                return action
        return None

    def sim_points_at(self, times_s: np.ndarray) -> np.ndarray:
        """SIM_POINTS in the CMU frame at arbitrary clip times (linear interpolation between
        frames; times are clamped to the clip). Returns (m, len(SIM_POINTS), 3)."""
        t = np.clip(np.asarray(times_s, dtype=np.float64), 0.0, self.duration_s)
        f = t * self.fps_hz
        i0 = np.clip(np.floor(f).astype(np.int64), 0, self.n_frames - 1)
        i1 = np.minimum(i0 + 1, self.n_frames - 1)
        w = (f - i0)[:, None, None]
        P = self.sim_points_cmu_m
        return (1.0 - w) * P[i0] + w * P[i1]

    def poses_floor(self, fps: float, place_xy_m: tuple[float, float] = (0.0, 2.5), yaw_deg: float = 0.0,
                    t_start_s: float = 0.0, t_end_s: float | None = None,
                    scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """The clip as sim poses in the floor frame, resampled at `fps`.

        Returns (times_s (m,), poses (m, len(SIM_POINTS), 3)); times_s are clip times
        t_start_s + k / fps up to t_end_s (inclusive; default the clip's end), so they can be
        passed to action_at. Placement, fixed for the whole window:
          * the floor is the CMU lab floor (y = 0), z up;
          * the midpoint of the ankles at t_start_s is at (place_xy_m, 0);
          * at yaw 0 the person faces floor −y (the camera) with their left (hip_r → hip_l,
            averaged over the first 0.5 s of the window) along floor +x; yaw_deg > 0 turns
            them to their left (counter-clockwise seen from above) about that point;
          * scale multiplies the body about that floor point (other body heights).
        """
        fps = float(fps)
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        t_end = self.duration_s if t_end_s is None else float(t_end_s)
        t0 = float(t_start_s)
        if not (0.0 <= t0 <= self.duration_s):
            raise ValueError(f"t_start_s={t0} is outside the clip {self.name} (0 … {self.duration_s:.3f} s)")
        if not (t0 <= t_end <= self.duration_s + 1e-9):
            raise ValueError(f"t_end_s={t_end} must lie in [t_start_s, {self.duration_s:.3f}] for clip {self.name}")
        m = int(math.floor((t_end - t0) * fps + 1e-9)) + 1
        times = t0 + np.arange(m) / fps
        P = self.sim_points_at(times) @ R_ZUP_CMU.T  # z-up, CMU horizontal axes

        # Facing and placement from the start of the window.
        ref = self.sim_points_at(np.arange(t0, min(t0 + 0.5, self.duration_s) + 1e-9, 1.0 / self.fps_hz)) @ R_ZUP_CMU.T
        left = np.mean(ref[:, SIM_INDEX["hip_l"]] - ref[:, SIM_INDEX["hip_r"]], axis=0)
        heading = math.atan2(left[1], left[0])  # angle of the person's left from +x
        c, s = math.cos(math.radians(yaw_deg) - heading), math.sin(math.radians(yaw_deg) - heading)
        R = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        mid_ankle = 0.5 * (P[0, SIM_INDEX["ankle_l"]] + P[0, SIM_INDEX["ankle_r"]])
        origin = np.array([mid_ankle[0], mid_ankle[1], 0.0])
        place = np.array([place_xy_m[0], place_xy_m[1], 0.0], dtype=np.float64)
        poses = (P - origin) @ (scale * R).T + place
        return times, poses


def _joint_bone_index(skeleton: AsfSkeleton) -> list[int]:
    names = ("root",) + skeleton.bone_names
    return [names.index(bone) for _, bone in CMU_JOINTS]


def load_asf_amc(asf_path: str | Path, amc_path: str | Path, labels_path: str | Path | None = None,
                 name: str | None = None, fps_hz: float = AMC_FPS_HZ) -> MocapClip:
    """Parse an ASF skeleton and an AMC motion into a MocapClip (labels optional)."""
    skeleton = _parse_asf_cached(str(Path(asf_path).resolve()))
    motion = parse_amc(amc_path, skeleton)
    ends, rots = forward_kinematics(skeleton, motion)
    sim, soles = sim_points_from_fk(skeleton, ends, rots, fps_hz)
    labels = load_labels(labels_path) if labels_path is not None else []
    n = ends.shape[0]
    return MocapClip(
        name=name or Path(amc_path).stem, fps_hz=float(fps_hz), times_s=_readonly(np.arange(n) / fps_hz),
        points_cmu_world_m=_readonly(ends[:, _joint_bone_index(skeleton)]),
        sim_points_cmu_m=_readonly(sim), labels=labels, soles=soles,
    )


@functools.lru_cache(maxsize=8)
def _parse_asf_cached(path: str) -> AsfSkeleton:
    return parse_asf(path)


@functools.lru_cache(maxsize=None)
def load_clip(name: str) -> MocapClip:
    """A packaged clip by name ("13_29", "13_30", "13_31"), parsed once per process."""
    if name not in CLIPS:
        raise KeyError(f"unknown mocap clip {name!r}; packaged clips: {', '.join(CLIPS)}")
    amc, labels, _ = CLIPS[name]
    return load_asf_amc(DATA_DIR / ASF_FILE, DATA_DIR / amc, DATA_DIR / labels, name=name)


def joints30hz_csv_path(name: str) -> Path:
    """The README's independent FK export for a packaged clip (used by the tests)."""
    return DATA_DIR / CLIPS[name][2]
