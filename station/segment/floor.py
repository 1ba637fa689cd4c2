"""The floor plane: found by RANSAC on the lower part of the depth image, refined by weighted
least squares on its inliers, and tracked over time.

No pitch is assumed: a hypothesis is accepted if its up-pointing normal lies within
``max_tilt_deg`` of image-up (camera -y) and the camera height it implies is plausible.
Depth noise of a stereo camera grows as z², so inlier tolerances and least-squares weights
grow/shrink with z².

The plane is a :class:`station.model.FloorPlane` in the camera frame: normal pointing up,
n·p + d = 0, so d is the camera's height above the floor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.frames import clip_unit, vector_norm
from station.model import FloorPlane
from station.segment import _kernels as K


@dataclass(frozen=True)
class FloorParams:
    """Thresholds of the floor fit (metres, degrees)."""

    row_start_frac: float = 0.4        # candidates from this fraction of the image height down
    z_max_m: float = 6.0               # ignore floor further than this (noise ~ z²)
    max_tilt_deg: float = 50.0         # normal within this of image-up
    height_min_m: float = 0.3          # plausible camera heights
    height_max_m: float = 3.0
    inlier_thr0_m: float = 0.02        # inlier: |n·p + d| < thr0 + thr2 z²
    inlier_thr2_per_m: float = 0.004
    sigma0_m: float = 0.003            # least-squares weight 1/(sigma0 + sigma2 z²)²
    sigma2_per_m: float = 0.002
    ransac_iterations: int = 96
    ransac_max_points: int = 1500      # hypotheses are scored on a random subset this big
    refine_iterations: int = 3         # after RANSAC
    track_refine_iterations: int = 1   # per tracked frame
    min_inliers: int = 200             # at decimation 4 (scaled by (4/decimation)²)
    min_inlier_fraction: float = 0.15
    track_alpha: float = 0.1           # exponential averaging while nobody is in view
    track_alpha_person: float = 0.02   # while a person is in view (floor outside them only)
    track_max_angle_deg: float = 3.0   # a tracked refit further than this is rejected
    track_max_shift_m: float = 0.05
    relost_frames: int = 30            # empty frames with a failing track before re-detection


@dataclass(frozen=True)
class FloorQuality:
    """How well the floor fits: inliers over candidate floor pixels, RMS residual."""

    inlier_fraction: float
    rms_mm: float
    n_inliers: int
    n_candidates: int
    source: str  # "ransac", "tracked", "held" (kept from before: the refit was not trusted)


def plane_array(plane: FloorPlane) -> np.ndarray:
    return np.array([*np.asarray(plane.normal_cam, np.float64), plane.d_m], np.float64)


def plane_from_array(p: np.ndarray) -> FloorPlane:
    n = np.asarray(p[:3], np.float64)
    norm = vector_norm(n)
    return FloorPlane(normal_cam=n / norm, d_m=float(p[3] / norm))


def refine_plane(points_cam_m: np.ndarray, plane: np.ndarray, params: FloorParams,
                 iterations: int | None = None) -> tuple[np.ndarray, int, float]:
    """Re-select inliers and refit by weighted least squares, a few times.

    Returns (plane (4,), inlier count, RMS residual in metres) of the last selection.
    """
    moments = np.zeros(12, np.float64)
    plane = np.asarray(plane, np.float64).copy()
    count, rms = 0, math.inf
    for _ in range(params.refine_iterations if iterations is None else iterations):
        count = K.plane_inlier_moments(points_cam_m, plane, params.inlier_thr0_m,
                                       params.inlier_thr2_per_m, params.sigma0_m,
                                       params.sigma2_per_m, moments)
        new = np.empty(4, np.float64)
        if not K.plane_from_moments(moments, new):
            break
        plane = new
    # the last selection's count and RMS only (plane_inlier_moments' sums 11 and 10, the
    # same values; its weighted sums cost as much again and nothing reads them)
    count, rss = K.plane_inlier_residuals(points_cam_m, plane, params.inlier_thr0_m,
                                          params.inlier_thr2_per_m)
    if count > 0:
        rms = math.sqrt(rss / count)
    return plane, int(count), rms


def _plausible(plane: np.ndarray, params: FloorParams) -> bool:
    return (-plane[1] >= math.cos(math.radians(params.max_tilt_deg))
            and params.height_min_m <= plane[3] <= params.height_max_m)


def detect_floor(points_cam_m: np.ndarray, rng: np.random.Generator, params: FloorParams,
                 min_inliers: int) -> tuple[np.ndarray | None, FloorQuality]:
    """RANSAC + least-squares floor from candidate points (n, 3) float32 (camera frame).

    rng supplies the random state (sample subsets and triplets), so results are reproducible.
    Returns (plane (4,) or None, quality).
    """
    n = len(points_cam_m)
    if n < 3:
        return None, FloorQuality(0.0, math.inf, 0, n, "ransac")
    if n > params.ransac_max_points:
        subset = np.ascontiguousarray(
            points_cam_m[rng.choice(n, params.ransac_max_points, replace=False)])
    else:
        subset = points_cam_m
    samples = rng.integers(0, len(subset), size=(params.ransac_iterations, 3)).astype(np.int32)
    plane = np.zeros(4, np.float64)
    best = K.ransac_plane(subset, samples, math.cos(math.radians(params.max_tilt_deg)),
                          params.height_min_m, params.height_max_m, params.inlier_thr0_m,
                          params.inlier_thr2_per_m, plane)
    if best < 3:
        return None, FloorQuality(0.0, math.inf, 0, n, "ransac")
    plane, count, rms = refine_plane(points_cam_m, plane, params)
    quality = FloorQuality(count / n, rms * 1000.0, count, n, "ransac")
    if count < min_inliers or count / n < params.min_inlier_fraction or not _plausible(plane, params):
        return None, quality
    return plane, quality


def blend_planes(old: np.ndarray, new: np.ndarray, alpha: float) -> np.ndarray:
    """Exponential average of two planes (normals renormalised)."""
    n = (1.0 - alpha) * old[:3] + alpha * new[:3]
    norm = vector_norm(n)
    d = (1.0 - alpha) * old[3] + alpha * new[3]
    out = np.empty(4)      # (np.array([*(n / norm), d])'s values without unpacking n)
    np.divide(n, norm, out=out[:3])
    out[3] = d
    return out


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> float:
    c = float(a[:3] @ b[:3]) / (vector_norm(a[:3]) * vector_norm(b[:3]))
    return math.degrees(math.acos(clip_unit(c)))


class FloorTracker:
    """Finds the floor, then refines it frame by frame.

    update(points, person_in_view) takes the candidate floor points of one frame (the
    person's pixels already excluded by the caller). Without a floor it runs RANSAC; with
    one it refits on the current inliers and averages exponentially (slowly while a person
    is in view), rejecting refits that jump. If the track keeps failing while nobody is in
    view (camera bumped), it re-detects.
    """

    def __init__(self, params: FloorParams, rng: np.random.Generator, min_inliers: int):
        self.params = params
        self.rng = rng
        self.min_inliers = min_inliers
        self.reset()

    def reset(self) -> None:
        self.plane: np.ndarray | None = None
        self.quality: FloorQuality | None = None
        self._fail = 0

    @property
    def floor(self) -> FloorPlane | None:
        return None if self.plane is None else plane_from_array(self.plane)

    def update(self, points_cam_m: np.ndarray, person_in_view: bool) -> None:
        p = self.params
        n = len(points_cam_m)
        if self.plane is None:
            plane, q = detect_floor(points_cam_m, self.rng, p, self.min_inliers)
            self.quality = q
            if plane is not None:
                self.plane = plane
                self._fail = 0
            return
        new, count, rms = refine_plane(points_cam_m, self.plane, p, p.track_refine_iterations)
        frac = count / n if n else 0.0
        ok = (count >= self.min_inliers and frac >= p.min_inlier_fraction
              and _plausible(new, p)
              and angle_between_deg(new, self.plane) <= p.track_max_angle_deg
              and abs(new[3] - self.plane[3]) <= p.track_max_shift_m)
        if ok:
            alpha = p.track_alpha_person if person_in_view else p.track_alpha
            self.plane = blend_planes(self.plane, new, alpha)
            self.quality = FloorQuality(frac, rms * 1000.0, count, n, "tracked")
            self._fail = 0
            return
        self.quality = FloorQuality(frac, rms * 1000.0 if count else math.inf, count, n, "held")
        if person_in_view:
            return
        self._fail += 1
        if self._fail >= p.relost_frames:
            plane, q = detect_floor(points_cam_m, self.rng, p, self.min_inliers)
            if plane is not None:
                self.plane, self.quality = plane, q
                self._fail = 0
