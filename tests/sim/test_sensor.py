"""D435 sensor model: kernels == NumPy twins; noise grows as z²; invalid band; quantisation;
foreground fattening."""
from __future__ import annotations


from dataclasses import replace

import numpy as np
import pytest

from station.frames import T_floor_cam_from_mount
from station.model import Intrinsics
from station.sim import _render_kernels as K
from station.sim import render_reference as ref
from station.sim.render import PrimitiveList, render_depth_m
from station.sim.sensor import D435Noise, apply_d435_noise, fatten_foreground, unit_variance_kernel

INTR = Intrinsics(424, 240, 212.0, 212.0, 211.5, 119.5)
T_LEVEL = T_floor_cam_from_mount(1.0, 0.0)
CLEAN = D435Noise(hole_fraction=0.0, flying_pixel_prob=0.0, invalid_band=False)


def random_depth(rng, h, w):
    d = rng.uniform(0.5, 6.0, (h, w)).astype(np.float32)
    d[rng.random((h, w)) < 0.2] = 0.0
    # a few blocks so there are real edges
    d[h // 4:h // 2, w // 4:w // 2] = 1.0
    return d


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (1, 7), (13, 17), (32, 48)])
def test_sensor_kernels_equal_references(shape, rng=None):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    h, w = shape
    d = random_depth(rng, h, w)
    out = np.empty((h, w), np.uint8)
    K.stereo_occlusion(d, 10.6, 0.25, out)
    np.testing.assert_array_equal(out, ref.stereo_occlusion(d, 10.6, 0.25))
    u01 = rng.random((h, w), dtype=np.float32)
    fly = np.empty_like(d)
    K.flying_pixels(d, 0.05, u01, 0.4, fly)
    np.testing.assert_allclose(fly, ref.flying_pixels(d, 0.05, u01, 0.4), rtol=1e-6)
    white = rng.standard_normal((h, w), dtype=np.float32)
    n = np.empty_like(white)
    K.correlated_noise(white, 0.8, 0.2, n)
    np.testing.assert_allclose(n, ref.correlated_noise(white, 0.8, 0.2), atol=1e-5)
    kern = unit_variance_kernel(1.5)
    K.smooth_noise(white, kern, np.empty_like(white), n)
    np.testing.assert_allclose(n, ref.smooth_noise(white, kern), atol=1e-5)
    k = 5 if h * w else 0
    sv = rng.integers(0, max(h, 1), k).astype(np.int32)
    su = rng.integers(0, max(w, 1), k).astype(np.int32)
    rad = rng.integers(0, 4, k).astype(np.int32)
    mask = np.zeros((h, w), np.uint8)
    K.stamp_holes(sv, su, rad, mask)
    np.testing.assert_array_equal(mask, ref.stamp_holes(sv, su, rad, (h, w)))
    q = np.empty((h, w), np.uint16)
    K.disparity_noise_quantise(d, n, mask, 10.6, 0.08, 0.28, 5.0, 0.001, q)
    expect = ref.disparity_noise_quantise(d, n, mask, 10.6, 0.08, 0.28, 5.0, 0.001)
    assert np.abs(q.astype(int) - expect.astype(int)).max(initial=0) <= 1  # rounding ties only


def wall_depth(distance_m):
    wall = PrimitiveList().plane([0, -1, 0], [0, distance_m, 0]).build()
    return render_depth_m(wall, T_LEVEL, INTR)


@pytest.mark.parametrize("z", [1.0, 2.0, 3.0])
def test_noise_rms_on_a_flat_wall_follows_z_squared(z):
    d = wall_depth(z)
    noise = D435Noise(hole_fraction=0.0, flying_pixel_prob=0.0)
    u16 = apply_d435_noise(d, INTR, noise, np.random.default_rng(1))
    ok = u16 > 0
    err = u16[ok] * 0.001 - d[ok]
    expected = z * z * 0.08 / (INTR.fx * 0.05)
    assert abs(err.std() / expected - 1.0) < 0.2
    assert abs(err.mean()) < 0.2 * expected + 0.0005


@pytest.mark.parametrize("sigma_px", [1.0, 2.0, 4.0])
def test_noise_in_patches_keeps_the_per_pixel_rms_and_is_correlated_as_specified(sigma_px):
    """noise_corr_sigma_px: the same per-pixel RMS on a flat wall, correlated between pixels d
    apart as exp(-d^2 / (4 sigma^2)) (the Gaussian's autocorrelation)."""
    z = 2.0
    d = wall_depth(z)
    noise = D435Noise(hole_fraction=0.0, flying_pixel_prob=0.0, invalid_band=False, depth_unit_m=1e-4,
                      noise_corr_sigma_px=sigma_px)
    err = apply_d435_noise(d, INTR, noise, np.random.default_rng(2)).astype(np.float64) * 1e-4 - d
    expected = z * z * 0.08 / (INTR.fx * 0.05)
    assert abs(err.std() / expected - 1.0) < 0.2
    e = err[20:-20, 20:-20] - err[20:-20, 20:-20].mean()
    for lag in (1, 2, 4):
        rho = float(np.mean(e[:, :-lag] * e[:, lag:]) / np.mean(e * e))
        assert rho == pytest.approx(np.exp(-lag * lag / (4 * sigma_px ** 2)), abs=0.1), (lag, rho)
    with pytest.raises(ValueError, match="noise_corr_sigma_px"):
        D435Noise(noise_corr_sigma_px=-1.0)


