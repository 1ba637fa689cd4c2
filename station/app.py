"""Wires the stages: source → segmenter → fitter → angles (→ evaluator → overlay).

Owns threads, timing and error policy; no maths and no drawing. `station analyze`, the demo
and the live station all run `Pipeline.process` on every frame, so a recording, the synthetic
athlete and the camera exercise the same code.
"""
from __future__ import annotations

import math
import queue
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from tqdm import tqdm

from station.config import StationConfig, load_station_config
from station.contract import SCHEMA
from station.fit._kernels import round_scaled
from station.fit.tracker import Tracker
from station.form.angles import contract_angles
from station.form.exercise import hand_pose
from station.form.standing_reference import StandingReference
from station.model import (ANGLES, JOINTS, SKELETON_INDEX, DepthFrame, FloorPlane, FrameResult, SegmentResult,
                           TrackResult)
from station.segment import LiftingZone, Segmenter
from station.segment.background import VIEW_BLOCKED_MIN_SHARE


FACE_MIRROR_MAX_YAW_DEG = 35.0   # turned further from the camera than this: "face the mirror"
# This much of the lifter's silhouette (from the last frame that saw them whole) covered by a
# surface nearer than them (SegmentResult.occluded_share; station.segment.occlusion): someone
# is between the lifter and the camera. The fit is not trusted, no one is started or taken up again on
# the part of the lifter left in view, and the screen asks for the space in front to be
# cleared. Only for a lifter the tracker holds and who is not walking (Tracker.holds_lifter).
# With nobody in front it reads 0 on the library's lifters (their session's walk in and out
# too); someone crossing 1 m in front of a lifter reads up to 0.7 while they pass (stop 65)
OCCLUDED_MIN_SHARE = 0.05


def occluded(seg: SegmentResult) -> bool:
    """Whether something nearer than the lifter covers OCCLUDED_MIN_SHARE of where they were
    last seen whole."""
    return seg.occluded_share is not None and seg.occluded_share >= OCCLUDED_MIN_SHARE


def view_notice(seg: SegmentResult, track: TrackResult, floor: FloorPlane | None,
                blocked: bool = False) -> str | None:
    """What would help the station see the person (CoachState.notice keys), or None.

    blocked (the pipeline's `occluded` for a lifter the tracker holds: someone crossing in
    front of them, whether or not any of the lifter is still in view), or a lifter in view
    while a quarter or more of the scene the segmenter knows reads no depth
    (SegmentResult.blind_share): something covers the camera's view ("view_blocked"). Else,
    someone whose blob is cut by the image's top or bottom edge stands too close
    ("step_back"); cut by a side edge, off to one side ("step_to_centre"); the depth over them
    too noisy to coach from (TrackResult.depth_too_noisy: a stereo camera's noise grows with
    the square of the distance), tracked or not ("come_closer"); tracked but turned
    more than FACE_MIRROR_MAX_YAW_DEG from the camera ("face_mirror"); present, untracked and
    none of these: the station waits for an upright start ("stand_tall_to_start"), unless the
    tracker still holds its track (a dropped frame mid-set: no notice) or has lost it and is
    taking it up again in whatever pose the lifter is in ("reacquiring", while the tracker says
    so: TrackResult.reacquiring; standing tall is not what it needs; after its re-acquisition
    window, the start prompt). The evaluator decides when each shows
    (station.form.confidence_gate: a notice only while it is unsure; "reacquiring" after a
    quiet half second).
    """
    if blocked:
        return "view_blocked"
    cloud = seg.cloud
    if cloud is None or not seg.person_present:
        return None
    if seg.blind_share is not None and seg.blind_share > VIEW_BLOCKED_MIN_SHARE:
        return "view_blocked"
    h, w = cloud.mask.shape
    uv = cloud.pixels_uv
    if len(uv):
        # column by column: NumPy's min(axis=0) over an (n, 2) array is ten times slower
        u, v = uv[:, 0], uv[:, 1]
        u_min, u_max, v_min, v_max = u.min(), u.max(), v.min(), v.max()
        if v_min <= 1 or v_max >= h - 2:
            return "step_back"
        if u_min <= 1 or u_max >= w - 2:
            return "step_to_centre"
    if track.depth_too_noisy:
        return "come_closer"
    if track.tracked and track.skeleton is not None and floor is not None:
        p = track.skeleton.points_cam_m
        left = p[SKELETON_INDEX["hip_l"]] - p[SKELETON_INDEX["hip_r"]]
        up = np.asarray(floor.normal_cam, np.float64)
        left = left - (left @ up) * up
        # facing the camera, the person's left is the camera's +x; yaw = angle between them
        # in the floor plane
        view = p[SKELETON_INDEX["pelvis"]] - (p[SKELETON_INDEX["pelvis"]] @ up) * up
        across = np.array([up[1] * view[2] - up[2] * view[1], up[2] * view[0] - up[0] * view[2],
                           up[0] * view[1] - up[1] * view[0]])   # np.cross(up, view), cheaper
        n1, n2 = math.sqrt(float(left @ left)), math.sqrt(float(across @ across))
        if n1 > 1e-6 and n2 > 1e-6:
            c = float(left @ across) / (n1 * n2)
            if math.degrees(math.acos(max(-1.0, min(1.0, abs(c))))) > FACE_MIRROR_MAX_YAW_DEG:
                # an initialising fit's yaw is not settled yet: ask for the start pose instead
                return "stand_tall_to_start" if track.state == "initialising" else "face_mirror"
        return None
    if not track.tracked:
        # a frame the tracker dropped while still tracking (it keeps the track), or a track
        # lost mid-set that it is taking up again in whatever pose the lifter is in: asking
        # for the start pose would contradict the rep in progress
        if track.state == "tracking":
            return None
        return "reacquiring" if track.reacquiring else "stand_tall_to_start"
    return None


