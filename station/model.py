"""The types that flow between stages.

Every stage takes and returns only these. Arrays carry their frame and unit in the field
name; frames are defined in :mod:`station.frames`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The fifteen joints of the analysis contract (docs/analysis-output.md), in a fixed order
# used by every array of joints in the package. `_l` is the person's own left.
JOINTS: tuple[str, ...] = (
    "head", "neck",
    "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r",
    "pelvis", "hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r",
)

# Two spine points beyond the contract's fifteen: the fitter has lumbar and thoracic joints,
# and spine_flexion (thorax relative to pelvis) is measured between them.
#   spine_low: top of the sacrum (L5/S1), rigid with the pelvis
#   spine_mid: the thoracolumbar junction (T12/L1), where the thorax begins
SPINE_POINTS: tuple[str, ...] = ("spine_low", "spine_mid")
SKELETON_POINTS: tuple[str, ...] = JOINTS + SPINE_POINTS
SKELETON_INDEX: dict[str, int] = {name: i for i, name in enumerate(SKELETON_POINTS)}

ANGLES: tuple[str, ...] = (
    "trunk_inclination",
    "hip_flexion_l", "hip_flexion_r",
    "knee_flexion_l", "knee_flexion_r",
    "spine_flexion",
    "pelvis_lateral_shift",
)

# The muscle groups an exercise profile's [muscles] table may name, and the keys of
# CoachState.muscles; the overlay's body figure draws a subset (station.overlay.figures).
MUSCLES: tuple[str, ...] = ("glutes", "hamstrings", "quadriceps", "adductors", "erector_spinae",
                            "abdominals", "obliques", "lats", "trapezius", "forearms")


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of a depth stream (pixels), as RealSense reports them."""

    width: int
    height: int
    fx: float
    fy: float
    ppx: float
    ppy: float
    model: str = "brown_conrady"
    coeffs: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)

    def scaled(self, factor: int) -> "Intrinsics":
        """Intrinsics of the image decimated by an integer factor (pixel centres kept)."""
        return Intrinsics(
            width=self.width // factor, height=self.height // factor,
            fx=self.fx / factor, fy=self.fy / factor,
            ppx=(self.ppx + 0.5) / factor - 0.5, ppy=(self.ppy + 0.5) / factor - 0.5,
            model=self.model, coeffs=self.coeffs,
        )


@dataclass(frozen=True)
class DepthFrame:
    """One depth image as a source delivers it.

    depth_raw_u16: (height, width) uint16 in depth units; 0 = no data.
    depth_units_m: metres per depth unit (RealSense D4xx default 0.001).
    timestamp_s: the source's timestamp in seconds (device clock for a camera, recorded
        clock for a recording, scripted time for the synthetic athlete).
    """

    depth_raw_u16: np.ndarray
    depth_units_m: float
    intrinsics: Intrinsics
    timestamp_s: float
    frame_number: int = 0

    def depth_m(self) -> np.ndarray:
        """Depth in metres as float32; 0 where there is no data."""
        return self.depth_raw_u16.astype(np.float32) * np.float32(self.depth_units_m)


@dataclass(frozen=True)
class FloorPlane:
    """The floor in the camera frame: normal · p + d = 0, normal a unit vector pointing up."""

    normal_cam: np.ndarray  # (3,) float64
    d_m: float

    def height_m(self, points_cam_m: np.ndarray) -> np.ndarray:
        """Signed height of points above the floor (metres)."""
        return points_cam_m @ self.normal_cam + self.d_m


@dataclass
class Skeleton:
    """A fitted (or true) skeleton in the camera frame.

    points_cam_m: (len(SKELETON_POINTS), 3) float64, rows in SKELETON_POINTS order.
    confidence: (len(SKELETON_POINTS),) in 0..1.
    """

    points_cam_m: np.ndarray
    confidence: np.ndarray = field(default_factory=lambda: np.ones(len(SKELETON_POINTS)))

    def joint(self, name: str) -> np.ndarray:
        return self.points_cam_m[SKELETON_INDEX[name]]


@dataclass(frozen=True)
class PersonCloud:
    """The lifter's points as the segmenter hands them to the fitter.

    points_cam_m: (n, 3) float32, camera frame, metres (from the decimated depth image).
    pixels_uv: (n, 2) int32 pixel coordinates of each point in the decimated image.
    mask: (h, w) bool, the person's pixels in the decimated image (for the silhouette term).
    depth_m: (h, w) float32, the whole decimated depth image (0 = no data), for free space.
    intrinsics: of the decimated image.
    floor: the floor plane the segmenter used.
    timestamp_s: of the source frame.
    T_floor_cam: (4, 4) float64, the floor frame of `floor` (station.frames), computed once
        per frame by the segmenter (from `floor` when not given).
    points_floor_m: (n, 3) float64, the same points in the floor frame, where the fitter
        works: transformed once, here, from points_cam_m (float64, as the fitter has always
        had them: the segmenter's float32 per-pixel floor coordinates perturb the fit).
    """

    points_cam_m: np.ndarray
    pixels_uv: np.ndarray
    mask: np.ndarray
    depth_m: np.ndarray
    intrinsics: Intrinsics
    floor: FloorPlane
    timestamp_s: float
    T_floor_cam: np.ndarray | None = None
    points_floor_m: np.ndarray | None = None

    def __post_init__(self) -> None:
        from station import frames   # (frames imports this module)

        if self.T_floor_cam is None:
            object.__setattr__(self, "T_floor_cam", frames.T_floor_cam_from_plane(self.floor))
        if self.points_floor_m is None:
            pts = frames.apply(self.T_floor_cam, np.asarray(self.points_cam_m, np.float64))
            object.__setattr__(self, "points_floor_m", pts)


