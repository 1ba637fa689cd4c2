"""The evidence that the lifter holds an implement: how many depth points it would explain
that the body does not (station.fit.implements decides from it; station.fit.limb_search
weighs a bar's arms by it). Geometry of the implements themselves: station.fit.solver."""
from __future__ import annotations

import numpy as np

from station.fit import _kernels as K
from station.fit.body_model import SEG, BodyModel
from station.fit.solver import (
    FitWeights,
    Workspace,
    _norm,
    capsule_distances,
    implement_capsules,
    posed_capsules,
)


def implement_support(body: BodyModel, theta: np.ndarray, points_floor_m: np.ndarray,
                      ws: Workspace, implement: str, weights: FitWeights = FitWeights(),
                      body_margin_m: float = 0.03, band_m: float = 0.03) -> int:
    """How many points the implement would explain that the body does not (nearer the
    implement's surface than band_m, further than body_margin_m outside every body capsule):
    the evidence that it is held."""
    if implement == "bar":
        return bar_support(body, theta, points_floor_m, ws, weights)
    ca, cb = posed_capsules(body, theta, ws)
    ia, ib, ir, _, _ = implement_capsules(body, ca, cb, ws.seg_R, implement, weights)
    n = len(points_floor_m)
    if n == 0 or len(ir) == 0:
        return 0
    _, d_body, _ = capsule_distances(points_floor_m, ca, cb, body.cap_ra, body.cap_rb)
    _, d_imp, _ = capsule_distances(points_floor_m, ia, ib, ir, ir)
    return int(np.count_nonzero((np.abs(d_imp) < band_m) & (d_body > body_margin_m)))


