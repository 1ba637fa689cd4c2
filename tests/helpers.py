"""Small test doubles and helpers shared by several test folders."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # annotations only: the helpers import what they use when called
    from station.app import Pipeline
    from station.config import StationConfig
    from station.model import DepthFrame
    from station.sim.scenarios import Scenario
    from station.sim.synthetic_take import SyntheticTake


class SilentSource:
    """A depth source that yields nothing until stopped (a camera that is not there)."""

    def __init__(self):
        self._stop = threading.Event()

    def __iter__(self):
        self._stop.wait(30.0)
        return iter(())

    def stop(self):
        self._stop.set()


def camera_frame(take: SyntheticTake, i: int) -> DepthFrame:
    """Frame i of a synthetic take as the camera delivers it: its noisy uint16 depth in 1 mm
    units, the take's intrinsics and timestamp."""
    from station.model import DepthFrame

    return DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i)


def scenario_pipeline(scenario: Scenario, *, seed: int | None = None, exercise: str | None = "rdl",
                      cfg: StationConfig | None = None) -> Pipeline:
    """A Pipeline in the station's lifting zone re-centred where a scenario's lifter stands
    (the Pipeline the station runs live on that scenario). cfg None: load_station_config();
    seed None: the scenario's own seed."""
    from station.app import Pipeline
    from station.config import load_station_config
    from station.segment.person import LiftingZone

    cfg = load_station_config() if cfg is None else cfg
    zone = scenario.zone_at_lifter(LiftingZone.from_config(cfg.zone))
    return Pipeline(cfg, zone=zone, seed=scenario.seed if seed is None else seed, exercise=exercise)


def segmented_scenario(scenario, seed: int | None = 0):
    """(take, segment): a synthetic scenario's take (a name or a Scenario; built once) and
    segment(i), which renders its frame i as the camera delivers it and segments it in the
    scenario's own lifting zone (a SegmentResult). seed None: the scenario's own seed."""

    from station.config import load_station_config
    from station.segment import Segmenter
    from station.segment.person import LiftingZone
    from station.sim.scenarios import build, get_scenario

    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    take = build(sc)
    zone = sc.zone_at_lifter(LiftingZone.from_config(load_station_config().zone))
    seg = Segmenter(zone, seed=sc.seed if seed is None else seed)

    def segment(i: int):
        return seg.process(camera_frame(take, i))
    return take, segment


def tracked_wrist_errors(scenario, seed: int, first: int, last: int):
    """(last - first + 1, 2) the Tracker's left and right wrist errors (m) over frames
    first..last of a segmented scenario (segmenter seed `seed`), tracked from frame 0; asserts
    every one of those frames is tracked."""
    import numpy as np

    from station.fit.tracker import Tracker
    from station.model import JOINTS

    wrists = [JOINTS.index("wrist_l"), JOINTS.index("wrist_r")]
    take, segment = segmented_scenario(scenario, seed)
    trk = Tracker()
    err = []
    for i in range(last + 1):
        s = segment(i)
        r = trk.update(s.cloud, s.person_height_m)
        if i >= first:
            assert r.tracked, i
            err.append(np.linalg.norm(r.skeleton.points_cam_m[wrists] - take.skeleton_cam_m[i][wrists], axis=1))
    return np.array(err)