# --- what the form evaluator tells the overlay ---------------------------------------------

PHASES: tuple[str, ...] = ("standing", "lowering", "bottom", "rising", "lockout")


VERDICTS: tuple[str, ...] = ("clean", "fault", "not judged")


@dataclass(frozen=True)
class RepVerdict:
    """One judged rep (the contract's REP): times in seconds since the stream's first frame.

    not_judged: the fault labels the coach could not judge on this rep because the angles
    their rules read were not confident enough (station.form.confidence_gate); a rep with no fault
    found and any rule not judged is "not judged", never "clean".
    """

    start_t: float
    bottom_t: float
    end_t: float
    pattern: str                      # "hinge" or "squat"
    faults: tuple[str, ...]
    metrics: dict[str, float]
    not_judged: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        """"fault" (a fault was seen), "clean" (every rule judged, none broken) or
        "not judged" (no fault seen, but some rule could not be judged)."""
        if self.faults:
            return "fault"
        return "not judged" if self.not_judged else "clean"

    def as_contract(self) -> dict:
        return {"start_t": self.start_t, "bottom_t": self.bottom_t, "end_t": self.end_t,
                "pattern": self.pattern, "faults": list(self.faults), "metrics": dict(self.metrics),
                "verdict": self.verdict, "not_judged": list(self.not_judged)}


@dataclass(frozen=True)
class Cue:
    """One thing said to the lifter. kind: "fault" (a correction of the rep in progress),
    "reminder" (about the last rep, for the next), "praise", or "info"."""

    key: str                          # stable id, e.g. "push_hips_back"
    text: str                         # in the configured language
    kind: str
    rule: str | None                  # the fault label it answers, if any
    t_s: float                        # when it was first shown


@dataclass(frozen=True)
class SetSummary:
    reps: int
    clean_reps: int
    most_frequent_fault: str | None
    fault_counts: dict[str, int]
    mean_eccentric_s: float | None
    mean_concentric_s: float | None
    pattern: str                      # the set's movement: "hinge" or "squat"
    start_t: float
    end_t: float
    not_judged_reps: int = 0          # reps the coach could not judge (never counted clean)
    # of those, the reps where only the back went unjudged (station.form.confidence_gate.
    # back_only): the rest of the rep was judged and seen clean. The screen says "back not
    # judged" for them, not that it could not see the lifter
    back_only_not_judged_reps: int = 0


@dataclass(frozen=True)
class CoachState:
    """Everything the overlay needs about the set, as of one frame (immutable snapshot).

    screen: "idle" (nobody), "positioning" (someone, not yet ready), "live" (in a set or
        ready to start), "summary" (a set just ended).
    hinge_ratio: 0..1, hip flexion / (hip + knee flexion): 1 = pure hip hinge, low = squatting.
    depth_fraction: 0..1, current hip flexion against this lifter's own range in this set.
    muscles: activation 0..1 per muscle group, keyed by the profile's [muscles] names
        ("glutes", "hamstrings", "erector_spinae", "abdominals", "lats"), lit by phase.
    notice: why the coach cannot judge right now, as a key (None when it can): "face_mirror",
        "step_back", "step_to_centre", "stand_tall_to_start", "reacquiring", "cannot_see",
        "view_blocked", "come_closer"; notice_text is its wording (station.form.texts.NOTICE_TEXTS_EN).
        While a notice shows, the coach says nothing about form.
    """

    t_s: float
    exercise: str
    screen: str
    phase: str | None
    rep_count: int
    cue: Cue | None
    hinge_ratio: float | None
    depth_fraction: float | None
    last_rep: RepVerdict | None
    set_summary: SetSummary | None
    muscles: dict[str, float]
    notice: str | None = None
    notice_text: str | None = None


# --- what one frame's processing hands on: app.Pipeline → worker.Worker → the overlay ---------


