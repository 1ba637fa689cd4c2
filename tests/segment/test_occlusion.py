"""station.segment.occlusion: how much of the lifter's last clear silhouette a nearer surface
covers, by hand-made images (what counts) and on rendered takes (someone crossing in front
of the lifter, and behind)."""
from __future__ import annotations

import numpy as np
import pytest

from station.model import DepthFrame, FloorPlane, Intrinsics, PersonCloud
from station.segment.occlusion import FrontOcclusion, OcclusionParams
from station.sim.scenarios import build, get_scenario
from tests.helpers import scenario_pipeline

H, W = 60, 80
FLOOR = FloorPlane(normal_cam=np.array([0.0, -1.0, 0.0]), d_m=1.5)
INTR = Intrinsics(W, H, 50.0, 50.0, 40.0, 30.0)


def _scene(lifter_z=2.6, wall_z=5.0):
    """A wall and a lifter's blob (rows 10-50, columns 30-50)."""
    depth = np.full((H, W), wall_z, np.float32)
    mask = np.zeros((H, W), bool)
    mask[10:50, 30:50] = True
    depth[mask] = lifter_z
    return depth, mask


def _cloud(depth, mask):
    v, u = np.nonzero(mask)
    pts = np.zeros((len(u), 3), np.float32)
    pts[:, 2] = depth[v, u]
    return PersonCloud(pts, np.stack([u, v], 1).astype(np.int32), mask, depth, INTR, FLOOR, 0.0)


def test_a_nearer_surface_over_the_lifter_counts_and_nothing_else_does():
    occ = FrontOcclusion()
    depth, mask = _scene()
    assert occ.update(depth, None, 0.0) is None                       # no lifter seen yet
    assert occ.update(depth, _cloud(depth, mask), 0.0) is None        # their silhouette is taken
    assert occ.update(depth, _cloud(depth, mask), 0.05) == 0.0
    # someone 1 m nearer over the left half of where the lifter was, the right half in view
    d = depth.copy()
    d[10:50, 30:40] = 1.6
    m = mask.copy()
    m[:, 30:40] = False
    assert occ.update(d, _cloud(d, m), 0.1) == pytest.approx(0.5)
    # the lifter wholly hidden, no cloud: the silhouette is the last clear frame's
    d[10:50, 30:50] = 1.6
    assert occ.update(d, None, 0.2) == pytest.approx(1.0)
    # the lifter's own hands 0.2 m in front of them (in their cloud, and within the margin)
    d = depth.copy()
    d[30:34, 30:50] = 2.4
    assert occ.update(d, _cloud(d, mask), 0.3) == 0.0
    # equipment in front that never covered a pixel the lifter was seen at (a plate rack)
    d = depth.copy()
    d[50:58, 20:60] = 1.6
    assert occ.update(d, _cloud(d, mask), 0.4) == 0.0
    # behind the lifter is never in front of them
    d = depth.copy()
    d[:, :30] = 3.6
    assert occ.update(d, _cloud(d, mask), 0.5) == 0.0
    # the lifter walking towards the camera: a part of them left out of their cloud is not
    # an occluder
    d = depth.copy()
    d[mask] = 2.1
    m = mask.copy()
    m[10:20] = False
    assert occ.update(d, _cloud(d, m), 0.6) == 0.0
    # nor is a stride or a swinging hand low in the silhouette, 0.45 m ahead of them (as high
    # up, it would be)
    d = depth.copy()
    d[40:50, 30:50] = 2.15
    m = mask.copy()
    m[40:50] = False
    assert occ.update(d, _cloud(d, m), 0.7) == 0.0
    d = depth.copy()
    d[10:20, 30:50] = 2.15
    m = mask.copy()
    m[10:20] = False
    # (of the last clear silhouette: the frame before's, whose cloud left the stride out)
    assert occ.update(d, _cloud(d, m), 0.8) == pytest.approx(200 / 600)


def test_the_lifter_s_silhouette_is_forgotten_once_they_are_gone():
    occ = FrontOcclusion(OcclusionParams(forget_s=10.0))
    depth, mask = _scene()
    occ.update(depth, _cloud(depth, mask), 0.0)
    d = depth.copy()
    d[10:50, 30:50] = 1.6
    assert occ.update(d, None, 5.0) > 0.5
    assert occ.update(d, None, 10.5) is None


@pytest.mark.parametrize("name,in_front", [("walker_in_front", True), ("background_walker", False)])
def test_a_walker_in_front_is_measured_and_one_behind_is_not(name, in_front):
    """Rendered through the sensor model and segmented as the station does: the share is 0
    through the set until someone crosses in front of the lifter, and stays 0 with someone
    crossing behind them."""
    sc = get_scenario(name)
    take = build(sc)
    pipe = scenario_pipeline(sc, seed=0)
    seg = pipe.segmenter
    x_m = take.walker_poses_floor_m[:, 0, 0]
    shares = []
    for i in range(int(np.searchsorted(take.times_s, 15.0))):
        r = seg.process(DepthFrame(take.render_u16(i), 0.001, take.intrinsics, float(take.times_s[i]), i))
        shares.append(np.nan if r.occluded_share is None else r.occluded_share)
    shares = np.asarray(shares)
    n = len(shares)
    far = np.abs(x_m[:n] - sc.lifter_x_m) > 1.5        # the walker well to one side
    assert np.nanmax(shares[far]) < 0.02
    if in_front:
        over = np.abs(x_m[:n] - sc.lifter_x_m) < 0.2   # right in front of the lifter
        assert over.any() and np.all(shares[over] >= 0.05)
    else:
        assert np.nanmax(shares) < 0.02
