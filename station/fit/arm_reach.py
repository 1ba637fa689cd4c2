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
from station.fit.body_model import DOF, DOF_LOWER, DOF_UPPER, SEG, BodyModel
from station.fit.solver import FitResult, Workspace, capsule_distances, posed_segments
from station.model import SKELETON_INDEX

_SH = {"l": SKELETON_INDEX["shoulder_l"], "r": SKELETON_INDEX["shoulder_r"]}
_EL = {"l": SKELETON_INDEX["elbow_l"], "r": SKELETON_INDEX["elbow_r"]}
_WR = {"l": SKELETON_INDEX["wrist_l"], "r": SKELETON_INDEX["wrist_r"]}
_THORAX = SEG["upper_thorax"]
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
                     min_points: int) -> list[tuple[str, tuple[float, float, float], np.ndarray]]:
    """(limb, (flexion, abduction, elbow) radians, the points) for each arm with at least
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
        out.append((f"arm_{s}", (f, a, REACH_ELBOW_RAD), mine))
    out.sort(key=lambda h: -len(h[2]))
    return out


REACH_HAND_M = 0.06                      # the far end of an arm's points: the hand, past the wrist
_ELBOW_AROUND = 8                        # elbow positions tried around the shoulder-wrist line
_TWISTS = np.linspace(-90.0, 90.0, 13) * math.pi / 180


def bent_arm_seeds(body: BodyModel, fit: FitResult, arm_points: np.ndarray,
                   side: str) -> list[np.ndarray]:
    """Poses of `fit` with the arm (side "l" or "r") bent to reach its points' far end: the
    hand is put at the far end of `arm_points` (floor frame), the elbow at _ELBOW_AROUND
    places on the circle the two bones allow, each with the upper arm's twist that puts the
    wrist there (the twist decides the plane the elbow bends in). The straight arm of
    reach_hypotheses cannot fit a bent one: on mocap_squats@mesh (4.0-5.0 s) a right arm out
    to the side, forearm raised, stayed folded at the chest 0.3 m off, while the truth's arm
    and twist had 15-25% less energy (frames 110-160, a wrist > 0.2 m off: 33-42 of 51 frames
    over segmenter seeds 1-3; with these seeds 0). Nothing when the points are within the
    upper arm's length or beyond the straight arm's."""
    P = fit.points_floor_m
    S, E0, W0 = P[_SH[side]], P[_EL[side]], P[_WR[side]]
    l1, l2 = float(np.linalg.norm(E0 - S)), float(np.linalg.norm(W0 - E0))
    d = np.linalg.norm(arm_points - S, axis=1)
    far = arm_points[d >= np.quantile(d, 0.8)].mean(axis=0) - S
    dist = float(np.linalg.norm(far)) - REACH_HAND_M
    if dist <= l1 or dist >= l1 + l2:     # the straight arm (reach_hypotheses) covers these
        return []
    w = far / np.linalg.norm(far)
    a = (l1 * l1 - l2 * l2 + dist * dist) / (2 * dist)     # the elbow circle's centre along w
    rho = math.sqrt(max(l1 * l1 - a * a, 0.0))
    ref = np.array([0.0, 0.0, -1.0]) - w * (-w[2])          # "elbow down", across w
    if np.linalg.norm(ref) < 1e-6:
        ref = np.cross(w, [1.0, 0.0, 0.0])
    e1 = ref / np.linalg.norm(ref)
    e2 = np.cross(w, e1)
    wrist = S + w * dist
    idx = [DOF[f"shoulder_{side}_flex"], DOF[f"shoulder_{side}_abd"],
           DOF[f"shoulder_{side}_rot"], DOF[f"elbow_{side}_flex"]]
    ws = Workspace()
    wseg, wlocal = body.point_seg[_WR[side]], body.point_local[_WR[side]]
    out = []
    for k in range(_ELBOW_AROUND):
        phi = 2 * math.pi * k / _ELBOW_AROUND
        elbow = S + w * a + rho * (math.cos(phi) * e1 + math.sin(phi) * e2)
        u = (elbow - S) / l1
        v = (wrist - elbow) / max(float(np.linalg.norm(wrist - elbow)), 1e-9)
        f, ab = point_angles(fit.seg_R[_THORAX], u, side)
        el = math.acos(max(-1.0, min(1.0, float(u @ v))))
        best, best_err = None, math.inf
        for rot in _TWISTS:
            th = fit.theta.copy()
            th[idx] = np.clip((f, ab, rot, el), DOF_LOWER[idx], DOF_UPPER[idx])
            posed_segments(body, th, ws)
            err = float(np.linalg.norm(ws.seg_R[wseg] @ wlocal + ws.seg_t[wseg] - wrist))
            if err < best_err:
                best, best_err = th, err
        out.append(best)
    return out