@dataclass
class FrameResult:
    """What the pipeline (station.app.Pipeline) knows after one frame.

    angles: contract angle -> value (ANGLES; degrees, pelvis_lateral_shift in metres), None
    when not tracked. angle_confidence: contract angle -> 0..1 (the fitter's), None when not
    tracked. notice: why the station cannot see the lifter well (CoachState.notice keys).
    hands: station.form.exercise.HandPose (exercise recognition). state: the evaluator's
    CoachState after this frame (None when the pipeline runs no evaluator).
    """

    t_s: float
    tracked: bool
    skeleton: Skeleton | None
    angles: dict[str, float] | None
    floor: FloorPlane | None
    segment: "SegmentResult"
    track: "TrackResult"
    timings_ms: dict[str, float] = field(default_factory=dict)
    angle_confidence: dict[str, float] | None = None
    notice: str | None = None
    hands: object | None = None
    state: CoachState | None = None
    # the confidence the evaluator judged this frame with: angle_confidence lowered where an
    # angle moved faster than a body can (station.fit.confidence.AngleRateConfidence); None
    # without an evaluator. angle_confidence stays the fitter's (replays feed it back in).
    judged_confidence: dict[str, float] | None = None


@dataclass(frozen=True)
class Tick:
    """What the live worker knows after one frame (immutable; handed to the main thread).

    arrival_mono: when the frame came out of the source; done_mono: when its state was
    ready (both time.monotonic()). t_s: stream time. skeleton_cam_m: (len(SKELETON_POINTS), 3)
    camera frame, metres, or None; skeleton_confidence: (len(SKELETON_POINTS),) the fit's
    0..1 per joint (station.model.Skeleton.confidence), None with no skeleton.
    person_centroid_floor_m: (x, y) floor frame, metres.
    """

    seq: int
    arrival_mono: float
    done_mono: float
    t_s: float
    state: CoachState
    skeleton_cam_m: np.ndarray | None
    floor: FloorPlane | None
    track_state: str
    person_present: bool
    person_upright: bool
    person_centroid_floor_m: tuple[float, float] | None
    camera_height_m: float | None
    camera_pitch_deg: float | None
    timings_ms: dict = field(default_factory=dict)
    calibration_notice: str | None = None    # "the camera has moved: recalibrate (...)"
    frame: DepthFrame | None = None          # kept only when the debug view wants it
    cloud: object | None = None
    skeleton_confidence: np.ndarray | None = None


# --- what segmentation and fitting hand on (station.segment, station.fit.tracker) ---------

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # named in annotations only (importing it here would be a cycle)
    from station.segment.floor import FloorQuality

@dataclass(frozen=True)
class SegmentResult:
    """What the segmenter found in one frame.

    cloud: the lifter's points (None if no person); floor: the floor plane in use (None
    until one is found); person_height_m: top of the lifter's blob above the floor;
    person_upright: the blob is tall (>= BlobParams.upright_min_top_m) and taller than wide;
    person_centroid_floor_m: footprint centroid (x, y) in the floor frame;
    timings_ms: per step, "total" (wall) and "cpu" (this thread's CPU time);
    blind_share: the share of the background the segmenter has learned that reads no depth
    in this frame (BackgroundModel.blind_share; None before the floor or any background).
    occluded_share: the share of the lifter's silhouette (from the last frame that saw them
    whole) that a surface nearer than them covers (station.segment.occlusion; None when no
    lifter was seen lately): someone or something between the lifter and the camera.
    """

    cloud: PersonCloud | None
    floor: FloorPlane | None
    floor_quality: FloorQuality | None
    person_present: bool
    person_height_m: float | None
    person_upright: bool
    person_centroid_floor_m: tuple[float, float] | None
    camera_height_m: float | None
    camera_pitch_deg: float | None
    timings_ms: dict[str, float]
    blind_share: float | None = None
    occluded_share: float | None = None


@dataclass
class TrackResult:
    """What the fitter reports for one frame (station.fit.tracker).

    state: "searching", "initialising", "tracking" or "lost"; timings_ms: per step, "total"
    (wall) and "cpu" (this thread's CPU time); shape: the body's size (BodyModel.shape.as_dict).
    """

    tracked: bool
    skeleton: Skeleton | None
    state: str
    timings_ms: dict
    shape: dict | None
    residual_m: float = float("nan")
    inlier_fraction: float = float("nan")
    theta: np.ndarray | None = None
    # contract angle -> 0..1 (station.fit.confidence); None when not tracked
    angle_confidence: dict | None = None
    angle_sd: dict | None = None        # the constraint's standard deviations (deg; shift m)
    # which person: a new id at each upright start (a re-acquired track keeps its id)
    track_id: int = 0
    # lost mid-set and still inside the tracker's re-acquisition window: it is fitting the
    # lifter's last pose again; after the window only an upright start finds them
    reacquiring: bool = False
    # spine_flexion's raw reading from the fitted segments (station.form.angles
    # spine_flexion_raw_from_segments_deg); None: read it from the skeleton's points
    spine_raw_deg: float | None = None
    # the implement the fit holds in the hands ("bar", "dumbbells", "kettlebell"; None: none)
    implement: str | None = None
    # the depth image's noise over the person, in units of the reference noise the fit is
    # tuned for (station.fit.noise.NoiseAdaptation.ratio; None: not measured yet), and whether
    # it is past what the coach judges from (NoiseAdaptation.too_noisy)
    depth_noise_ratio: float | None = None
    # the same from the window estimate, read while the person stands upright (NoiseAdaptation
    # .window_ratio: the noise in patches the second differences miss)
    depth_noise_window_ratio: float | None = None
    depth_too_noisy: bool = False