class Pipeline:
    """Segmenter + tracker + contract angles (+ the form evaluator) over a stream of DepthFrames.

    The one place a frame is turned into angles and a CoachState, for `station analyze`, the
    benchmarks and the live station alike. exercise: None runs no evaluator (angles only);
    "auto" the station's evaluator (its default profile until recognition decides among
    exercise.available); a profile name fixes the profile. profiles: validated
    ExerciseProfiles by name (a reload hands them in, so no profile file is read twice).
    zone: the lifting zone (default: the config's).
    """

    def __init__(self, cfg: StationConfig | None = None, zone: LiftingZone | None = None, seed: int = 0,
                 exercise: str | None = None, calibration=None, profiles: dict | None = None):
        self.cfg = cfg or load_station_config()
        self.seed = seed
        self.exercise = exercise
        self.profiles = profiles
        self.calibration = calibration
        self._t0: float | None = None
        self._start_tracking(zone or LiftingZone.from_config(self.cfg.zone))
        # the form evaluator (reps, faults, cues) when an exercise is given
        self.evaluator = self._make_evaluator() if exercise is not None else None
        self.coach = None           # the latest CoachState (station.model), None without evaluator

    def _start_tracking(self, zone: LiftingZone) -> None:
        """A segmenter for `zone` (from the stored calibration, if any), a fresh track and
        standing reference."""
        self.segmenter = Segmenter(zone, seed=self.seed)
        if self.calibration is not None:
            self.use_calibration(self.calibration)
        self.tracker = Tracker()
        self.standing = StandingReference()
        self._track_id = 0
        # the model the tracker fitted last frame with: (its body, Shape.as_dict; its implement)
        self._fit_model: tuple[dict, str | None] | None = None
        # the floor the angles are measured against: the segmenter's, from its first frame on
        self.last_floor: FloorPlane | None = None

    def _make_evaluator(self):
        from station.form.exercise import make_evaluator

        return make_evaluator(self.cfg, None if self.exercise == "auto" else self.exercise, profiles=self.profiles)

    def fresh_evaluator(self) -> None:
        """Start a new evaluator with the same settings (the old one's reps and sets are left
        to whoever logged them): a station idle for a while forgets past visits."""
        self.evaluator = self._make_evaluator()

    def reconfigure(self, cfg: StationConfig, profiles: dict | None = None) -> None:
        """Use a new config (and profiles) from the next frame: a new evaluator if the
        exercise, its profile, the cues or the sets changed; tracking restarts if the lifting
        zone changed. The stream clock runs on."""
        old_cfg, old_profiles = self.cfg, self.profiles
        self.cfg, self.profiles = cfg, profiles
        if cfg.zone != old_cfg.zone:
            self._start_tracking(LiftingZone.from_config(cfg.zone))
        name = cfg.exercise.default

        def profile(ps):
            return None if ps is None else ps.get(name)
        if self.evaluator is not None and (
                cfg.exercise != old_cfg.exercise or cfg.cues != old_cfg.cues or cfg.sets != old_cfg.sets
                or profiles is None or profile(profiles) != profile(old_profiles)):
            self.evaluator = self._make_evaluator()

    def use_calibration(self, cal) -> None:
        """Start from a stored calibration (station.calibration.StoredCalibration): its floor
        and empty scene; the live floor track refines the floor from there."""
        self.calibration = cal
        self.segmenter.use_calibration(cal.floor, cal.background_depth_m, cal.background_count,
                                       cal.intrinsics if cal.decimation == self.segmenter.decimation else None)
        self.last_floor = cal.floor

    def process(self, frame: DepthFrame, seg: SegmentResult | None = None) -> FrameResult:
        """The frame's result. seg: this frame's SegmentResult when it was segmented already
        (by this pipeline's segmenter, frames in order: analyze segments the next frames in
        a second thread, segmented_frames); None segments it here."""
        if self._t0 is None:
            self._t0 = frame.timestamp_s
        t_s = frame.timestamp_s - self._t0
        t0 = time.perf_counter()
        if seg is None:
            seg = self.segmenter.process(frame)
            t1 = time.perf_counter()
            seg_ms = (t1 - t0) * 1e3
        else:
            t1 = t0
            seg_ms = seg.timings_ms.get("total", math.nan)
        blocked = occluded(seg) and self.tracker.holds_lifter
        track = self.tracker.update(seg.cloud, seg.person_height_m, occluded=blocked)
        t2 = time.perf_counter()
        if seg.floor is not None:
            self.last_floor = seg.floor
        angles = None
        hands = None
        skel = track.skeleton if track.tracked else None
        if track.track_id != self._track_id:
            # a new person (an upright start): their own standing reference. A track lost and
            # re-acquired mid-set keeps it: the lifter may never stand tall again in the set
            self._track_id = track.track_id
            self.standing.reset()
            if self.evaluator is not None:
                self.evaluator.new_person()
        elif track.shape is not None and self._fit_model is not None and (track.shape, track.implement) != self._fit_model:
            # the same person read with another model (their legs or arms measured, an
            # implement taken up): their stance reads another curve on it
            self.standing.model_changed()
        if track.shape is not None:
            self._fit_model = (track.shape, track.implement)
        if skel is not None and self.last_floor is not None:
            up = np.asarray(self.last_floor.normal_cam, np.float64)
            # the angles once, with the raw spine curve; the baseline learns from the same ones
            a = contract_angles(skel.points_cam_m, up, 0.0)
            if track.spine_raw_deg is not None:
                a["spine_flexion"] = track.spine_raw_deg
            # (nor from depth too noisy to coach from: a standing curve read there would
            # measure the lifter's backs once they come closer)
            baseline = self.standing.update(skel.points_cam_m, up, frame.timestamp_s,
                                         learn=track.state == "tracking" and not blocked and not track.depth_too_noisy,
                                         raw_angles=a,
                                         witness=(seg.cloud, track.theta, up))
            if self.standing.needs_reread:
                self._reread_standing()
                baseline = self.standing.spine_deg
            angles = {k: float(a[k]) for k in ANGLES}
            angles["spine_flexion"] = float(a["spine_flexion"] - baseline)
            hands = hand_pose(skel.points_cam_m, up)
        aconf = view_conf = track.angle_confidence if angles is not None else None
        if aconf is not None and not self.standing.has_spine_reference and "spine_flexion" in aconf:
            # no standing frame yet to measure the spine against: it reads 0 by construction
            # (a lifter who never stood tall and still: mocap_toe_touch on the capsule body read
            # a flat back through both reps at spine confidence up to 0.95). Not a back to judge
            aconf = {**aconf, "spine_flexion": 0.0}
        if aconf is not None and blocked:
            # part of the lifter hidden behind someone in front: the fit of the rest is not one
            # to coach from (a hidden trunk folds onto the legs the camera still sees)
            aconf = dict.fromkeys(aconf, 0.0)
        if aconf is not None and track.depth_too_noisy:
            # depth this noisy reads clean backs rounded and standing hips flexed, at the
            # confidence of a good view (the confidence counts the fit's information in the
            # reference noise's units: NoiseAdaptation.info_scale): nothing is judged, and the
            # notice ("come_closer") asks for what would help
            aconf = view_conf = dict.fromkeys(aconf, 0.0)
        notice = view_notice(seg, track, self.last_floor, blocked)
        if self.evaluator is not None:
            # the notice reads the fit's own confidence: a lifter standing still while the
            # standing curve is learned is seen well, and "I can't see you" would be wrong
            # the hips' standing reference goes to the lean-back rule; the angles stay absolute
            self.coach = self.evaluator.update(t_s, angles, hands=hands, angle_confidence=aconf, notice=notice,
                                               view_confidence=view_conf, standing_hip_deg=self.standing.hip_deg)
        return FrameResult(
            t_s=t_s, tracked=skel is not None, skeleton=skel, angles=angles,
            floor=seg.floor, segment=seg, track=track,
            timings_ms={"segment": seg_ms, "fit": (t2 - t1) * 1e3},
            angle_confidence=aconf, notice=notice, hands=hands, state=self.coach,
            judged_confidence=self.evaluator.judged_confidence if self.evaluator is not None else None)

    def _reread_standing(self) -> None:
        """The standing reference's frames read again on the tracker's new model
        (StandingReference.needs_reread): 10 fits, ~15 ms CPU, once per change of model in
        the set (a few a set). Each read as process reads a frame: the contract angles with
        the fit's raw spine."""
        readings = []
        for cloud, theta, up in self.standing.witnesses():
            spine_raw_deg, points_cam_m = self.tracker.reread(cloud, theta)
            a = contract_angles(points_cam_m, up, 0.0)
            a["spine_flexion"] = spine_raw_deg
            readings.append(a)
        self.standing.reread(readings)


