"""Depth too noisy to coach from: the coach judges nothing and asks the lifter to come closer.

A stereo camera's depth noise grows with the square of the distance. The fit's confidence
counts its information in the reference noise's units (NoiseAdaptation.info_scale: doubling
the noise barely moves the angles, so the confidence should not fall with it), so at several
times the reference noise a fit that is wrong stays sure: the far take noisy_far with its
noise doubled (the depth noise estimate 4.9x the reference) read the capsule athlete's
standing hips 30 deg flexed and its clean backs 24-52 deg rounded at a confidence of ~0.85,
and called three clean reps rounded and three short of lockout. Past
TrackerConfig.noise_too_noisy_ratio the pipeline gives every angle a confidence of 0 and the
notice "come_closer"; once under noise_clear_ratio, the coach judges again.

A stereo camera's errors come in patches, which the station's decimation averages less than
pixel-scale noise and which the second differences of neighbouring pixels miss: the same far
take in 2 px patches read 2.8x there and called four clean backs rounded. The window
estimate (station.fit.noise.window_noise_m, read while the lifter stands upright) has its own
line, TrackerConfig.noise_window_too_noisy_ratio.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from station.fit.noise import NoiseAdaptation, depth_noise_m, window_noise_m
from station.fit.solver import FitWeights
from station.fit.tracker import TrackerConfig
from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame, scenario_pipeline


def _noisy_plane(rng, sigma_m: float) -> np.ndarray:
    return (2.5 + rng.normal(0.0, sigma_m, (60, 60))).astype(np.float32)


def test_too_noisy_turns_on_past_its_ratio_and_off_under_the_clear_ratio():
    """The estimate (second differences; a plane with white noise reads its sigma) against
    the reference noise: on once past too_noisy_ratio on_updates estimates in a row, held
    between the two ratios (an estimate near the line does not flicker), off under
    clear_ratio."""
    ref = 0.015
    rng = np.random.default_rng(3)
    mask = np.ones((60, 60), bool)
    na = NoiseAdaptation(FitWeights(), ref, 1.0, too_noisy_ratio=3.0, clear_ratio=2.6, on_updates=3)
    assert na.ratio is None and not na.too_noisy
    # (noise in units of the reference, estimates in a row, too_noisy after each)
    for level, wants in ((2.0, (False,)), (3.6, (False, False)), (2.0, (False,)),    # 2 in a row: not yet
                         (3.6, (False, False, True, True)), (2.8, (True, True)),
                         (2.2, (False,)), (2.8, (False, False, False))):
        for want in wants:
            na.update(_noisy_plane(rng, level * ref), mask)
            assert na.ratio == pytest.approx(level, rel=0.1)
            assert na.too_noisy is want, (level, na.ratio)
    with pytest.raises(ValueError, match="clear_ratio"):
        NoiseAdaptation(FitWeights(), ref, 1.0, too_noisy_ratio=2.0, clear_ratio=2.5)
    # the tracker's defaults: a gap between the two
    cfg = TrackerConfig()
    assert cfg.noise_clear_ratio < cfg.noise_too_noisy_ratio


def _decimated_wall(corr_px: float) -> tuple[np.ndarray, np.ndarray]:
    """A flat wall 2.5 m from the camera through the sensor model (noise in patches of
    corr_px pixels, 0: the default grain; no holes), decimated as the segmenter does: (the
    decimated depth, its error against the noiseless wall's)."""
    from station.frames import T_floor_cam_from_mount
    from station.segment import reference as seg_ref
    from station.sim.camera import d435_depth_intrinsics
    from station.sim.render import PrimitiveList, render_depth_m
    from station.sim.sensor import D435Noise, apply_d435_noise

    intr = d435_depth_intrinsics(848, 480)
    ideal = render_depth_m(PrimitiveList().plane([0, -1, 0], [0, 2.5, 0]).build(),
                           T_floor_cam_from_mount(1.0, 0.0), intr)
    noise = D435Noise(hole_fraction=0.0, flying_pixel_prob=0.0, invalid_band=False, noise_corr_sigma_px=corr_px)
    u16 = apply_d435_noise(ideal, intr, noise, np.random.default_rng(0))
    dec = seg_ref.decimate_median_valid(u16, 0.001, 4, 4, 0.05)
    dec_ideal = seg_ref.decimate_median_valid(np.round(ideal / 0.001).astype(np.uint16), 0.001, 4, 4, 0.05)
    return dec, dec - dec_ideal


@pytest.mark.parametrize("corr_px", [0.0, 2.0])
def test_window_estimate_reads_the_noise_in_patches_the_second_differences_miss(corr_px):
    """On a wall, the decimated depth's own noise: the window estimate reads it within 10 %,
    the default grain and patches of 2 px alike; the second differences read the default
    grain but not the patches (under 0.75 of it there)."""
    dec, err = _decimated_wall(corr_px)
    mask = np.zeros(dec.shape, bool)
    mask[10:-10, 10:-10] = True
    truth = float(np.std(err[mask]))
    assert window_noise_m(dec, mask) == pytest.approx(truth, rel=0.10)
    second = depth_noise_m(dec, mask)
    if corr_px == 0.0:
        assert second == pytest.approx(truth, rel=0.10)
    else:
        assert second < 0.75 * truth, (second, truth)


def test_window_estimate_leaves_a_smooth_surface_out():
    """A quadratic surface (a trunk's curve over a window) without noise reads ~0, and a
    mask too small for 20 windows reads NaN."""
    v, u = np.mgrid[0:40, 0:40].astype(np.float64)
    d = (2.5 + 0.002 * (u - 20) + 0.0004 * (u - 20) ** 2 - 0.0003 * (v - 20) * (u - 20)).astype(np.float32)
    mask = np.ones(d.shape, bool)
    assert window_noise_m(d, mask) < 1e-4
    small = np.zeros(d.shape, bool)
    small[:10, :12] = True        # 2 x 4 windows
    assert np.isnan(window_noise_m(d, small))


def test_the_window_estimate_has_its_own_line():
    """too_noisy from the window estimate alone: its estimate the median of the latest
    WINDOW_READINGS readings once WINDOW_FIRST are in (a lifter's first still frame at the
    walk-in read 4.4x: one reading does not move it); on once past window_too_noisy_ratio
    window_on_updates estimates in a row, while the second differences read under their line;
    held through frames with no window reading (the reps: read standing only); off once it is
    back under window_clear_ratio."""
    from station.fit.noise import WINDOW_FIRST
    ref = 0.015
    rng = np.random.default_rng(5)
    mask = np.ones((60, 60), bool)
    na = NoiseAdaptation(FitWeights(), ref, 1.0, too_noisy_ratio=3.0, clear_ratio=2.6, on_updates=10,
                         window_too_noisy_ratio=3.5, window_clear_ratio=3.05, window_on_updates=2)

    def window(level: float) -> None:
        na.update_window(_noisy_plane(rng, level * ref), mask)

    na.update(_noisy_plane(rng, 2.0 * ref), mask)
    assert na.window_ratio is None and not na.too_noisy
    window(6.0)                                           # an outlier first, then the usual
    for _ in range(WINDOW_FIRST - 2):
        window(1.0)
    assert na.window_ratio is None                        # not yet WINDOW_FIRST readings
    window(1.0)
    assert na.window_ratio == pytest.approx(1.0, rel=0.1) and not na.too_noisy
    for _ in range(4):            # the lifter steps back, 4x: the median of 9 is there at the 4th
        window(4.0)
    assert na.window_ratio == pytest.approx(4.0, rel=0.1) and not na.too_noisy   # 1 in a row
    window(4.0)
    assert na.too_noisy
    for _ in range(3):                                    # bent over: second differences only
        na.update(_noisy_plane(rng, 2.0 * ref), mask)
        assert na.too_noisy and na.ratio == pytest.approx(2.0, rel=0.1)
    for _ in range(5):                                    # a step in, 3.2x: between the lines
        window(3.2)
    assert na.too_noisy and na.window_ratio == pytest.approx(3.2, rel=0.1)
    for _ in range(5):                                    # and closer: the median follows
        window(1.0)
    assert not na.too_noisy and na.window_ratio == pytest.approx(1.0, rel=0.1)
    with pytest.raises(ValueError, match="clear_ratio"):
        NoiseAdaptation(FitWeights(), ref, 1.0, window_too_noisy_ratio=3.0, window_clear_ratio=3.2)
    cfg = TrackerConfig()
    assert cfg.noise_window_clear_ratio < cfg.noise_window_too_noisy_ratio


def _run(noise_scale: float, reps: int, corr_px: float = 0.0):
    sc = get_scenario("noisy_far@capsule")
    sc = replace(sc, noise_scale=sc.noise_scale * noise_scale, reps=sc.reps[:reps], noise_corr_px=corr_px)
    take = build(sc)
    pipe = scenario_pipeline(sc)
    notices, ratios, window_ratios, cues = [], [], [], []
    for i in range(len(take.times_s)):
        res = pipe.process(camera_frame(take, i))
        notices.append(res.state.notice if res.state is not None else None)
        ratios.append(res.track.depth_noise_ratio)
        window_ratios.append(res.track.depth_noise_window_ratio)
        if res.state is not None and res.state.cue is not None and res.state.cue.kind == "fault":
            cues.append(res.state.cue.rule)
        if res.tracked and res.track.depth_too_noisy:
            assert res.angle_confidence is not None and max(res.angle_confidence.values()) == 0.0
    return take, pipe.evaluator.finish(), notices, ratios, cues, window_ratios


@pytest.fixture(scope="module")
def far_doubled():
    return _run(2.0, 2)


def test_depth_far_too_noisy_calls_no_fault_and_asks_to_come_closer(far_doubled):
    take, reps, notices, ratios, cues, _ = far_doubled
    assert all(not t.faults for t in take.reps)          # clean reps
    # the depth noise estimate is past the gate for most of the take
    r = np.array([x for x in ratios if x is not None])
    assert np.median(r) > TrackerConfig().noise_too_noisy_ratio
    assert [r_.faults for r_ in reps if r_.faults] == []
    assert all(r_.verdict == "not judged" for r_ in reps)
    assert cues == []
    # the lifter is told what would help, most of the time they are in view
    share = np.mean([n == "come_closer" for n in notices])
    assert share > 0.5, f"come_closer on {share:.0%} of frames"


def test_a_far_lifter_at_the_depth_noise_it_tolerates_is_judged():
    """The same far take at its own noise (the estimate ~2.5x the reference, under the gate):
    no notice to come closer, and the rep is judged (its back may not be: at 3.3 m the
    spine's own confidence decides that)."""
    take, reps, notices, ratios, _, window_ratios = _run(1.0, 1)
    r = np.array([x for x in ratios if x is not None])
    assert np.percentile(r, 90) < TrackerConfig().noise_too_noisy_ratio
    w = np.array([x for x in window_ratios if x is not None])
    assert len(w) > 0.5 * len(window_ratios) and w.max() < TrackerConfig().noise_window_too_noisy_ratio
    assert "come_closer" not in notices
    assert len(reps) == 1
    assert {"knee_dominant", "incomplete_lockout"}.isdisjoint(reps[0].not_judged), reps[0].not_judged


def test_a_far_lifter_in_patchy_noise_is_asked_to_come_closer():
    """The far take at its own per-pixel noise, in 2 px patches: the second differences read
    it under their line (the gate on them alone let it call clean backs rounded), the window
    estimate past its own; no fault, no cue, "come closer" most of the time."""
    take, reps, notices, ratios, cues, window_ratios = _run(1.0, 1, corr_px=2.0)
    r = np.array([x for x in ratios if x is not None])
    assert np.median(r) < TrackerConfig().noise_too_noisy_ratio
    w = np.array([x for x in window_ratios if x is not None])
    assert np.median(w) > TrackerConfig().noise_window_too_noisy_ratio
    assert [r_.faults for r_ in reps if r_.faults] == []
    assert all(r_.verdict == "not judged" for r_ in reps)
    assert cues == []
    share = np.mean([n == "come_closer" for n in notices])
    assert share > 0.5, f"come_closer on {share:.0%} of frames"
