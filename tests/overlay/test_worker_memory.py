"""A station runs for months: the worker's form evaluator is replaced by a fresh one once the
mirror has been idle with nobody in view for a while, so past visits' reps and sets (logged
already) do not pile up; RunStats keeps only recent per-frame figures."""
from __future__ import annotations

from dataclasses import replace

from station.config import StationConfig
from station.live import FRESH_EVALUATOR_IDLE_S, RECENT_SAMPLES, Latest, RunStats, Worker, _idle_state


def test_past_visits_are_forgotten_after_a_minute_idle_and_only_then():
    cfg = StationConfig.model_validate({"station": {"id": "mem"}})
    w = Worker([], cfg, Latest())
    first = w.pipeline.evaluator
    getattr(first, "ev", first).reps.append("a rep of an earlier visit")   # the judging evaluator
    idle = _idle_state(0.0, cfg.exercise.default)
    live = replace(idle, screen="live")
    w._forget_past_visits(0.0, idle, person_present=False)
    w._forget_past_visits(FRESH_EVALUATOR_IDLE_S - 1, idle, person_present=False)
    assert w.pipeline.evaluator is first                           # not idle long enough yet
    w._forget_past_visits(FRESH_EVALUATOR_IDLE_S + 1, live, person_present=True)   # someone came
    w._forget_past_visits(FRESH_EVALUATOR_IDLE_S + 2, idle, person_present=False)
    w._forget_past_visits(2 * FRESH_EVALUATOR_IDLE_S, idle, person_present=False)
    assert w.pipeline.evaluator is first                           # the idle minute started again
    w._forget_past_visits(2 * FRESH_EVALUATOR_IDLE_S + 3, idle, person_present=False)
    assert w.pipeline.evaluator is not first and not w.pipeline.evaluator.reps and w.fresh_evaluators == 1
    w._forget_past_visits(4 * FRESH_EVALUATOR_IDLE_S, idle, person_present=False)
    assert w.fresh_evaluators == 1                        # nothing to forget: kept


def test_run_stats_keep_only_recent_per_frame_figures():
    st = RunStats()
    for i in range(RECENT_SAMPLES + 500):
        st.draw_ms.append(float(i))
        st.latency_ms.append(float(i))
    assert len(st.draw_ms) == RECENT_SAMPLES and st.draw_ms[-1] == RECENT_SAMPLES + 499
    assert "latency median" in st.summary()
