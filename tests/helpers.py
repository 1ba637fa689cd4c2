"""Small test doubles shared by several test folders."""
from __future__ import annotations

import threading


class SilentSource:
    """A depth source that yields nothing until stopped (a camera that is not there)."""

    def __init__(self):
        self._stop = threading.Event()

    def __iter__(self):
        self._stop.wait(30.0)
        return iter(())

    def stop(self):
        self._stop.set()


def segmented_scenario(scenario, seed: int | None = 0):
    """(take, segment): a synthetic scenario's take (a name or a Scenario; built once) and
    segment(i), which renders its frame i as the camera delivers it and segments it in the
    scenario's own lifting zone (a SegmentResult). seed None: the scenario's own seed."""

    from station.config import load_station_config
    from station.model import DepthFrame
    from station.segment import Segmenter
    from station.segment.person import LiftingZone
    from station.sim.scenarios import build, get_scenario

    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    take = build(sc)
    zone = sc.zone_at_lifter(LiftingZone.from_config(load_station_config().zone))
    seg = Segmenter(zone, seed=sc.seed if seed is None else seed)

    def segment(i: int):
        return seg.process(DepthFrame(depth_raw_u16=take.render_u16(i), depth_units_m=0.001,
                                      intrinsics=take.intrinsics, timestamp_s=float(take.times_s[i]),
                                      frame_number=i))
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
