"""The synthetic athlete as a depth source, fed through pyrealsense2's software device.

Frames are rendered by station.sim, pushed into an `rs.software_device` and come back out of
the SDK as DepthFrames, exactly as a camera's would; `record_synthetic` writes them to a
`.db3` recording through `rs.recorder`, with the ground truth beside it as JSON.
"""
from __future__ import annotations

import json
import math
import queue
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from tqdm import tqdm

from station.fileio import check_output
from station.model import DepthFrame
from station.sim.scenarios import Scenario, SyntheticTake, build, get_scenario
from station.sources.realsense import SoftwareDepthCamera, SourceError
from station.sources.recording import Pacer, recording_bytes_estimate, write_recording


def _scenario(s: Scenario | str) -> Scenario:
    return get_scenario(s) if isinstance(s, str) else s


def truth_path_for(recording_path: str | Path) -> Path:
    """OUT.db3 → OUT.truth.json"""
    p = Path(recording_path)
    return p.with_name(p.stem + ".truth.json")


class SyntheticSource:
    """Iterates the scenario's frames as DepthFrames that went through the RealSense SDK.

    real_time: pace frames at the scenario's fps (a demo); otherwise as fast as rendered.
    clock, sleep: what the pacing reads and waits with (time.monotonic, time.sleep).
    Rendering runs in a thread ahead of the consumer (numba releases the GIL), a few frames
    deep, so a real-time consumer sees an even frame rate when rendering keeps up.
    """

    def __init__(self, scenario: Scenario | str, real_time: bool = False, max_frames: int | None = None,
                 serial: str = "MS-SYNTH-0001", *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.scenario = _scenario(scenario)
        self.take: SyntheticTake = build(self.scenario)
        self.real_time = real_time
        self.n_frames = self.take.n_frames if max_frames is None else min(max_frames, self.take.n_frames)
        self.intrinsics = self.take.intrinsics
        self.fps = self.scenario.fps
        self.serial = serial
        self._stop = threading.Event()
        self._clock, self._sleep = clock, sleep

    def _render_ahead(self, out: "queue.Queue") -> None:
        try:
            for i in range(self.n_frames):
                img = self.take.render_u16(i)
                while not self._stop.is_set():
                    try:
                        out.put((i, img), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            out.put(None)
        except BaseException as exc:  # surface render errors in the consumer
            out.put(exc)

    def __iter__(self) -> Iterator[DepthFrame]:
        self._stop.clear()
        q: queue.Queue = queue.Queue(maxsize=4)
        worker = threading.Thread(target=self._render_ahead, args=(q,), name="synthetic-render", daemon=True)
        worker.start()
        pacer = Pacer(sleep=self._sleep, monotonic=self._clock) if self.real_time else None
        try:
            with SoftwareDepthCamera(self.intrinsics, fps=self.fps, serial=self.serial) as cam:
                while True:
                    item = q.get()
                    if item is None:
                        return
                    if isinstance(item, BaseException):
                        raise SourceError(f"synthetic scenario {self.scenario.name}: rendering failed: {item}") from item
                    i, img = item
                    ts = float(self.take.times_s[i])
                    if pacer is not None:   # fell far behind: it restarts its clock, no rush
                        pacer.wait_for(ts)
                    yield cam.push(img, ts, i)
        finally:
            self._stop.set()
            worker.join(timeout=5.0)

    def stop(self) -> None:
        self._stop.set()


def record_synthetic(scenario: Scenario | str, out_path: str | Path, seconds: float | None = None,
                     progress: bool | None = None) -> tuple[int, Path]:
    """Render a scenario into a `.db3` recording and write its truth as OUT.truth.json.

    Returns (frames written, truth path). `seconds` (positive) cuts the take short. Both
    files are written beside their targets and replaced together only once the recording
    is complete and read back (station.fileio); before rendering, the free space is checked.
    """
    sc = _scenario(scenario)
    out_path = Path(out_path)
    if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be a positive number, got {seconds}")
    take = build(sc)
    n = take.n_frames if seconds is None else min(take.n_frames, int(round(seconds * sc.fps)) + 1)
    check_output(out_path, need_bytes=recording_bytes_estimate(take.intrinsics, n))

    def frames() -> Iterator[np.ndarray]:
        # progress None: a bar only when stderr is a terminal (tqdm's disable=None)
        with tqdm(total=n, desc=f"rendering {sc.name}", unit="frame",
                  disable=None if progress is None else not progress) as bar:
            for i in range(n):
                yield take.render_u16(i)
                bar.update()

    doc = take.truth_document(out_path.name)
    if n < take.n_frames:
        doc["frames"] = doc["frames"][:n]
        t_end = float(take.times_s[n - 1])
        doc["reps"] = [r for r in doc["reps"] if r["end_t"] <= t_end]
        doc["rep_count"] = len(doc["reps"])
    truth = truth_path_for(out_path)
    written = write_recording(out_path, frames(), take.intrinsics, sc.fps,
                              timestamps_s=take.times_s[:n],
                              companions={truth: json.dumps(doc, indent=1).encode("utf-8")})
    return written, truth


class SceneImages:
    """Depth images of a scenario's room as the synthetic camera sees it, rendered on
    demand and cached (a looping camera shows the same `n` images over and over).

    with_person=False: the room alone (an empty zone, for calibration); True: the take's
    frames with the athlete (image i is frame first + i * step of the take).
    """

    def __init__(self, scenario: Scenario | str, n: int | None = None, with_person: bool = True,
                 first: int = 0, step: int = 1):
        self.scenario = _scenario(scenario)
        self.take: SyntheticTake = build(self.scenario)
        self.with_person = with_person
        self.first = int(first)
        self.step = max(1, int(step))
        avail = (self.take.n_frames - self.first + self.step - 1) // self.step
        self.n = avail if n is None else max(1, min(int(n), avail))
        self.intrinsics = self.take.intrinsics
        self.fps = self.scenario.fps
        self._cache: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def _render(self, i: int) -> np.ndarray:
        take = self.take
        if self.with_person:
            return take.render_u16(self.first + i * self.step)
        from station.sim.render import Renderer
        from station.sim.scene import scene_primitives
        from station.sim.sensor import apply_d435_noise

        if not hasattr(self, "_renderer"):
            self._renderer = Renderer(self.intrinsics)
            self._scene = scene_primitives(take.scene)
        ideal = self._renderer.render(self._scene, take.T_floor_cam)
        rng = np.random.default_rng([self.scenario.seed, 7919, i])
        return apply_d435_noise(ideal.depth_m, self.intrinsics, take.noise, rng)

    def __call__(self, i: int) -> np.ndarray:
        i %= self.n
        with self._lock:
            img = self._cache.get(i)
            if img is None:
                img = self._cache[i] = np.array(self._render(i), np.uint16, copy=True)
        return img

    def camera(self, serial: str = "MS-SYNTH-0001"):
        """A SoftwareCameraFeed streaming these images in a loop at the scenario's fps."""
        from station.sources.realsense import SoftwareCameraFeed

        return SoftwareCameraFeed(self, self.n, self.intrinsics, fps=self.fps, serial=serial)
