"""An arm re-seeded from where its points are: the cloud's points that no capsule of the fit
explains, near one shoulder, are taken to be that arm, and the arm is pointed at them.

The limb search's fixed hypotheses cover standard arm configurations; a fast arm swing
(mocap_warmup: wrists at 2-3 m/s) leaves the fitted arm more than the data term's gate
behind, where no point pulls it, and the arm stays in a wrong basin until the probe's turn
comes round to a fixed hypothesis near the truth (a second or more; on mocap_warmup@mesh a
wrist was more than 0.2 m off in a third of the frames). The unexplained points show where
the arm went, in the frame it went there.
"""
from __future__ import annotations

import math

import numpy as np

from station.fit import _kernels as K
from station.fit.body_model import SEG, BodyModel
from station.fit.solver import FitResult, capsule_distances
from station.model import SKELETON_INDEX

_SH = {"l": SKELETON_INDEX["shoulder_l"], "r": SKELETON_INDEX["shoulder_r"]}
_EL = {"l": SKELETON_INDEX["elbow_l"], "r": SKELETON_INDEX["elbow_r"]}
_WR = {"l": SKELETON_INDEX["wrist_l"], "r": SKELETON_INDEX["wrist_r"]}
_THORAX = SEG["thorax"]
REACH_ELBOW_RAD = 8 * math.pi / 180      # nearly straight, as the standard hypotheses
REACH_SLACK_M = 0.12                     # beyond the wrist: the hand and the fingers


def point_angles(thorax_R: np.ndarray, direction: np.ndarray, side: str) -> tuple[float, float]:
    """(flexion, abduction) radians of the shoulder (side "l" or "r") that point the upper arm
    along `direction` (floor frame, unit), for a thorax with this orientation (floor <-
    thorax). The arm hangs along the thorax's -z at zero; flexion turns it about -y
    (forward, +x), abduction outward (+y on the left, -y on the right)."""
    d = thorax_R.T @ direction            # the direction in the thorax frame
    flex = math.atan2(float(d[0]), float(-d[2]))
    lateral = float(d[1]) if side == "l" else -float(d[1])
    return flex, math.asin(max(-1.0, min(1.0, lateral)))


def unexplained_points(body: BodyModel, fit: FitResult, points: np.ndarray,
                       gate_m: float) -> np.ndarray:
    """The points (floor frame) farther than gate_m from every capsule of the fit (the data
    term's gate: no capsule is pulled towards them)."""
    ca = np.empty_like(body.cap_a_local)
    cb = np.empty_like(body.cap_b_local)
    K.points_to_world(fit.seg_R, fit.seg_t, body.cap_seg, body.cap_a_local, ca)
    K.points_to_world(fit.seg_R, fit.seg_t, body.cap_seg, body.cap_b_local, cb)
    _, dist, _ = capsule_distances(points, ca, cb, body.cap_ra, body.cap_rb)
    return points[dist > gate_m]


def reach_hypotheses(body: BodyModel, fit: FitResult, points: np.ndarray, gate_m: float,
                     min_points: int) -> list[tuple[str, tuple[float, float, float], int]]:
    """(limb, (flexion, abduction, elbow) radians, n points) for each arm with at least
    min_points unexplained points within its reach (the straight arm's length and a hand),
    nearer its own shoulder than the other: the arm straight towards their centroid. Most
    points first."""
    n_gated = round((1.0 - fit.inlier_fraction) * fit.n_points)
    if n_gated < min_points:          # (inliers are within the gate: nothing to look for)
        return []
    far = unexplained_points(body, fit, points, gate_m)
    P = fit.points_floor_m
    d = {s: np.linalg.norm(far - P[_SH[s]], axis=1) for s in ("l", "r")}
    out = []
    for s, o in (("l", "r"), ("r", "l")):
        reach = (np.linalg.norm(P[_EL[s]] - P[_SH[s]]) + np.linalg.norm(P[_WR[s]] - P[_EL[s]])
                 + REACH_SLACK_M)
        mine = far[(d[s] <= reach) & (d[s] < d[o])]
        if len(mine) < min_points:
            continue
        u = mine.mean(axis=0) - P[_SH[s]]
        n = float(np.linalg.norm(u))
        if n < 1e-6:
            continue
        f, a = point_angles(fit.seg_R[_THORAX], u / n, s)
        out.append((f"arm_{s}", (f, a, REACH_ELBOW_RAD), len(mine)))
    out.sort(key=lambda h: -h[2])
    return out
