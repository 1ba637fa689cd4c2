"""Equipment beside the lifter is learned into the background, not kept out of it as a part of
the lifter.

The lifter's parts that the merge leaves out for a frame (a shank cut off by the bar) are kept
out of background learning when they lie near the lifter's footprint (near_footprint). With a
barbell that footprint spans the plates, and so it reached the plyo box standing in front of
the left plate: never learned, the box stayed foreground. With a stereo camera's foreground
fattening (`D435Noise.edge_fattening_px`) the plate's outline then touched the box, and body,
bar and box made one component, too wide to be the lifter (its footprint centroid left the
track): the segmenter kept the head alone, a cloud of 80-90 points, and the track was lost
at the bottom of the rep (mesh shape Q's clean set, 4.1-4.4 s). A component on the floor
whose footprint is larger than BlobParams.part_footprint_m (both ways, one way) is no part of
a person, and is learned.
"""
from dataclasses import replace

import numpy as np

from station.config import load_station_config
from station.segment.person import BlobParams, LiftingZone, near_footprint
from station.segment.segmenter import Segmenter, SegmenterParams
from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame

BOX = np.array([[900, -1017.0, 1971.0, -1.38, -0.88, 1.74, 2.64, 0.04, 0.64]])  # a plyo box (Q)
SHANKS = np.array([[160, -10.0, 400.0, -0.22, 0.20, 2.35, 2.65, 0.0, 0.5]])     # both, one piece
LEGS_TURNED = np.array([[300, -30.0, 750.0, -0.35, 0.10, 2.30, 2.75, 0.0, 0.9]])  # apart, at 45 deg
PLATE_HELD = np.array([[120, 88.0, 380.0, 0.40, 1.10, 2.90, 3.45, 0.6, 1.04]])   # noisy, at 3 m
LIFTER_BOX_M = np.array([-1.2, 1.2, 2.3, 2.8])     # footprint of body, bar and plates


def test_a_component_wider_than_a_body_part_each_way_is_not_the_lifters():
    p = BlobParams()
    for rows, near in ((BOX, False), (SHANKS, True), (LEGS_TURNED, True), (PLATE_HELD, True)):
        got = near_footprint(rows, LIFTER_BOX_M, p.merge_footprint_margin_m, p.floor_object_bottom_m,
                             p.part_footprint_m)
        assert got.tolist() == [near]
    # without the size rule the box counted as the lifter's
    assert near_footprint(BOX, LIFTER_BOX_M, p.merge_footprint_margin_m, p.floor_object_bottom_m).all()


def _smallest_cloud(part_footprint_m: tuple[float, float]) -> int:
    """The smallest cloud (points) of mesh shape Q's clean set with 2 px of fattening at the
    bottom of its first rep (4.0-4.5 s), segmented from the first frame on."""
    sc = replace(get_scenario("mesh_Q_clean"), edge_fattening_px=2)
    take = build(sc)
    zone = sc.zone_at_lifter(LiftingZone.from_config(load_station_config().zone))
    params = SegmenterParams()
    seg = Segmenter(zone, seed=sc.seed, params=replace(params, blob=replace(params.blob, part_footprint_m=part_footprint_m)))
    sizes = []
    for i in range(int(np.searchsorted(take.times_s, 4.5))):
        res = seg.process(camera_frame(take, i))
        if take.times_s[i] >= 4.0:
            sizes.append(0 if res.cloud is None else len(res.cloud.points_cam_m))
    return min(sizes)


def test_a_plyo_box_is_learned_and_a_fattened_plate_does_not_join_it_to_the_lifter():
    assert _smallest_cloud(BlobParams().part_footprint_m) > 600
    assert _smallest_cloud((np.inf, np.inf)) < 150        # before: the head alone
