"""The Pipeline owns the form evaluator for `station analyze` and the live station alike: the
worker judges with the pipeline's, a config reload swaps it from the next frame, and a changed
lifting zone restarts tracking without losing the set being judged."""
from __future__ import annotations

from station.app import Pipeline
from station.config import StationConfig, load_profiles
from station.live import Latest, Worker
from station.segment.person import LiftingZone


def _cfg(**sections) -> StationConfig:
    return StationConfig.model_validate({"station": {"id": "pipe"}, **sections})


def test_the_worker_judges_with_its_pipelines_evaluator():
    cfg = _cfg()
    w = Worker([], cfg, Latest())
    assert w.pipeline.evaluator is not None and not hasattr(w, "evaluator")   # one owner
    assert Pipeline(cfg).evaluator is None                       # angles only when no exercise is named
    assert Pipeline(cfg, exercise="rdl").evaluator.exercise == "rdl"


def test_a_reload_swaps_the_evaluator_only_when_what_it_judges_by_changed():
    cfg = _cfg()
    profiles = load_profiles(cfg)
    pipe = Pipeline(cfg, exercise="auto")
    first = pipe.evaluator
    pipe.reconfigure(cfg, profiles)                              # the profiles now handed over
    second = pipe.evaluator
    assert second is not first
    pipe.reconfigure(_cfg(display={"rotate_deg": 90}), profiles)
    assert pipe.evaluator is second                              # nothing it judges by changed
    pipe.reconfigure(_cfg(cues={"hold_s": 3.0}), profiles)
    assert pipe.evaluator is not second
    third = pipe.evaluator
    pipe.reconfigure(_cfg(cues={"hold_s": 3.0}), None)           # profiles unknown: rebuilt
    assert pipe.evaluator is not third


def test_a_new_zone_restarts_tracking_but_keeps_the_evaluator_and_the_clock():
    cfg = _cfg()
    profiles = load_profiles(cfg)
    pipe = Pipeline(cfg, exercise="auto", profiles=profiles)
    evaluator, segmenter, tracker = pipe.evaluator, pipe.segmenter, pipe.tracker
    pipe._t0 = 12.0
    moved = _cfg(zone={"centre_distance_m": 2.2})
    pipe.reconfigure(moved, profiles)
    assert pipe.segmenter is not segmenter and pipe.tracker is not tracker
    assert pipe.segmenter.zone == LiftingZone.from_config(moved.zone)
    assert pipe.evaluator is evaluator                           # the set being judged goes on
    assert pipe._t0 == 12.0                                      # and so does the stream clock


def test_fresh_evaluator_keeps_the_settings():
    pipe = Pipeline(_cfg(), exercise="deadlift")
    first = pipe.evaluator
    pipe.fresh_evaluator()
    assert pipe.evaluator is not first and pipe.evaluator.exercise == "deadlift" and not pipe.evaluator.reps
