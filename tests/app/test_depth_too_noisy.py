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
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from station.fit.noise import NoiseAdaptation
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


def _run(noise_scale: float, reps: int):
    sc = get_scenario("noisy_far@capsule")
    sc = replace(sc, noise_scale=sc.noise_scale * noise_scale, reps=sc.reps[:reps])
    take = build(sc)
    pipe = scenario_pipeline(sc)
    notices, ratios, cues = [], [], []
    for i in range(len(take.times_s)):
        res = pipe.process(camera_frame(take, i))
        notices.append(res.state.notice if res.state is not None else None)
        ratios.append(res.track.depth_noise_ratio)
        if res.state is not None and res.state.cue is not None and res.state.cue.kind == "fault":
            cues.append(res.state.cue.rule)
        if res.tracked and res.track.depth_too_noisy:
            assert res.angle_confidence is not None and max(res.angle_confidence.values()) == 0.0
    return take, pipe.evaluator.finish(), notices, ratios, cues


@pytest.fixture(scope="module")
def far_doubled():
    return _run(2.0, 2)


def test_depth_far_too_noisy_calls_no_fault_and_asks_to_come_closer(far_doubled):
    take, reps, notices, ratios, cues = far_doubled
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
    take, reps, notices, ratios, _ = _run(1.0, 1)
    r = np.array([x for x in ratios if x is not None])
    assert np.percentile(r, 90) < TrackerConfig().noise_too_noisy_ratio
    assert "come_closer" not in notices
    assert len(reps) == 1
    assert {"knee_dominant", "incomplete_lockout"}.isdisjoint(reps[0].not_judged), reps[0].not_judged
