"""The station's calibration: the floor, the camera's height and pitch, and the empty scene.

`station calibrate` (run with the zone empty and the service stopped) measures them from a
couple of seconds of depth (:func:`calibrate`), refuses a bad measurement with the reason
(:class:`CalibrationRefused`: no floor seen, a person in view, too little of the scene
seen), and stores the result atomically in the state directory as ``calibration.npz``
(:func:`save_calibration`). The running station starts from the stored calibration (the
segmenter's floor and background), refines the floor while nobody is in view, and
:class:`MovedCameraCheck` turns a lasting disagreement of more than 3 cm in height or 2° in
tilt into the staff notice "the camera has moved: recalibrate".

The stored empty scene is a decimated depth image of the room with nobody in it (the
calibration refuses to store one with a person in view); it is what the segmenter would
otherwise learn over the first seconds. No other image is kept.
"""
from __future__ import annotations

import io
import json
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np

from station import frames as F
from station.model import DepthFrame, FloorPlane, Intrinsics

CALIBRATION_FILE = "calibration.npz"
CALIBRATION_SCHEMA = "station.calibration/1"
MOVED_HEIGHT_M = 0.03        # "the camera has moved" beyond this height change ...
MOVED_TILT_DEG = 2.0         # ... or this change of the floor's direction (pitch and roll)
MIN_BACKGROUND_FRACTION = 0.5
MIN_FLOOR_FRAMES_FRACTION = 0.8
DECIMATION = 4               # the segmenter's (station.app.Pipeline) decimation


class CalibrationError(Exception):
    """A stored calibration cannot be read or written; the message names the file."""


class CalibrationRefused(Exception):
    """The scene cannot be calibrated; the message says why and what to do. What was
    measured all the same (floor, camera height and pitch, where the person stood) is kept
    for the calibration screen."""

    def __init__(self, message: str, floor: FloorPlane | None = None,
                 person_floor_m: tuple[float, float] | None = None):
        super().__init__(message)
        self.floor = floor
        self.person_floor_m = person_floor_m


@dataclass(frozen=True)
class StoredCalibration:
    """A calibration as measured and stored (camera frame; metres, degrees)."""

    floor: FloorPlane
    camera_height_m: float
    camera_pitch_deg: float
    camera_roll_deg: float
    floor_rms_mm: float
    floor_inlier_fraction: float
    background_depth_m: np.ndarray      # (h, w) float32 of the decimated image, 0 = unknown
    background_count: np.ndarray        # (h, w) int32 agreeing frames per pixel
    background_fraction: float
    intrinsics: Intrinsics              # of the full-resolution depth stream
    decimation: int
    frames: int
    camera_serial: str
    created_utc: str

    def meta(self) -> dict:
        i = self.intrinsics
        return {
            "schema": CALIBRATION_SCHEMA,
            "created_utc": self.created_utc,
            "camera_serial": self.camera_serial,
            "frames": self.frames,
            "floor_normal_cam": [float(v) for v in self.floor.normal_cam],
            "floor_d_m": float(self.floor.d_m),
            "camera_height_m": round(self.camera_height_m, 4),
            "camera_pitch_deg": round(self.camera_pitch_deg, 3),
            "camera_roll_deg": round(self.camera_roll_deg, 3),
            "floor_rms_mm": round(self.floor_rms_mm, 2),
            "floor_inlier_fraction": round(self.floor_inlier_fraction, 4),
            "background_fraction": round(self.background_fraction, 4),
            "decimation": self.decimation,
            "intrinsics": {"width": i.width, "height": i.height, "fx": i.fx, "fy": i.fy,
                           "ppx": i.ppx, "ppy": i.ppy, "model": i.model, "coeffs": list(i.coeffs)},
        }

    def summary(self) -> str:
        return (f"floor found (RMS {self.floor_rms_mm:.1f} mm), camera {self.camera_height_m:.3f} m "
                f"above it, pitched down {self.camera_pitch_deg:.1f}° (roll {self.camera_roll_deg:+.1f}°), "
                f"empty scene learned over {100 * self.background_fraction:.0f}% of the view "
                f"from {self.frames} frames")


