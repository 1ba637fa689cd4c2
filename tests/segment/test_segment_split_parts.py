"""Regression: the head and the shanks split off from the lifter's blob were dropped.

Bug: on the synthetic athlete at the bottom of a barbell hinge the head (nearer the camera
than the chest) and the shanks below the bar (cut off by the bar and the hinged torso) were
separate connected components; only the chosen component was kept, so the cloud held the
torso and arms, and the dropped parts were then learned into the background within a few
frames. Fix: person.merge_person joins the components within a 3D gap of the lifter's blob
(kernels.component_gaps) and keeps them out of background learning. A second person walking
1.2 m behind the lifter must stay out.

Coverage is measured at the decimated resolution on blocks whose valid pixels are mostly
one label (what the decimation sees); the segmenter runs on every second frame of a short
warm-up and then on every frame of the descent to the checked frame (the dropped parts
disappeared over a few consecutive frames), to keep the test fast.
"""
from __future__ import annotations

import numpy as np
import pytest

from station.segment.person import LiftingZone
from station.config import load_station_config
from station.model import DepthFrame
from station.segment.segmenter import Segmenter
from station.sim.scenarios import build, get_scenario

F = 4  # decimation
LIFTER, IMPLEMENT, OTHER = 1, 2, 3
HEAD_PARTS = ("head", "nose")
SHANK_PARTS = ("calf_l", "calf_r", "shin_l", "shin_r")  # below the knees


def _blocks(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[0] // F, a.shape[1] // F
    return a[: h * F, : w * F].reshape(h, F, w, F).transpose(0, 2, 1, 3).reshape(h, w, F * F)


def block_fraction(pixels: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Fraction of each block's valid (depth > 0) pixels that are in `pixels`."""
    valid = _blocks(raw) > 0
    return (_blocks(pixels) & valid).sum(-1) / np.maximum(valid.sum(-1), 1)


def truth_maps(take, i: int, raw: np.ndarray) -> dict[str, np.ndarray]:
    """Decimated truth: blocks mostly lifter, mostly head, mostly shank, mostly walker."""
    r = take.render_ideal(i)
    label, index = r.label.copy(), r.prim_index.copy()
    names = np.array(take.primitives(i).names + ("",))
    part = names[np.where(index >= 0, index, len(names) - 1)]
    lifter = label == LIFTER
    return {
        "lifter": block_fraction(lifter, raw) > 0.5,
        "head": block_fraction(lifter & np.isin(part, HEAD_PARTS), raw) > 0.5,
        "shank": block_fraction(lifter & np.isin(part, SHANK_PARTS), raw) > 0.5,
        "walker": block_fraction(label == OTHER, raw) >= 0.75,
    }


def run(take, seg: Segmenter, frames_: list[int]):
    res = None
    for i in frames_:
        raw = take.render_u16(i)
        res = seg.process(DepthFrame(raw, 0.001, take.intrinsics, float(take.times_s[i])))
    return res, raw


def coverage(mask: np.ndarray, truth: np.ndarray) -> float:
    return float((mask & truth).sum() / max(1, truth.sum()))


@pytest.mark.parametrize("scenario", ["rdl_mixed_faults", "rdl_clean"])
def test_head_and_shanks_split_off_by_bar_stay_with_lifter(scenario):
    take = build(get_scenario(scenario))
    seg = Segmenter(LiftingZone.from_config(load_station_config().zone), seed=0)
    fps = 1.0 / float(take.times_s[1] - take.times_s[0])
    standing = 30
    bottom = int(round(take.reps[0].bottom_t * fps))
    # every frame of the descent: the bug needs a few frames to eat the split-off parts
    checks = {"standing": (list(range(0, standing + 1, 2)), standing),
              "bottom": (list(range(bottom - 28, bottom + 1)), bottom)}
    for what, (frames_, i) in checks.items():
        res, raw = run(take, seg, frames_)
        assert res.person_present, what
        t = truth_maps(take, i, raw)
        m = res.cloud.mask
        assert t["head"].sum() > 20 and t["shank"].sum() > 30, what
        cov = {k: coverage(m, t[k]) for k in ("lifter", "head", "shank")}
        assert cov["lifter"] >= 0.85, (what, cov)
        assert cov["head"] >= 0.70, (what, cov)
        assert cov["shank"] >= 0.70, (what, cov)
        # the head still counts for the lifter's height at the bottom
        assert res.person_height_m > 1.0, what


def test_walker_behind_the_hinging_lifter_stays_out():
    take = build(get_scenario("background_walker"))
    seg = Segmenter(LiftingZone.from_config(load_station_config().zone), seed=0)
    run(take, seg, list(range(0, 31, 2)))
    lifter_x = float(take.poses_floor_m[0, 0, 0])
    behind = [i for i in range(240, 330, 3)
              if abs(float(take.walker_poses_floor_m[i, 0, 0]) - lifter_x) < 0.7]
    assert len(behind) >= 8
    seen = 0
    for i in range(behind[0] - 12, behind[-1] + 1, 3):
        res, raw = run(take, seg, [i])
        if i not in behind:
            continue
        assert res.person_present
        t = truth_maps(take, i, raw)
        seen += int(t["walker"].sum() > 20)
        assert not (res.cloud.mask & t["walker"]).any(), i
        assert coverage(res.cloud.mask, t["lifter"]) >= 0.85, i
    assert seen >= 4
