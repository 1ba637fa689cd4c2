"""The segmentation stage: depth frame in, the lifter's point cloud out.

Per frame (DESIGN.md, "Skeleton fitter" step 1):
  1. decimate the depth image by an integer factor (median or nearest valid depth per
     block: never an average, so edges make no flying points) and back-project it with the
     decimated intrinsics;
  2. find or track the floor plane (RANSAC, then weighted least squares; refined while
     nobody is in view, kept while someone is);
  3. keep the pixels inside the lifting zone (with its margin), above the floor clearance,
     below the zone's max height and nearer than the learned background;
  4. label connected components (neighbours of similar depth) and choose the lifter's blob:
     person-sized, footprint inside the zone, nearest the mirror's centre line;
  5. join the other components of the same person (person.merge_person): the head, nearer
     the camera than the chest when hinging, and the shanks cut off by a bar or the torso
     are separate components, found by their 3D gap to the chosen blob; a half of the
     lifter split left/right at a barbell (person-sized, on the floor) only if it lay in
     the last frame's lifter footprint, touches, and adds no second person's points;
  6. learn the background outside every person-sized blob and the lifter's components.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from station import frames
from station.model import DepthFrame, FloorPlane, Intrinsics, PersonCloud, SegmentResult
from station.segment import _kernels as K
from station.segment._kernels_blobs import COUNT
from station.segment.background import VIEW_BLOCKED_MIN_SHARE, BackgroundModel, BackgroundParams
from station.segment.floor import FloorParams, FloorTracker
from station.segment.occlusion import FrontOcclusion
from station.segment.person import (BlobParams, LiftingZone, choose_person, hidden_candidates,
                                    last_lifter, merge_candidates, merge_person, near_footprint,
                                    with_members)

# SegmentResult lives in station.model (the stage types); re-exported for existing imports
__all__ = ["Segmenter", "SegmentResult", "LiftingZone", "SegmenterParams", "sorting_network"]


def sorting_network(n: int) -> np.ndarray:
    """Batcher's odd-even merge sorting network for the next power of two >= n.

    Returns (m, 2) int32 compare-exchange pairs (i < j: after the pair, a[i] <= a[j]).
    """
    size = 1
    while size < n:
        size *= 2
    pairs: list[tuple[int, int]] = []

    def merge(lo: int, hi: int, r: int) -> None:
        step = r * 2
        if step < hi - lo:
            merge(lo, hi, step)
            merge(lo + r, hi, step)
            pairs.extend((i, i + r) for i in range(lo + r, hi - r, step))
        else:
            pairs.append((lo, lo + r))

    def sort(lo: int, hi: int) -> None:
        if hi - lo >= 1:
            mid = lo + (hi - lo) // 2
            sort(lo, mid)
            sort(mid + 1, hi)
            merge(lo, hi, 1)

    sort(0, size - 1)
    return np.array(pairs, np.int32).reshape(-1, 2)


@dataclass(frozen=True)
class SegmenterParams:
    decimation_mode: str = "median"     # "median" or "min" (nearest valid) per block
    min_valid_frac: float = 0.25        # a block needs this fraction of valid samples
    floor_clear0_m: float = 0.02        # person points: height > clear0 + clear2 z²
    floor_clear2_per_m: float = 0.003
    jump_min_m: float = 0.05            # neighbours join if |dz| < max(jump_min, jump_per z);
                                        # a block's two middle depths this near are one surface
    jump_per_m: float = 0.04            # (8 cm at 2 m)
    connectivity8: bool = True
    auto_learn_background: bool = True
    # a lifter's cloud under partial_fraction x its usual size (or none at all), while they
    # were seen in the last partial_hold_s: the pixels where they were then are not learned
    # this frame, whatever lies there. A walker brushing past hid part of a bent lifter and
    # the segmenter lost their body for a few frames; the legs, standing still and no longer
    # excluded, became the background within three frames, and the fit's legs stayed 60-170
    # mm off for the rest of the set (stop 67)
    partial_fraction: float = 0.5
    partial_hold_s: float = 2.0
    kept_rate: float = 0.1         # per frame: how fast the lifter's usual size follows theirs
    floor: FloorParams = field(default_factory=FloorParams)
    background: BackgroundParams = field(default_factory=BackgroundParams)
    blob: BlobParams = field(default_factory=BlobParams)

    def __post_init__(self) -> None:
        if self.decimation_mode not in ("median", "min"):
            raise ValueError(f"decimation_mode must be 'median' or 'min', got {self.decimation_mode!r}")


class Segmenter:
    """Depth frames in, SegmentResult out. Holds the floor track and the background model."""

    def __init__(self, zone: LiftingZone, decimation: int = 4,
                 params: SegmenterParams | None = None,
                 seed: int | np.random.Generator = 0):
        if not isinstance(decimation, (int, np.integer)) or decimation < 1:
            raise ValueError(f"decimation must be a positive integer, got {decimation!r}")
        self.zone = zone
        self.decimation = int(decimation)
        self.params = params or SegmenterParams()
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        scale = (4.0 / self.decimation) ** 2
        self._min_points = max(1, round(self.params.blob.min_points * scale))
        self._merge_radius_px = max(1, round(self.params.blob.merge_max_radius_px * 4.0 / self.decimation))
        # a hidden part's outline and its occluder's may be a pixel or two apart (the D435's
        # invalid band at a depth edge): 2 pixels at decimation 4
        self._occlusion_radius_px = max(1, round(2 * 4.0 / self.decimation))
        self._floor_min_inliers = max(3, round(self.params.floor.min_inliers * scale))
        self.floor_tracker = FloorTracker(self.params.floor, self.rng, self._floor_min_inliers)
        self._shape_in: tuple[int, int] | None = None
        self._intr_in: Intrinsics | None = None
        self.background: BackgroundModel | None = None
        self._calibration = None   # (plane (4,), background depth, count, intrinsics) to start from
        self.occlusion = FrontOcclusion()

    # ---------------------------------------------------------------- state

    def reset(self) -> None:
        """Forget the floor, the background and the lifter's track."""
        self.floor_tracker.reset()
        if self.background is not None:
            self.background.reset()
        self._prev_xy = None
        self._forget_home()
        self._kept_ref = None
        self._prev_present = False
        self.occlusion.reset()
        if self._shape_in is not None:
            self._exclude[:] = False

    def _forget_home(self) -> None:
        """Forget where the lifter has stood (a new lifter, a new floor or calibration)."""
        self._home_xy, self._home_in_since, self._home_settled_t = None, None, None

    def _update_home(self, xy_m: tuple[float, float] | None, t_s: float) -> None:
        """The lifter's home: the chosen footprint's centroid averaged over home_tau_s (an
        exponential average in time), and when it last counted as settled (the footprint
        within home_radius_m of it for home_settle_s running). xy_m None: nobody chosen."""
        b = self.params.blob
        if xy_m is None:
            # kept through a gap (the lifter hidden behind a walker): _home lets it lapse
            self._home_in_since = None
        elif self._home_xy is None:
            self._home_xy, self._home_in_since, self._home_settled_t = xy_m, t_s, None
        else:
            hx, hy = self._home_xy
            if math.hypot(xy_m[0] - hx, xy_m[1] - hy) <= b.home_radius_m:
                if self._home_in_since is None:
                    self._home_in_since = t_s
                if t_s - self._home_in_since >= b.home_settle_s:
                    self._home_settled_t = t_s
            else:
                self._home_in_since = None
            a = min(max(t_s - self._home_t_s, 0.0) / b.home_tau_s, 1.0)
            self._home_xy = (hx + a * (xy_m[0] - hx), hy + a * (xy_m[1] - hy))
        self._home_t_s = t_s

    def _home(self, t_s: float) -> tuple[float, float] | None:
        """The home choose_person ranks first: only a settled one (a lifter walking in has
        none), and for home_hold_s after the footprint last stood settled there (a walker
        merged into the lifter's component drags the footprint off it for a few frames)."""
        if (self._home_xy is None or self._home_settled_t is None
                or t_s - self._home_settled_t > self.params.blob.home_hold_s):
            return None
        return self._home_xy

    def _allocate(self, frame: DepthFrame) -> None:
        H, W = frame.depth_raw_u16.shape
        f = self.decimation
        h, w = H // f, W // f
        if h < 1 or w < 1:
            raise ValueError(f"depth image {W}x{H} is smaller than the decimation {f}")
        if frame.intrinsics.width != W or frame.intrinsics.height != H:
            raise ValueError(f"intrinsics {frame.intrinsics.width}x{frame.intrinsics.height} "
                             f"do not match the depth image {W}x{H}")
        self._shape_in = (H, W)
        self._intr_in = frame.intrinsics
        self.intrinsics = frame.intrinsics.scaled(f)
        i = self.intrinsics
        self._intrinsics_array = np.array([i.fx, i.fy, i.ppx, i.ppy], np.float64)
        self.shape = (h, w)
        self._points_cam = np.zeros((h, w, 3), np.float32)
        self._points_floor = np.zeros((h, w, 3), np.float32)
        self._floor_pts = np.zeros((h * w, 3), np.float32)
        self._candidate = np.zeros((h, w), bool)
        self._labels = np.zeros((h, w), np.int32)
        self._parent = np.zeros(h * w, np.int32)
        self._stats = np.zeros((64, 9), np.float64)
        self._exclude = np.zeros((h, w), bool)
        self.background = BackgroundModel((h, w), self.params.background)
        self._network = sorting_network(f * f)
        self._min_valid = max(1, math.ceil(self.params.min_valid_frac * f * f))
        self._prev_xy: tuple[float, float] | None = None
        # where the lifter has stood of late (BlobParams.home_tau_s), since when the footprint
        # has stayed near it, when it last counted as settled, and when it was updated
        self._home_xy: tuple[float, float] | None = None
        self._home_in_since: float | None = None
        self._home_settled_t: float | None = None
        self._home_t_s = 0.0
        self._prev_present = False
        self._kept_ref: float | None = None   # the lifter's usual cloud size (points)
        self._last = None   # person.LastLifter: the last frame's lifter footprint and points
        self._apply_calibration()

    def use_calibration(self, floor: FloorPlane, background_depth_m: np.ndarray | None,
                        background_count: np.ndarray | None, intrinsics: Intrinsics | None) -> None:
        """Start from a stored calibration: its floor (then refined by the floor track) and,
        when the stream's intrinsics and decimation match, its learned empty scene."""
        from station.segment.floor import plane_array

        self._calibration = (plane_array(floor), background_depth_m, background_count, intrinsics)
        if self._shape_in is not None:
            self._apply_calibration()

    def _apply_calibration(self) -> None:
        if self._calibration is None:
            return
        plane, bg_depth, bg_count, intr = self._calibration
        self.floor_tracker.reset()
        self.floor_tracker.plane = np.array(plane, np.float64)
        self._exclude[:] = False
        self._prev_xy, self._prev_present = None, False
        self._forget_home()
        self.background.reset()
        if (bg_depth is not None and bg_count is not None and intr == self._intr_in
                and bg_depth.shape == self.shape):
            self.background.depth_m[:] = bg_depth
            self.background.count[:] = bg_count

    def _prepare(self, frame: DepthFrame) -> np.ndarray:
        if (self._shape_in != frame.depth_raw_u16.shape or self._intr_in != frame.intrinsics):
            self._allocate(frame)
        raw = frame.depth_raw_u16
        if raw.dtype != np.uint16:
            raise ValueError(f"depth_raw_u16 must be uint16, got {raw.dtype}")
        return np.ascontiguousarray(raw)

    def _decimate(self, raw: np.ndarray, units: float) -> np.ndarray:
        depth = np.empty(self.shape, np.float32)  # new each frame: the cloud keeps it
        i = self.intrinsics
        if self.params.decimation_mode == "median" and self.decimation == 4:
            # the station's path: decimation and back-projection in one pass over the rows
            K.decimate_median4_valid(raw, float(units), self._min_valid, self.params.jump_min_m,
                                     depth, self._intrinsics_array, self._points_cam)
            return depth
        if self.params.decimation_mode == "median":
            K.decimate_median_valid(raw, float(units), self.decimation, self._min_valid,
                                    self.params.jump_min_m, self._network, depth)
        else:
            K.decimate_min_valid(raw, float(units), self.decimation, self._min_valid, depth)
        K.backproject(depth, i.fx, i.fy, i.ppx, i.ppy, self._points_cam)
        return depth

    def _update_floor(self, person_in_view: bool) -> None:
        fp = self.params.floor
        h = self.shape[0]
        n = K.select_floor_points(self._points_cam, int(fp.row_start_frac * h), fp.z_max_m,
                                  self._exclude, self._floor_pts)
        self.floor_tracker.update(self._floor_pts[:n], person_in_view)

    # ---------------------------------------------------------------- API

    def learn_background(self, frames_: list[DepthFrame] | tuple[DepthFrame, ...],
                         reset: bool = True) -> float:
        """Calibration: learn the empty scene (and the floor) from frames with nobody in view.

        Returns the fraction of decimated pixels with a learned background.
        """
        first = True
        for frame in frames_:
            raw = self._prepare(frame)
            if first and reset:
                self.background.reset()
                self._exclude[:] = False
            first = False
            depth = self._decimate(raw, frame.depth_units_m)
            self._update_floor(person_in_view=False)
            self.background.update(depth)
        return 0.0 if self.background is None else self.background.learned_fraction

    def process(self, frame: DepthFrame) -> SegmentResult:
        p = self.params
        tm: dict[str, float] = {}
        c0 = time.thread_time()
        t0 = t = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal t
            now = time.perf_counter()
            tm[name] = (now - t) * 1e3
            t = now

        raw = self._prepare(frame)
        depth = self._decimate(raw, frame.depth_units_m)
        lap("decimate")

        self._update_floor(self._prev_present)
        plane = self.floor_tracker.plane
        floor = self.floor_tracker.floor
        quality = self.floor_tracker.quality
        lap("floor")
        if plane is None:
            self._prev_present, self._prev_xy = False, None
            self._forget_home()
            tm["total"] = (time.perf_counter() - t0) * 1e3
            tm["cpu"] = (time.thread_time() - c0) * 1e3
            return SegmentResult(None, None, quality, False, None, False, None, None, None, tm)

        T_floor_cam = frames.T_floor_cam_from_plane(floor)
        bg = self.background
        K.classify_pixels(self._points_cam, np.ascontiguousarray(T_floor_cam[:3, :3]),
                          np.ascontiguousarray(T_floor_cam[:3, 3]), self.zone.box_with_margin(),
                          p.floor_clear0_m, p.floor_clear2_per_m, self.zone.max_height_m,
                          bg.depth_m, bg.count, bg.params.min_count, bg.params.fg_thr0_m,
                          bg.params.fg_thr2_per_m, self._points_floor, self._candidate)
        lap("classify")

        n_labels = K.connected_components(self._candidate, depth, p.jump_min_m, p.jump_per_m,
                                          p.connectivity8, self._parent, self._labels)
        if n_labels > len(self._stats):
            self._stats = np.zeros((max(n_labels, 2 * len(self._stats)), 9), np.float64)
        stats = self._stats[:n_labels]
        K.blob_stats(self._labels, n_labels, self._points_floor, stats)
        lap("components")

        choice = choose_person(stats, self.zone, p.blob, self._min_points,
                               self._prev_xy if self._prev_present else None,
                               self._home(frame.timestamp_s))
        present = choice.index >= 0
        exclude = choice.person_like
        if present:
            gap = np.empty((n_labels, n_labels), np.float32)
            last = self._last if self._prev_present else None
            active, rejoin = merge_candidates(stats, choice.index, p.blob, self._min_points, last)
            i = self.intrinsics
            K.component_gaps(self._labels, self._points_cam, n_labels, active, i.fx, i.fy,
                             p.blob.merge_gap_m, self._merge_radius_px, gap)
            keep = merge_person(stats, gap, choice.index, p.blob, self._min_points, active,
                                None, rejoin, last)
            if hidden_candidates(stats, keep, active, p.blob, self._min_points).any():
                # what hides what matters only to a component the gaps left out (the rule
                # only adds): most frames skip it
                occludes = np.empty((n_labels, n_labels), bool)
                K.occlusion_pairs(self._labels, depth, active, p.jump_min_m, p.jump_per_m,
                                  self._occlusion_radius_px, occludes)
                keep = merge_person(stats, gap, choice.index, p.blob, self._min_points, active,
                                    occludes, rejoin, last)
            choice = with_members(choice, stats, keep, p.blob)
            lifter = last_lifter(stats, keep)
            # the lifter's parts the merge left out stay out of background learning too
            exclude = exclude | keep | near_footprint(stats, lifter.box_m,
                                                      p.blob.merge_footprint_margin_m,
                                                      p.blob.floor_object_bottom_m,
                                                      p.blob.part_footprint_m)
        lap("merge")

        cloud = None
        if present:
            mask = np.empty(self.shape, bool)
            n = int(stats[keep, COUNT].sum())   # the kept components' pixels (exact sums of 1.0)
            pts = np.empty((n, 3), np.float32)
            uv = np.empty((n, 2), np.int32)
            K.gather_labels(self._labels, keep, self._points_cam, mask, pts, uv)
            cloud = PersonCloud(points_cam_m=pts, pixels_uv=uv, mask=mask, depth_m=depth,
                                intrinsics=self.intrinsics, floor=floor,
                                timestamp_s=frame.timestamp_s, T_floor_cam=T_floor_cam)
        # everything person-sized and the lifter's parts are kept out of the floor refit and
        # background learning
        K.dilate_labels(self._labels, exclude, bg.params.exclude_dilate_px, self._exclude)
        lap("select")

        # before this frame's holes are learned: what it read of the scene it knew
        blind = bg.blind_share(depth)
        occluded = self.occlusion.update(depth, cloud, frame.timestamp_s)
        if p.auto_learn_background:
            n_kept = 0 if cloud is None else len(cloud.points_cam_m)
            if self._kept_ref is not None and n_kept < p.partial_fraction * self._kept_ref:
                # the lifter there only in part (or not at all): where they just were is
                # theirs, not the scene's (kept out of learning and, as every excluded pixel,
                # out of the next frame's floor refit)
                self._exclude |= bg.recent_lifter(frame.timestamp_s, p.partial_hold_s)
            elif n_kept > 0:
                self._kept_ref = (float(n_kept) if self._kept_ref is None
                                  else self._kept_ref + p.kept_rate * (n_kept - self._kept_ref))
            if cloud is not None:
                bg.see_lifter(cloud.mask, depth, frame.timestamp_s)
            bg.update(depth, self._exclude, 1.0 if not present else bg.params.person_rate_scale,
                      hold_blank=blind is not None and blind > VIEW_BLOCKED_MIN_SHARE,
                      t_s=frame.timestamp_s)
        lap("background")

        self._prev_present = present
        self._prev_xy = choice.centroid_xy_m
        self._update_home(choice.centroid_xy_m if present else None, frame.timestamp_s)
        self._last = lifter if present else None
        height_m, pitch_deg = frames.camera_height_pitch(floor)
        tm["total"] = (time.perf_counter() - t0) * 1e3
        tm["cpu"] = (time.thread_time() - c0) * 1e3
        return SegmentResult(cloud=cloud, floor=floor, floor_quality=quality,
                             person_present=present,
                             person_height_m=choice.top_m if present else None,
                             person_upright=choice.upright, person_centroid_floor_m=choice.centroid_xy_m,
                             camera_height_m=height_m, camera_pitch_deg=pitch_deg, timings_ms=tm,
                             blind_share=blind, occluded_share=occluded)
