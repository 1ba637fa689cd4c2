"""The segmenter on the synthetic athlete (station.sim): a rendered body holding a barbell,
a second person walking behind the zone, a typical gym, D435-like sensor noise."""
from __future__ import annotations

import numpy as np
import pytest

from station import frames
from station.model import DepthFrame, Intrinsics
from station.segment.person import LiftingZone
from station.segment.segmenter import Segmenter
from station.sim import body, scene, sensor
from station.sim import render as R

INTR = Intrinsics(848, 480, 425.0, 425.0, 423.5, 239.5)
T = frames.T_floor_cam_from_mount(1.4, 20.0)
ZONE = LiftingZone(0.0, 2.6, 1.6, 1.4)


def block_majority(label: np.ndarray, raw: np.ndarray, f: int = 4) -> np.ndarray:
    """Majority label of each block's pixels that have depth (what the decimation sees)."""
    h, w = label.shape[0] // f, label.shape[1] // f

    def blocks(a):
        return a[: h * f, : w * f].reshape(h, f, w, f).transpose(0, 2, 1, 3).reshape(h, w, f * f)

    b, valid = blocks(label), blocks(raw) > 0
    counts = np.stack([((b == k) & valid).sum(-1) for k in range(5)], -1)
    return counts.argmax(-1)


def test_rendered_lifter_with_barbell_and_passer_by():
    rng = np.random.default_rng(5)
    noise = sensor.D435Noise()
    gym = R.Primitives.concat(R.PrimitiveList().plane([0, 0, 1], [0, 0, 0]).build(),
                              scene.scene_primitives(scene.typical_gym()))

    def shoot(prims, t_s):
        r = R.render(prims, T, INTR)
        raw = sensor.apply_d435_noise(r.depth_m, INTR, noise, rng)
        return DepthFrame(raw, 0.001, INTR, t_s), r.label

    seg = Segmenter(ZONE, seed=0)
    seg.learn_background([shoot(gym, i / 30)[0] for i in range(5)])
    lifter = body.body_primitives(body.standing_pose(1.78, 0.05, 2.5, grip="bar"), implement="barbell")
    for i, x in enumerate(np.linspace(-1.5, 1.5, 4)):
        other = body.body_primitives(body.standing_pose(1.85, x, 4.3, facing_deg=90)).with_label(
            R.LABEL_OTHER_PERSON)
        frame, label = shoot(R.Primitives.concat(gym, lifter, other), 1 + i / 30)
        res = seg.process(frame)
        assert res.person_present
        assert res.person_height_m == pytest.approx(1.78, abs=0.08)
        maj = block_majority(label, frame.depth_raw_u16)
        m = res.cloud.mask
        pf = frames.apply(frames.T_floor_cam_from_plane(res.floor), res.cloud.points_cam_m.astype(float))
        assert pf[:, 1].max() < 3.7  # nothing from the passer-by at y = 4.3
        on = np.bincount(maj[m], minlength=5)
        assert on[R.LABEL_OTHER_PERSON] == 0 and on[R.LABEL_SCENE] < 0.02 * m.sum()
        assert on[R.LABEL_LIFTER] + on[R.LABEL_IMPLEMENT] > 0.9 * m.sum()
        lifter_px = maj == R.LABEL_LIFTER
        assert (m & lifter_px).sum() > 0.85 * lifter_px.sum()
