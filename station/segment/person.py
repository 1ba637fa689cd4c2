"""The lifting zone and the choice of the lifter's blob among the foreground components.

Floor frame (station.frames): x = camera right, y = away from the camera along the floor
(the mirror/camera at y = 0), z = height above the floor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.segment import _kernels_blobs as KB
from station.segment._kernels_blobs import (  # the blob_stats columns
    COUNT,
    MAX_H,
    MAX_X,
    MAX_Y,
    MIN_H,
    MIN_X,
    MIN_Y,
    SUM_X,
    SUM_Y,
)


@dataclass(frozen=True)
class LiftingZone:
    """A rectangle on the floor where the lifter stands (floor frame, metres).

    The mirror's centre line is x = centre_x_m. Points further than margin_m outside the
    footprint (room for a bar, plates or arms reaching forward), lower than the floor
    clearance or higher than max_height_m are never the person.
    """

    centre_x_m: float
    centre_y_m: float
    width_m: float
    depth_m: float
    max_height_m: float = 2.3
    margin_m: float = 0.4

    def __post_init__(self) -> None:
        for name in ("width_m", "depth_m", "max_height_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"LiftingZone.{name} must be > 0, got {getattr(self, name)}")
        if self.margin_m < 0:
            raise ValueError(f"LiftingZone.margin_m must be >= 0, got {self.margin_m}")

    @classmethod
    def from_config(cls, section) -> "LiftingZone":
        """The zone of the station config's [zone] section (station.config.ZoneSection):
        centre_lateral_m across, centre_distance_m out along the floor, height_m the top."""
        return cls(centre_x_m=section.centre_lateral_m, centre_y_m=section.centre_distance_m,
                   width_m=section.width_m, depth_m=section.depth_m, max_height_m=section.height_m)

    @property
    def x_range_m(self) -> tuple[float, float]:
        return self.centre_x_m - self.width_m / 2, self.centre_x_m + self.width_m / 2

    @property
    def y_range_m(self) -> tuple[float, float]:
        return self.centre_y_m - self.depth_m / 2, self.centre_y_m + self.depth_m / 2

    def box_with_margin(self) -> np.ndarray:
        """(x_min, x_max, y_min, y_max) float64 including the margin, for the kernels."""
        (x0, x1), (y0, y1), m = self.x_range_m, self.y_range_m, self.margin_m
        return np.array([x0 - m, x1 + m, y0 - m, y1 + m], np.float64)

    def contains(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        (x0, x1), (y0, y1) = self.x_range_m, self.y_range_m
        return (x_m >= x0) & (x_m <= x1) & (y_m >= y0) & (y_m <= y1)


@dataclass(frozen=True)
class BlobParams:
    """Which components can be a person, and how the lifter's is chosen."""

    min_points: int = 120            # at decimation 4 (scaled by (4/decimation)²)
    min_top_m: float = 0.8           # top of the blob at least this high above the floor
    y_weight: float = 0.5            # score = |x - centre_x| + y_weight * |y - centre_y|
    track_radius_m: float = 0.35     # a blob this close to the last lifter's footprint wins
    # ...and before it, one this close to the lifter's home: the chosen footprint averaged
    # over home_tau_s (Segmenter), once the footprint has stayed this close to it for
    # home_settle_s, and until home_hold_s after it last did. A walker who brushes past 0.6 m
    # in front of a lifter at the bottom of a hinge joins their component for a few frames
    # and drags the last footprint to within track_radius_m of where they walk on; the lifter
    # stays near home (a hinge moves the footprint's centroid ~0.2 m). A lifter walking in
    # has no home yet (a plate they carry, near where they entered, took the track from them)
    home_radius_m: float = 0.45
    home_tau_s: float = 2.0
    home_settle_s: float = 1.0
    home_hold_s: float = 1.0
    upright_min_top_m: float = 1.2   # "upright": top this high and taller than wide
    # the last lifter's own legs: a torso hinged low (a good morning) splits off them into
    # pieces each too small to be a person, and a leg alone reaches only ~0.5 x stature and
    # may split from the other (a third of min_points is a leg at 3 m)
    tracked_min_top_m: float = 0.5
    tracked_min_fraction: float = 0.33
    # Other components of the same person (head nearer than the chest, shanks cut off by a
    # bar or a hinged torso) join the chosen blob when their points come this close (3D):
    merge_gap_m: float = 0.2
    merge_reach_m: float = 0.8       # ...and their footprint centroid is this close to the
                                     # chosen blob's (floor frame, horizontal)
    merge_max_radius_px: int = 12    # search window cap at decimation 4 (scaled by 4/decimation)
    # a low object standing on the floor (bottom <= floor_object_bottom_m, top <
    # floor_object_top_m: a plate, a bell, a lower leg) joins only if this close, or if its
    # centroid lies inside the footprint of the joined body parts that are not floor objects,
    # expanded by merge_footprint_margin_m (lower legs under a hinged torso):
    merge_floor_gap_m: float = 0.06
    merge_footprint_margin_m: float = 0.1
    floor_object_bottom_m: float = 0.15
    floor_object_top_m: float = 0.6
    # never joined: a separate standing person (person-sized, top >= upright_min_top_m,
    # bottom <= this)
    standing_max_bottom_m: float = 0.3
    # a component hidden in part behind the lifter's (or hiding part of it) joins whatever its
    # gap (merge_person) only with this fraction of min_points: a body part the fit needs (a
    # leg below a kettlebell is ~90 points at 2.5 m), not a fragment of a few pixels at the
    # lifter's edge, which is as likely the wall's or a walker's behind them
    hidden_min_fraction: float = 0.2
    # a floor object wholly below a body whose legs are hidden joins whatever its gap with its
    # centroid under the body's footprint, or within merge_footprint_margin_m of it if no
    # wider than this each way: a lower leg and its foot (0.22-0.28 m long) seen below a plate,
    # which a walker's stride puts ahead of or behind the trunk; a 45 cm plate put down beside
    # the feet is wider (merge_person)
    hidden_foot_max_m: float = 0.3
    # ...except the lifter cut in two by a depth jump (left/right at a barbell: a half is a
    # leg with a plate, person-sized and on the floor): a standing shape whose footprint
    # centroid lay inside the last frame's lifter footprint joins within rejoin_gap_m (3D) of
    # the joined components if the joined points, its own included, stay within
    # rejoin_max_growth x the last lifter's (a second person beside them doubles them). 0.15:
    # a lifter turned from the camera splits near side from far side, the far leg with the far
    # hip and arm, 0.10-0.15 m apart at their closest (mesh_P_faults1: 0.105; at 0.08 the far
    # leg was left out and the fit's crossed legs stayed for 10 s). A walker behind the lifter
    # stays out: their footprint centroid lies behind the lifter's footprint
    rejoin_gap_m: float = 0.15
    rejoin_max_growth: float = 1.3
    # a component lower than another standing person (not the lifter's, not a half of them to
    # rejoin) with its footprint centroid inside theirs expanded by this is theirs, never the
    # lifter's (merge_candidates): a walker brushing past a bent lifter, their legs cut off
    # their body by a depth jump, came within merge_gap_m of the lifter's hanging arms
    other_person_margin_m: float = 0.05
    # a component on the floor near the lifter's footprint wider than [0] both across and in
    # depth and longer than [1] one way is equipment, not a part of the lifter, and is learned
    # into the background (near_footprint)
    part_footprint_m: tuple[float, float] = (0.4, 0.7)