def camera_roll_deg(plane: FloorPlane) -> float:
    """Rotation of the image about the lens axis (deg; 0 = level), from the floor normal."""
    n = np.asarray(plane.normal_cam, np.float64)
    return math.degrees(math.atan2(float(n[0]), float(-n[1])))


def calibration_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / CALIBRATION_FILE


def calibrate(frames: Iterable[DepthFrame], zone, n_frames: int = 45,
              camera_serial: str = "") -> StoredCalibration:
    """Measure the floor, the camera's height and pitch and the empty scene.

    Takes `n_frames` from `frames` (the camera) through the station's own segmenter for
    the lifting `zone` (station.segment.LiftingZone). Raises :class:`CalibrationRefused`
    with the reason when no floor is seen in most frames, a person stands in the zone, or
    too little of the scene has depth.
    """
    from station.segment import Segmenter

    seg = Segmenter(zone, decimation=DECIMATION, seed=0)
    got, floor_frames, person_frames = 0, 0, 0
    last = None
    person_xy = None
    intrinsics = None
    for frame in frames:
        res = seg.process(frame)
        intrinsics = frame.intrinsics
        got += 1
        floor_frames += res.floor is not None
        person_frames += bool(res.person_present)
        if res.person_present and res.person_centroid_floor_m is not None:
            person_xy = tuple(float(v) for v in res.person_centroid_floor_m)
        last = res
        if got >= n_frames:
            break
    if got == 0 or last is None:
        raise CalibrationRefused("no depth frames came from the camera")
    if got < n_frames:
        raise CalibrationRefused(f"the camera stopped sending frames after {got} of {n_frames}; "
                                 "check its cable and calibrate again")
    if person_frames > max(1, got // 10):
        raise CalibrationRefused(
            f"a person is in view: someone stood in the lifting zone in {person_frames} of {got} "
            "frames. Clear the zone (nobody within it, nothing person-sized) and calibrate again.",
            floor=seg.floor_tracker.floor, person_floor_m=person_xy)
    floor = seg.floor_tracker.floor
    q = seg.floor_tracker.quality
    if floor is None or floor_frames < MIN_FLOOR_FRAMES_FRACTION * got:
        raise CalibrationRefused(
            f"no floor seen: the floor was found in {floor_frames} of {got} frames. The lower half "
            "of the camera's view must show open floor: check the camera's pitch (tilt it down "
            "towards the zone), remove mats or boxes in front of it, and calibrate again.",
            floor=None)
    bg = seg.background
    fraction = bg.learned_fraction
    if fraction < MIN_BACKGROUND_FRACTION:
        raise CalibrationRefused(
            f"too little of the scene has depth: the empty scene was learned over "
            f"{100 * fraction:.0f}% of the view (at least {100 * MIN_BACKGROUND_FRACTION:.0f}% "
            "needed). Check that nothing covers the camera and that it does not look through glass.",
            floor=floor)
    height_m, pitch_deg = F.camera_height_pitch(floor)
    return StoredCalibration(
        floor=floor, camera_height_m=float(height_m), camera_pitch_deg=float(pitch_deg),
        camera_roll_deg=camera_roll_deg(floor),
        floor_rms_mm=float(q.rms_mm) if q is not None and math.isfinite(q.rms_mm) else float("nan"),
        floor_inlier_fraction=float(q.inlier_fraction) if q is not None else float("nan"),
        background_depth_m=bg.depth_m.copy(), background_count=bg.count.copy(),
        background_fraction=float(fraction), intrinsics=intrinsics, decimation=DECIMATION,
        frames=got, camera_serial=camera_serial,
        created_utc=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


# --------------------------------------------------------------------------- storage

def save_calibration(cal: StoredCalibration, state_dir: str | Path) -> Path:
    """Store `cal` as state_dir/calibration.npz, atomically; returns the path."""
    state_dir = Path(state_dir)
    if not state_dir.is_dir():
        raise CalibrationError(f"{state_dir}: the calibration directory (calibration.state_dir) "
                               "does not exist")
    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.array(json.dumps(cal.meta())),
                        background_depth_m=cal.background_depth_m.astype(np.float32),
                        background_count=cal.background_count.astype(np.int32))
    from station.fileio import FileWriteError, OutputError, write_bytes

    path = calibration_path(state_dir)
    try:
        write_bytes(path, buf.getvalue())   # temporary file beside it, fsync, rename
    except (FileWriteError, OutputError, OSError) as e:
        raise CalibrationError(f"{path}: cannot write the calibration: {e}") from e
    return path


def load_calibration(path: str | Path) -> StoredCalibration:
    """Read a stored calibration; :class:`CalibrationError` naming the file and the problem."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            depth = np.array(z["background_depth_m"], np.float32)
            count = np.array(z["background_count"], np.int32)
    except FileNotFoundError:
        raise CalibrationError(f"{path}: no calibration (run `station calibrate`)") from None
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        raise CalibrationError(f"{path}: not a readable calibration ({e}); run `station calibrate` "
                               "again") from None
    if meta.get("schema") != CALIBRATION_SCHEMA:
        raise CalibrationError(f"{path}: unknown calibration format {meta.get('schema')!r} "
                               f"(expected {CALIBRATION_SCHEMA!r})")
    try:
        i = meta["intrinsics"]
        intr = Intrinsics(width=int(i["width"]), height=int(i["height"]), fx=float(i["fx"]),
                          fy=float(i["fy"]), ppx=float(i["ppx"]), ppy=float(i["ppy"]),
                          model=str(i["model"]), coeffs=tuple(float(c) for c in i["coeffs"]))
        normal = np.array(meta["floor_normal_cam"], np.float64)
        if normal.shape != (3,) or not np.all(np.isfinite(normal)) or depth.shape != count.shape:
            raise ValueError("inconsistent arrays")
        return StoredCalibration(
            floor=FloorPlane(normal_cam=normal / np.linalg.norm(normal), d_m=float(meta["floor_d_m"])),
            camera_height_m=float(meta["camera_height_m"]), camera_pitch_deg=float(meta["camera_pitch_deg"]),
            camera_roll_deg=float(meta["camera_roll_deg"]), floor_rms_mm=float(meta["floor_rms_mm"]),
            floor_inlier_fraction=float(meta["floor_inlier_fraction"]), background_depth_m=depth,
            background_count=count, background_fraction=float(meta["background_fraction"]),
            intrinsics=intr, decimation=int(meta["decimation"]), frames=int(meta["frames"]),
            camera_serial=str(meta["camera_serial"]), created_utc=str(meta["created_utc"]))
    except (KeyError, TypeError, ValueError) as e:
        raise CalibrationError(f"{path}: damaged calibration ({e}); run `station calibrate` again") from None


class CalibrationWatcher:
    """The stored calibration, re-read when its file changes (mtime, size).

    ``poll()`` returns the calibration now in force (None before the first one). A file that
    turns unreadable keeps the last good calibration and sets :attr:`error`.
    """

    def __init__(self, state_dir: str | Path):
        self.path = calibration_path(state_dir)
        self.calibration: StoredCalibration | None = None
        self.error: str | None = None
        self._sig: tuple[int, int] | None = None
        self.changes = 0

    def _signature(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def poll(self) -> tuple[StoredCalibration | None, bool]:
        """(calibration in force, whether it changed since the last poll)."""
        sig = self._signature()
        if sig == self._sig:
            return self.calibration, False
        self._sig = sig
        if sig is None:
            return self.calibration, False
        try:
            cal = load_calibration(self.path)
        except CalibrationError as e:
            self.error = str(e)
            return self.calibration, False
        self.error = None
        self.calibration = cal
        self.changes += 1
        return cal, True


# --------------------------------------------------------------------------- moved camera

def tilt_between_deg(a: FloorPlane, b: FloorPlane) -> float:
    na = np.asarray(a.normal_cam, np.float64)
    nb = np.asarray(b.normal_cam, np.float64)
    c = float(np.clip(na @ nb / (np.linalg.norm(na) * np.linalg.norm(nb)), -1.0, 1.0))
    return math.degrees(math.acos(c))


class MovedCameraCheck:
    """Compares the live floor with the stored calibration while nobody is in view.

    A disagreement of more than MOVED_HEIGHT_M or MOVED_TILT_DEG that lasts `hold_s`
    (frames with a person in view do not count either way) raises :attr:`notice`; an
    agreement that lasts as long clears it.
    """

    def __init__(self, calibration: StoredCalibration | None, hold_s: float = 1.0):
        self.calibration = calibration
        self.hold_s = hold_s
        self.notice: str | None = None
        self._since: float | None = None
        self._state = False
        self.height_change_m: float | None = None
        self.tilt_change_deg: float | None = None

    def update(self, floor: FloorPlane | None, person_in_view: bool, t_s: float) -> str | None:
        cal = self.calibration
        if cal is None or floor is None or person_in_view:
            self._since = None
            return self.notice
        self.height_change_m = float(floor.d_m - cal.floor.d_m)
        self.tilt_change_deg = tilt_between_deg(floor, cal.floor)
        moved = abs(self.height_change_m) > MOVED_HEIGHT_M or self.tilt_change_deg > MOVED_TILT_DEG
        text = (f"the camera has moved: recalibrate (height {floor.d_m:.2f} m, calibrated "
                f"{cal.floor.d_m:.2f} m; tilt changed {self.tilt_change_deg:.1f}°): station calibrate")
        if moved == (self.notice is not None):
            self._since = None
            if moved:
                self.notice = text          # keep the figures current
            return self.notice
        if self._since is None:
            self._since = t_s
        if t_s - self._since >= self.hold_s:
            self._since = None
            self.notice = text if moved else None
        return self.notice


__all__ = [
    "CALIBRATION_FILE", "MOVED_HEIGHT_M", "MOVED_TILT_DEG", "CalibrationError", "CalibrationRefused",
    "StoredCalibration", "calibrate", "save_calibration", "load_calibration", "calibration_path",
    "CalibrationWatcher", "MovedCameraCheck", "tilt_between_deg", "camera_roll_deg",
]


# --------------------------------------------------------------------------- `station calibrate`

def _screen_view(cfg, cal: StoredCalibration | None, result: str, ok: bool,
                 refused: CalibrationRefused | None = None):
    from station.overlay.view import Calibration, View
    from station.segment.person import LiftingZone

    m = cfg.camera.mount
    floor = cal.floor if cal is not None else (refused.floor if refused is not None else None)
    height_pitch = F.camera_height_pitch(floor) if floor is not None else (None, None)
    overlay_cal = Calibration(
        floor_found=floor is not None,
        camera_height_m=height_pitch[0], camera_pitch_deg=height_pitch[1],
        person_floor_m=None if refused is None else refused.person_floor_m,
        expected_height_m=m.height_m, expected_pitch_deg=m.pitch_down_deg,
        zone=LiftingZone.from_config(cfg.zone),
        background_fraction=None if cal is None else cal.background_fraction,
        result=result, result_ok=ok)
    return View(state=None, now_s=0.0, calibration=overlay_cal, mode="calibration")


def show_result(cfg, cal: StoredCalibration | None, result: str, ok: bool, *, headless: bool,
                png: str | Path | None = None, show_s: float = 15.0,
                refused: CalibrationRefused | None = None) -> None:
    """Draw the calibration screen (measurements, zone, result) on the mirror for `show_s`
    seconds (a key or closing the window ends it), or headless into `png`."""
    from station.overlay.screens import layout
    from station.overlay.screen import Screen

    d = cfg.display
    size = (d.width_px, d.height_px)
    screen = Screen(size, headless=headless, fullscreen=d.fullscreen and not headless,
                    title="Mirror station calibration", display_index=d.screen_index,
                    rotate_deg=d.rotate_deg)
    try:
        screen.draw(layout(_screen_view(cfg, cal, result, ok, refused), size))
        if png is not None:
            screen.save_png(png)
        if headless:
            return
        end = time.monotonic() + show_s
        while time.monotonic() < end:
            if screen.present() is None or screen.keys:
                break
            time.sleep(0.1)
    finally:
        screen.close()


def _limited(camera, silence_s: float):
    """Frames from `camera` until it has kept us waiting `silence_s` for one (then it is
    stopped). Only time spent waiting on the camera counts: the first frames may take long
    to process while the segmenter's kernels compile (a cold numba cache, tens of seconds
    on a Pi)."""
    import threading

    waiting_since = [None]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            since = waiting_since[0]
            if since is not None and time.monotonic() - since > silence_s:
                camera.stop()
                return

    threading.Thread(target=watch, name="calibrate-watch", daemon=True).start()
    frames = iter(camera)
    try:
        while True:
            waiting_since[0] = time.monotonic()
            try:
                frame = next(frames)
            except StopIteration:
                return
            waiting_since[0] = None
            yield frame
    finally:
        done.set()
        camera.stop()


def run_calibration(cfg, camera, *, headless: bool = False, png: str | Path | None = None,
                    show_s: float = 15.0, n_frames: int = 45, save: bool = True,
                    out=None, err=None) -> int:
    """`station calibrate` on an opened-on-demand LiveCamera: measure, show, store.

    Returns 0 when a calibration was stored, 1 when it was refused (the reason is printed
    and shown; the stored calibration is left as it was). A camera that is missing or busy
    raises station.sources.realsense.SourceError / CameraBusyError from ``camera.open()``.
    """
    import sys

    from station.segment.person import LiftingZone

    out = out or sys.stdout
    err = err or sys.stderr
    camera.open()                      # missing or busy camera: the caller prints why
    print(f"calibrating: keep the lifting zone empty ({n_frames} frames)...", file=out)
    cal, ok, refused = None, False, None
    try:
        cal = calibrate(_limited(camera, 10.0), LiftingZone.from_config(cfg.zone), n_frames=n_frames,
                        camera_serial=camera.serial or "")
    except CalibrationRefused as e:
        refused = e
        result = f"Calibration refused: {e}"
    else:
        ok = True
        result = f"Calibration measured: {cal.summary()}."
        if save:
            try:
                path = save_calibration(cal, cfg.calibration.state_dir)
            except CalibrationError as e:
                ok, result = False, f"Calibration not stored: {e}"
            else:
                result = (f"Calibration saved to {path}. The station uses it from now on "
                          f"(start it again: sudo systemctl start station).")
    print(result, file=out if ok else err)
    if ok and cal is not None:
        m = cfg.camera.mount
        if abs(cal.camera_height_m - m.height_m) > 0.05 or abs(cal.camera_pitch_deg - m.pitch_down_deg) > 3.0:
            print(f"note: camera.mount in the config says {m.height_m:.2f} m and "
                  f"{m.pitch_down_deg:.1f}° down; measured {cal.camera_height_m:.2f} m and "
                  f"{cal.camera_pitch_deg:.1f}°: correct camera.mount (the cue registration uses it)",
                  file=out)
    try:
        show_result(cfg, cal, result, ok, headless=headless, png=png, show_s=show_s, refused=refused)
    except Exception as e:  # no display (e.g. over SSH with the desktop running): text is enough
        print(f"(the calibration screen could not be shown: {e})", file=err)
    return 0 if ok else 1
