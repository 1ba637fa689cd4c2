"""Scripted angle traces for the form tests: minimum-jerk hip/knee excursions, pauses,
noise and dropped frames, without the body model (fast)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.model import ANGLES
from station.sim.motion import min_jerk


@dataclass(frozen=True)
class Move:
    """Move every channel to `to` ({series: value}) over duration_s, then hold hold_s."""

    to: dict
    duration_s: float
    hold_s: float = 0.0


def script(moves: list[Move], fps: float = 30.0, start: dict | None = None, lead_s: float = 1.5,
           tail_s: float = 1.5) -> tuple[np.ndarray, dict[str, np.ndarray], list[float]]:
    """Series hip, knee, spine, shift, trunk (means; l = r) through the moves.

    Returns (t, {contract angle: (n,)}, arrival times of each move)."""
    cur = {"hip": 0.0, "knee": 0.0, "spine": 0.0, "shift": 0.0, "trunk": 0.0, **(start or {})}
    rows = []
    arrivals = []
    n_lead = int(round(lead_s * fps))
    rows += [dict(cur)] * n_lead
    for mv in moves:
        n = max(int(round(mv.duration_s * fps)), 1)
        tgt = {**cur, **mv.to}
        for k in range(1, n + 1):
            s = float(min_jerk(k / n))
            rows.append({c: cur[c] + (tgt[c] - cur[c]) * s for c in cur})
        cur = tgt
        arrivals.append((len(rows) - 1) / fps)
        rows += [dict(cur)] * int(round(mv.hold_s * fps))
    rows += [dict(cur)] * int(round(tail_s * fps))
    t = np.arange(len(rows)) / fps
    col = {c: np.array([r[c] for r in rows]) for c in cur}
    ang = {"trunk_inclination": col["trunk"], "hip_flexion_l": col["hip"], "hip_flexion_r": col["hip"],
           "knee_flexion_l": col["knee"], "knee_flexion_r": col["knee"], "spine_flexion": col["spine"],
           "pelvis_lateral_shift": col["shift"]}
    return t, {k: ang[k].copy() for k in ANGLES}, arrivals


def hinge(depth=80.0, knee=18.0, ecc=1.6, con=1.2, bottom_pause=0.1, top_pause=0.8, spine=0.0,
          shift=0.0, lockout=0.0, lean_back=0.0) -> list[Move]:
    """One hinge rep as moves: down (with knee, spine, shift), up (to lockout − lean_back)."""
    return [Move({"hip": depth, "knee": knee, "spine": spine, "shift": shift, "trunk": 0.75 * depth},
                 ecc, bottom_pause),
            Move({"hip": lockout - lean_back, "knee": 0.0, "spine": 0.0, "shift": 0.0, "trunk": 0.0},
                 con, top_pause)]


def add_noise(ang: dict[str, np.ndarray], rng: np.random.Generator, deg: float, m: float = 0.002):
    return {k: v + rng.normal(0.0, m if k == "pelvis_lateral_shift" else deg, v.shape) for k, v in ang.items()}


def drop_frames(n: int, rng: np.random.Generator, count: int, max_run: int = 3) -> np.ndarray:
    valid = np.ones(n, bool)
    for _ in range(count):
        i = int(rng.integers(0, n))
        valid[i:i + int(rng.integers(1, max_run + 1))] = False
    return valid


def run_live(ev, t: np.ndarray, ang: dict[str, np.ndarray], new_person_at: float | None = None):
    """`ev` (a FormEvaluator) over the traces frame by frame, every angle confident (0.9), the
    pipeline's new person at new_person_at (s), then finished."""
    for i in range(len(t)):
        if new_person_at is not None and t[i] >= new_person_at > t[i - 1]:
            ev.new_person()
        ev.update(float(t[i]), {k: float(v[i]) for k, v in ang.items()}, angle_confidence={k: 0.9 for k in ang})
    ev.finish()
    return ev