def _r(x: float, nd: int) -> float:
    return round(float(x), nd)


def rounded_list(x: np.ndarray, nd: int) -> list:
    """[round(float(v), nd) for v in x.ravel()], vectorised: the same Python floats.

    Python's round is the nearest double to round-half-even(x 10^nd exactly) / 10^nd, and
    np.rint(x * 10^nd) / 10^nd is the same (rint is half-even, and the division rounds
    correctly) except where the product's own rounding moved it across a half-integer: the
    values whose scaled product lies within a few ulps of one (or is not finite) are rounded
    by Python instead (station.fit._kernels.round_scaled: one kernel call).
    (Python's round goes through decimal strings: ~1 us a value, 70 values a frame.)"""
    x = np.ascontiguousarray(x, np.float64).ravel()
    out = np.empty(len(x))
    near = np.empty(len(x), np.bool_)
    n_near = round_scaled(x, 10.0 ** nd, out, near)
    res = out.tolist()
    if n_near:   # (overflowed or nan too: Python's round)
        for i in np.flatnonzero(near):
            res[i] = round(float(x[i]), nd)
    return res


def frame_record(res: FrameResult) -> dict:
    """One FRAME of the analysis contract."""
    out: dict = {"t": _r(res.t_s, 6), "tracked": bool(res.tracked)}
    if res.tracked and res.skeleton is not None and res.angles is not None:
        # rounded as _r rounds them (round(float(x), nd)), the whole array at once
        pts = rounded_list(res.skeleton.points_cam_m[:len(JOINTS)], 5)
        conf_j = rounded_list(res.skeleton.confidence[:len(JOINTS)], 3)
        out["joints"] = {n: pts[3 * i:3 * i + 3] for i, n in enumerate(JOINTS)}
        out["confidence"] = dict(zip(JOINTS, conf_j))
        out["angles"] = {k: _r(v, 6 if k == "pelvis_lateral_shift" else 3) for k, v in res.angles.items()}
        # the confidence the verdicts were judged with (the fitter's, and the rate term's)
        conf = res.judged_confidence if res.judged_confidence is not None else res.angle_confidence
        if conf is not None:
            out["angle_confidence"] = {k: _r(conf[k], 3) for k in ANGLES}
    else:
        out["tracked"] = False
    return out