@dataclass(frozen=True)
class LastLifter:
    """The last frame's lifter (merge_person's components): footprint (x0, x1, y0, y1) and
    number of points."""

    box_m: np.ndarray
    count: float


@dataclass(frozen=True)
class BlobChoice:
    index: int                      # chosen component, -1 if none
    person_like: np.ndarray         # (n_labels,) bool: big and tall enough to be a person
    centroid_xy_m: tuple[float, float] | None
    top_m: float                    # top of the chosen blob above the floor (nan if none)
    upright: bool


def merge_candidates(stats: np.ndarray, index: int, params: BlobParams, min_points: int,
                     last: LastLifter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(allowed, rejoin), (n,) bool each. allowed: components that may join the chosen blob
    `index` (merge_person): non-empty, footprint centroid within merge_reach_m of the chosen
    blob's, not a standing person, not under another standing person (lower than them, its
    footprint centroid inside theirs: a walker's legs cut off their body). rejoin: the
    standing persons in reach whose footprint centroid lies inside the last lifter's
    footprint (none without one). The rule runs in numba (station.segment._kernels_blobs;
    its NumPy twin in reference)."""
    ok = np.empty(len(stats), bool)
    rejoin = np.empty(len(stats), bool)
    box = np.full(4, np.nan) if last is None else np.asarray(last.box_m, np.float64)
    KB.merge_candidates(np.ascontiguousarray(stats, np.float64), int(index),
                        float(params.merge_reach_m), float(min_points),
                        float(params.upright_min_top_m), float(params.standing_max_bottom_m), box,
                        float(params.other_person_margin_m), ok, rejoin)
    return ok, rejoin


def last_lifter(stats: np.ndarray, keep: np.ndarray) -> LastLifter | None:
    """The footprint and points of the components kept (None: none)."""
    if not keep.any():
        return None
    s = stats[keep]
    box = np.array([s[:, MIN_X].min(), s[:, MAX_X].max(), s[:, MIN_Y].min(), s[:, MAX_Y].max()])
    return LastLifter(box, float(s[:, COUNT].sum()))


def near_footprint(stats: np.ndarray, box_m: np.ndarray, margin_m: float, floor_m: float,
                   part_footprint_m: tuple[float, float] = (np.inf, np.inf)) -> np.ndarray:
    """(n,) bool: the components whose footprint box overlaps `box_m` (x0, x1, y0, y1, floor
    frame) expanded by margin_m and whose top reaches above floor_m. The lifter's own parts
    the merge left out this frame (a shank cut off by the bar, a hand) lie there; learned into
    the background at the person rate they fade from the foreground frame by frame, and the
    fit loses them for good. Floor-level scraps (top below floor_m) are left to learning:
    there the floor's own noise shows through. So is equipment standing on the floor (bottom
    below floor_m) with a footprint no part of a person makes: wider than part_footprint_m[0]
    both ways and longer than part_footprint_m[1] one way (a plyo box is seen 0.5 x 0.9 m; a
    person's legs, apart and turned or in a stride, are narrower one way or shorter the
    other). The footprint, spanning the bar's plates, reaches such a box: kept out of
    learning, a box that a fattened plate then joined to the lifter made one component too
    wide to be the lifter, and the cloud was the head alone. (A plate in the lifter's hands,
    off the floor, reads as wide at 3 m with the sensor's noise: it stays out.)"""
    x0, x1, y0, y1 = (float(v) for v in box_m)
    both, one = part_footprint_m
    sx, sy = stats[:, MAX_X] - stats[:, MIN_X], stats[:, MAX_Y] - stats[:, MIN_Y]
    equipment = ((np.minimum(sx, sy) > both) & (np.maximum(sx, sy) > one)
                 & (stats[:, MIN_H] <= floor_m))
    return ((stats[:, COUNT] > 0) & (stats[:, MAX_H] > floor_m) & ~equipment
            & (stats[:, MIN_X] <= x1 + margin_m) & (stats[:, MAX_X] >= x0 - margin_m)
            & (stats[:, MIN_Y] <= y1 + margin_m) & (stats[:, MAX_Y] >= y0 - margin_m))


def hidden_candidates(stats: np.ndarray, keep: np.ndarray, allowed: np.ndarray,
                      params: BlobParams, min_points: int) -> np.ndarray:
    """(n,) bool: the components merge_person could still join through what hides them
    (allowed, not joined, not a floor object, big enough). None: the occlusions cannot
    change its result. In numba (station.segment._kernels_blobs; twin in reference)."""
    out = np.empty(len(stats), bool)
    KB.hidden_candidates(np.ascontiguousarray(stats, np.float64), np.ascontiguousarray(keep, np.bool_),
                         np.ascontiguousarray(allowed, np.bool_), float(params.floor_object_bottom_m),
                         float(params.floor_object_top_m), float(params.hidden_min_fraction * min_points),
                         out)
    return out


def merge_person(stats: np.ndarray, gap_m: np.ndarray, index: int, params: BlobParams,
                 min_points: int, allowed: np.ndarray | None = None,
                 occludes: np.ndarray | None = None, rejoin: np.ndarray | None = None,
                 last: LastLifter | None = None) -> np.ndarray:
    """The components of the lifter: the chosen blob plus every component joined to it.

    gap_m: (n, n) smallest 3D distances between components (kernels.component_gaps, inf
    beyond its search radius). Starting from component `index`, a component joins when it
    comes within merge_gap_m of one already joined (so a shank can join through the bar that
    touches it) and its footprint centroid lies within merge_reach_m of the chosen blob's
    (the rack or the plyo box beside the zone, and plates at the ends of a bar, stay out).
    A low object standing on the floor joins only within merge_floor_gap_m, unless its
    footprint centroid lies inside the footprint (bounding box, expanded by
    merge_footprint_margin_m) of the joined components that are not floor objects: the lower
    legs under a hinged torso join, a plate put down beside the feet stays out; one wholly
    below the joined body and under its footprint joins whatever its gap, and so does one
    no wider than hidden_foot_max_m under the footprint expanded by the margin: the shanks of
    a walker whose knees a plate standing on the floor hides (their stride puts the feet
    ahead of and behind the trunk). A separate
    standing person never joins. A component of hidden_min_fraction x min_points points or
    more that is not a floor object, whose bounding box
    overlaps that footprint, and that hides part of a joined component and reaches
    upright_min_top_m (the upper body, a bell in front of the legs), or stands on the
    floor reaching floor_object_top_m (a leg) and is partly hidden by a joined component or
    by one that also hides a joined one (occludes[i, j], kernels.occlusion_pairs), joins
    whatever its gap (a plate at the far end of a bar, behind the legs, stays out): the legs below a kettlebell swung
    between them, cut off from the torso in the image, are the lifter's; the body between
    is hidden, not absent. A standing person in rejoin (the last lifter's footprint) joins
    within rejoin_gap_m while the joined points stay within rejoin_max_growth x last.count:
    the lifter split left/right by a depth jump at a barbell. Returns (n,)
    bool. allowed, rejoin: merge_candidates' result when the caller has it (given
    `last`); occludes: None = nothing hides anything. The rule runs in numba
    (station.segment._kernels_blobs).
    """
    n = len(stats)
    keep = np.empty(n, bool)
    if allowed is None:   # (no blob chosen: the kernel joins nothing and reads no candidate)
        allowed, rejoin = (merge_candidates(stats, index, params, min_points, last) if index >= 0
                           else (np.zeros(n, bool), np.zeros(n, bool)))
    if rejoin is None or last is None:
        rejoin, max_count = np.zeros(n, bool), 0.0
    else:
        max_count = params.rejoin_max_growth * last.count
    if occludes is None:
        occludes = np.zeros((len(stats), len(stats)), bool)
    KB.merge_person(np.ascontiguousarray(stats, np.float64), np.ascontiguousarray(gap_m, np.float32),
                    np.ascontiguousarray(occludes, np.bool_), int(index), np.ascontiguousarray(allowed, np.bool_),
                    np.float32(params.merge_gap_m), np.float32(params.merge_floor_gap_m),
                    float(params.merge_footprint_margin_m), float(params.floor_object_bottom_m),
                    float(params.floor_object_top_m), float(params.hidden_min_fraction * min_points),
                    float(params.upright_min_top_m), np.ascontiguousarray(rejoin, np.bool_),
                    np.float32(params.rejoin_gap_m), float(max_count),
                    float(params.hidden_foot_max_m), keep)
    return keep


def choose_person(stats: np.ndarray, zone: LiftingZone, params: BlobParams, min_points: int,
                  previous_xy_m: tuple[float, float] | None = None,
                  home_xy_m: tuple[float, float] | None = None) -> BlobChoice:
    """Pick the lifter's blob from blob_stats rows.

    Candidates are person-like blobs whose footprint centroid lies inside the zone (no
    margin). Near the previous lifter's footprint (track_radius_m) the biggest candidate wins,
    so a passer-by nearer the centre line does not steal the track for a frame, nor does a
    leg the depth jumps cut off the lifter's body (a toe touch reaching across: the body, a
    standing-person shape, could then not join it and the cloud was the leg alone); the
    lifter's legs alone (the torso hinged so low that it split off them) stay a candidate
    there (tracked_min_top_m). Elsewhere the lowest |x - centre_x| + y_weight |y - centre_y|
    wins. home_xy_m: where the lifter has stood of late (BlobParams.home_radius_m): a
    candidate near it ranks first. The rule runs in
    numba (station.segment._kernels_blobs; its NumPy twin in station.segment.reference).
    """
    (x0, x1), (y0, y1) = zone.x_range_m, zone.y_range_m
    like = np.empty(len(stats), bool)
    prev = previous_xy_m is not None
    px, py = previous_xy_m if prev else (0.0, 0.0)
    hx, hy = home_xy_m if home_xy_m is not None else (0.0, 0.0)
    k = KB.choose_person(np.ascontiguousarray(stats, np.float64), np.array([x0, x1, y0, y1]),
                         float(zone.centre_x_m), float(zone.centre_y_m), float(min_points),
                         float(params.min_top_m), float(params.y_weight), prev, float(px), float(py),
                         float(params.track_radius_m),
                         float(params.tracked_min_fraction), float(params.tracked_min_top_m),
                         home_xy_m is not None, float(hx), float(hy), float(params.home_radius_m), like)
    if k < 0:
        return BlobChoice(-1, like, None, math.nan, False)
    cnt = max(stats[k, COUNT], 1.0)
    return _choice(stats, k, like, (float(stats[k, SUM_X] / cnt), float(stats[k, SUM_Y] / cnt)),
                   float(stats[k, MAX_H]), params)


def _choice(stats: np.ndarray, k: int, like: np.ndarray, centroid_xy_m: tuple[float, float],
            top: float, params: BlobParams) -> BlobChoice:
    width = max(stats[k, MAX_X] - stats[k, MIN_X], stats[k, MAX_Y] - stats[k, MIN_Y])
    upright = top >= params.upright_min_top_m and (top - stats[k, MIN_H]) > width
    return BlobChoice(k, like, centroid_xy_m, top, bool(upright))


def with_members(choice: BlobChoice, stats: np.ndarray, members: np.ndarray,
                 params: BlobParams) -> BlobChoice:
    """The choice with the top of all its member components (merge_person): a head split
    off the chest still counts for the lifter's height."""
    if choice.index < 0 or not members.any():
        return choice
    top = max(choice.top_m, float(stats[members, MAX_H].max()))
    return _choice(stats, choice.index, choice.person_like, choice.centroid_xy_m, top, params)