def hands_line(body: BodyModel, theta: np.ndarray,
               ws: Workspace) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(midpoint, unit direction left from right, half the grip width) of the line through
    the posed hands, floor frame; None with the hands together."""
    ca, cb = posed_capsules(body, theta, ws)
    hl, hr = body.hand_caps
    pl = 0.5 * (ca[hl] + cb[hl])
    pr = 0.5 * (ca[hr] + cb[hr])
    d = pl - pr
    half = 0.5 * _norm(d)
    if half < 1e-6:
        return None
    return 0.5 * (pl + pr), d / (2 * half), half


def bar_support(body: BodyModel, theta: np.ndarray, points_floor_m: np.ndarray,
                ws: Workspace, weights: FitWeights = FitWeights(), beyond_m: float = 0.08,
                max_tilt: float = 0.3, min_grip_m: float = 0.25, max_grip_m: float = 1.1) -> int:
    """How many points lie on the line through the hands, beyond the hands (where no body
    part is): the evidence that a bar is held."""
    line = hands_line(body, theta, ws)
    if line is None:
        return 0
    return bar_support_on_line(line, points_floor_m, weights, beyond_m, max_tilt, min_grip_m, max_grip_m)


def bar_support_on_line(line: tuple[np.ndarray, np.ndarray, float], points_floor_m: np.ndarray,
                        weights: FitWeights = FitWeights(), beyond_m: float = 0.08,
                        max_tilt: float = 0.3, min_grip_m: float = 0.25, max_grip_m: float = 1.1) -> int:
    """bar_support for a hands' line already found (hands_line): several counts at one pose
    need the body posed only once."""
    mid, d, half = line
    # a bar is held level, in a grip between a snatch and a close grip: hands placed
    # otherwise (arms wrong or no bar) are no evidence
    if abs(float(d[2])) > max_tilt or not (min_grip_m <= 2 * half <= max_grip_m):
        return 0
    # the points within two bar radii of the line, beyond the hands, within the bar's length
    # (one pass in numba: station.fit._kernels_geometry.bar_line_count)
    return int(K.bar_line_count(points_floor_m, mid, d, 2 * weights.bar_radius_m,
                                half + beyond_m, weights.bar_half_length_m))


# the segments a held bar touches beyond the hands (the hand capsules are the forearms')
_BAR_HOLDERS = (SEG["forearm_l"], SEG["forearm_r"])


def bar_line_points_off_body(line: tuple[np.ndarray, np.ndarray, float], points_floor_m: np.ndarray,
                             body: BodyModel, ca: np.ndarray, cb: np.ndarray,
                             weights: FitWeights = FitWeights(), beyond_m: float = 0.08,
                             body_margin_m: float = 0.03) -> np.ndarray:
    """How far past the hands (m along the line) lies each of bar_support_on_line's points
    (beyond_m past the hands) that no capsule of the head, trunk, legs or upper arms explains
    (further than body_margin_m outside each, as implement_support's): the bar's evidence
    without the body's own points. Arms fitted wrong put the hands' line through the body:
    mocap_toe_touch@capsule, hands fitted at the head's height, read 18-29 points of the head
    and upper thorax as a bar's for six frames in a row, and a bar was switched on mid-set."""
    mid, d, half = line
    q = np.asarray(points_floor_m, np.float64) - mid
    s = q @ d
    along = np.abs(s)
    perp = np.linalg.norm(q - np.outer(s, d), axis=1)
    near = (perp < 2 * weights.bar_radius_m) & (along > half + beyond_m) & (along < weights.bar_half_length_m)
    if not near.any():
        return np.empty(0)
    own = ~np.isin(body.cap_seg, _BAR_HOLDERS)
    _, d_body, _ = capsule_distances(q[near] + mid, ca[own], cb[own], body.cap_ra[own], body.cap_rb[own])
    return along[near][d_body > body_margin_m] - half


def plate_point_count(body: BodyModel, theta: np.ndarray, points_floor_m: np.ndarray,
                      ws: Workspace, weights: FitWeights = FitWeights(), beyond_m: float = 0.1,
                      radius_m: float = 0.3) -> int:
    """How many points belong to a bar's plates (and collars): within radius_m of the line
    through the hands, more than beyond_m past the hands and within the bar's length, but off
    the shaft (further than two bar radii from it). The bar is modelled as its shaft alone, so
    they are outliers of any fit: 20-40 % of a barbell lifter's cloud, more of it as more of the
    plates joins the lifter's blob, which read as a worse fit of the body."""
    line = hands_line(body, theta, ws) if len(points_floor_m) else None
    if line is None:
        return 0
    mid, d, half = line
    q = np.asarray(points_floor_m, np.float64) - mid
    along = np.abs(q @ d)
    rad2 = np.einsum("ij,ij->i", q, q) - along * along
    shaft2 = (2 * weights.bar_radius_m) ** 2
    return int(np.count_nonzero((along > half + beyond_m) & (along < weights.bar_half_length_m)
                                & (rad2 > shaft2) & (rad2 < radius_m * radius_m)))


def hand_clutter(body: BodyModel, theta: np.ndarray, points_floor_m: np.ndarray, ws: Workspace,
                 finger_m: float, reach_m: float = 0.20, body_margin_m: float = 0.03) -> int:
    """How many points lie within reach_m of a hand (its capsule's middle, the grip), further
    than body_margin_m outside every body capsule and than finger_m from the hand capsule's
    far end (open fingers reach past a closed hand's capsule): something held there that no
    implement of the fit explains (a kettlebell or dumbbells not found yet). Empty hands leave
    a few (the sensor's noise)."""
    n = len(points_floor_m)
    if n == 0:
        return 0
    ca, cb = posed_capsules(body, theta, ws)
    near = np.zeros(n, dtype=bool)
    fingers = np.zeros(n, dtype=bool)
    for h in body.hand_caps:
        grip = 0.5 * (ca[h] + cb[h])
        near |= np.sum((points_floor_m - grip) ** 2, axis=1) < reach_m * reach_m
        fingers |= np.sum((points_floor_m - cb[h]) ** 2, axis=1) < (finger_m + body.cap_rb[h]) ** 2
    sel = near & ~fingers
    if not sel.any():
        return 0
    pts = np.ascontiguousarray(points_floor_m[sel])
    _, d_body, _ = capsule_distances(pts, ca, cb, body.cap_ra, body.cap_rb)
    return int(np.count_nonzero(d_body > body_margin_m))