_END = object()


def segmented_frames(segmenter: Segmenter, frames: Iterable[DepthFrame],
                     depth: int = 3) -> Iterator[tuple[DepthFrame, SegmentResult]]:
    """(frame, its SegmentResult) in order, the frames read and segmented in a second thread
    up to `depth` frames ahead of the consumer.

    The segmenter depends only on the frames before (its floor, background and blob
    track), never on what the consumer does with its results, so running it ahead gives
    the same results while the consumer fits the previous frame: with the playback's own
    thread, analyze keeps both cores busy (the numba kernels release the GIL). An exception
    in the thread is raised here; closing the iterator (or leaving the loop) stops the
    thread and waits for it, so the frame source is never left running in it.
    """
    out: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for frame in frames:
                if stop.is_set() or not put((frame, segmenter.process(frame))):
                    return
        except BaseException as e:  # handed to the consumer
            put(e)
            return
        put(_END)

    worker = threading.Thread(target=run, name="segment", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def analyze(frames: Iterable[DepthFrame], recording_name: str, exercise: str | None = None,
            cfg: StationConfig | None = None, total: int | None = None,
            progress: bool | None = None) -> dict:
    """Run the station's pipeline over every frame and build the analysis document.

    exercise: fix the profile; None recognises it (the station's default profile until the
    first rep shows which of exercise.available it is, station.form.exercise)."""
    def _rep_record(rep) -> dict:
        """One REP of the contract (RepVerdict.as_contract), times and metrics rounded."""
        d = rep.as_contract()
        for k in ("start_t", "bottom_t", "end_t"):
            d[k] = _r(d[k], 4)
        d["metrics"] = {k: _r(v, 4) for k, v in d["metrics"].items()}
        return d

    def _set_record(s) -> dict:
        """A SetSummary as JSON (an extra key beyond the contract's minimum)."""
        return {"reps": s.reps, "clean_reps": s.clean_reps, "not_judged_reps": s.not_judged_reps,
                "most_frequent_fault": s.most_frequent_fault,
                "fault_counts": dict(s.fault_counts), "pattern": s.pattern,
                "mean_eccentric_s": None if s.mean_eccentric_s is None else _r(s.mean_eccentric_s, 3),
                "mean_concentric_s": None if s.mean_concentric_s is None else _r(s.mean_concentric_s, 3),
                "start_t": _r(s.start_t, 4), "end_t": _r(s.end_t, 4)}

    pipe = Pipeline(cfg, exercise=exercise or "auto")
    records = []
    timings = {"segment": [], "fit": []}
    # progress None: a bar only when stderr is a terminal (tqdm's disable=None)
    with tqdm(total=total, desc=f"analyzing {recording_name}", unit="frame",
              disable=None if progress is None else not progress) as bar:
        # segmentation a frame or more ahead, in a second thread (segmented_frames)
        for frame, seg in segmented_frames(pipe.segmenter, frames):
            res = pipe.process(frame, seg)
            records.append(frame_record(res))
            for k in timings:
                timings[k].append(res.timings_ms[k])
            bar.update()
    floor = pipe.last_floor
    form = pipe.evaluator
    reps = form.finish() if form is not None else []
    rep_ex = list(form.rep_exercises) if form is not None else []
    # the profile used: the one that judged most reps (the default when none)
    used = max(set(rep_ex), key=rep_ex.count) if rep_ex else (form.exercise if form is not None else exercise)
    doc = {
        "schema": SCHEMA,
        "recording": recording_name,
        "exercise": used,
        "floor": ({"normal": [_r(v, 6) for v in floor.normal_cam], "d": _r(floor.d_m, 5)}
                  if floor is not None else None),
        "frames": records,
        "reps": [dict(_rep_record(r), exercise=ex) for r, ex in zip(reps, rep_ex)],
        "rep_count": len(reps),
        "sets": [_set_record(st) for st in form.sets] if form is not None else [],
        "station": {
            "frames": len(records),
            "tracked_frames": sum(1 for r in records if r["tracked"]),
            "ms_per_frame": {k: _r(np.mean(v), 3) if v else None for k, v in timings.items()},
        },
    }
    return doc


def analyze_recording(path: str | Path, out_path: str | Path | None, exercise: str | None = None,
                      cfg: StationConfig | None = None, progress: bool | None = None) -> dict:
    """`station analyze`: play a recording as fast as possible through the pipeline.

    The output is checked before the work (station.fileio.check_output: its directory
    takes a file, it is not the recording) and written atomically after it.
    """
    from station import fileio
    from station.sources.recording import open_recording

    path = Path(path)
    if out_path is not None:
        fileio.check_output(out_path, inputs=[path])
    with open_recording(path, real_time=False) as pb:
        doc = analyze(pb, path.name, exercise, cfg, total=pb.frame_count, progress=progress)
    if out_path is not None:
        fileio.write_json(out_path, doc, separators=(",", ":"))
    return doc