def test_invalid_band_left_of_a_near_box_has_the_predicted_width():
    near, far = 1.0, 3.0
    scene = (PrimitiveList().plane([0, -1, 0], [0, far, 0]).box([0, near + 0.1, 1.0], np.eye(3), [0.2, 0.1, 0.2])
             .build())
    d = render_depth_m(scene, T_LEVEL, INTR)
    u16 = apply_d435_noise(d, INTR, CLEAN.__class__(hole_fraction=0.0, flying_pixel_prob=0.0,
                                                   subpixel_rms_px=0.0), np.random.default_rng(0))
    row = 119
    box_cols = np.nonzero(np.abs(d[row] - near) < 1e-3)[0]
    left, right = box_cols.min(), box_cols.max()
    zeros = np.nonzero(u16[row] == 0)[0]
    predicted = INTR.fx * 0.05 * (1 / near - 1 / far)
    band = zeros[(zeros < left) & (zeros > left - 3 * predicted)]
    assert abs(len(band) - predicted) <= 1.5
    assert band.max() == left - 1  # contiguous with the box's left edge
    assert not ((zeros > right) & (zeros < right + predicted)).any()  # nothing on the right
    # the image's left border: outside the right imager, fx·B/z wide
    assert abs(np.argmax(u16[5] > 0) - INTR.fx * 0.05 / far) <= 1.5


def test_quantisation_is_1mm_and_range_limits():
    d = wall_depth(2.0)
    d[:10] = 0.2  # nearer than the minimum range
    d[10:20] = 11.0  # beyond the maximum
    u16 = apply_d435_noise(d, INTR, D435Noise(hole_fraction=0.0, flying_pixel_prob=0.0, subpixel_rms_px=0.0,
                                               invalid_band=False), np.random.default_rng(0))
    assert u16.dtype == np.uint16
    assert (u16[:20] == 0).all()
    np.testing.assert_array_equal(u16[20:], np.floor(d[20:] * 1000.0 + 0.5).astype(np.uint16))


def test_holes_and_flying_pixels_appear():
    scene = (PrimitiveList().plane([0, -1, 0], [0, 4.0, 0]).plane([0, 0, 1], [0, 0, 0])
             .sphere([0, 2.0, 1.0], 0.3).build())
    d = render_depth_m(scene, T_floor_cam_from_mount(1.5, 15.0), INTR)
    u16 = apply_d435_noise(d, INTR, D435Noise(invalid_band=False, subpixel_rms_px=0.0, hole_fraction=0.01),
                           np.random.default_rng(0))
    holes = (u16 == 0) & (d > 0)
    assert 0.003 < holes.mean() < 0.05
    z = u16 * 0.001
    mid = (z > 0) & (np.abs(z - d) > 0.05)  # flying pixels: between fore- and background
    assert 5 < mid.sum() < 0.05 * d.size
    # deterministic for a seed
    again = apply_d435_noise(d, INTR, D435Noise(invalid_band=False, subpixel_rms_px=0.0, hole_fraction=0.01),
                             np.random.default_rng(0))
    np.testing.assert_array_equal(u16, again)


def test_fattening_grows_a_near_outline_over_what_lies_behind_it():
    d = np.full((40, 60), 4.0, np.float32)
    d[10:20, 20:30] = 1.5            # a near box
    d[30:, :] = 3.98                 # a step too small to be an edge (the floor's slope)
    d[0, 0] = 0.0                    # nothing seen: the farthest
    out = fatten_foreground(d, 2, 0.05)
    near = np.abs(out - 1.5) < 1e-6
    rows, cols = np.nonzero(near)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 21, 18, 31)   # 2 px each way
    assert near[[8, 8, 21, 21], [18, 31, 18, 31]].sum() == 0                     # a disc, not a square
    np.testing.assert_array_equal(out[29:, :], d[29:, :])                       # no edge there
    assert out[0, 0] == pytest.approx(4.0)                                       # the wall grows into nothing
    np.testing.assert_array_equal(fatten_foreground(d, 0, 0.05), d)
    fat = apply_d435_noise(d, Intrinsics(60, 40, 50.0, 50.0, 29.5, 19.5),
                           replace(CLEAN, subpixel_rms_px=0.0, edge_fattening_px=2), np.random.default_rng(0))
    assert (fat == 1500).sum() == near.sum()


def test_bad_parameters_raise():
    with pytest.raises(ValueError):
        D435Noise(baseline_m=0.0)
    with pytest.raises(ValueError):
        D435Noise(min_z_m=11.0)
    with pytest.raises(ValueError):
        D435Noise(edge_fattening_px=-1)
    with pytest.raises(ValueError):
        apply_d435_noise(np.zeros((3, 3), np.float32), INTR, D435Noise(), np.random.default_rng(0))
    assert D435Noise().sigma_z_m(2.0, 424.0) == pytest.approx(4 * 0.08 / (424 * 0.05))
