"""bench/skin_spine.py's chord angle: zero on a straight back, the bend on a bent one."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from skin_spine import chord_angle_deg  # noqa: E402


def _back(top_bend_deg: float, turned_deg: float = 0.0) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Four skin points up a back (x forward, y left, z up), the top two turned forward about
    the left axis by top_bend_deg at the third; the whole turned about z by turned_deg."""
    a = np.radians(top_bend_deg)
    pts = np.array([[-0.1, 0, 0.9], [-0.1, 0, 1.0], [-0.1, 0, 1.1],
                    [-0.1 + 0.1 * np.sin(a), 0, 1.1 + 0.1 * np.cos(a)]])
    t = np.radians(turned_deg)
    Rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    return pts @ Rz.T, [np.array([0]), np.array([1]), np.array([2]), np.array([3])], Rz @ np.array([0.0, 1.0, 0.0])


@pytest.mark.parametrize("bend", [0.0, 20.0, -15.0])
@pytest.mark.parametrize("turned", [0.0, 90.0, -35.0])
def test_chord_angle_is_the_backs_sagittal_bend(bend, turned):
    v, bands, left = _back(bend, turned)
    assert chord_angle_deg(v, bands, left) == pytest.approx(bend, abs=1e-9)


def test_a_sideways_lean_is_not_a_bend():
    v, bands, left = _back(0.0)
    v[3] += np.array([0.0, 0.05, 0.0])          # the top point leans to the left
    assert abs(chord_angle_deg(v, bands, left)) < 1e-9
