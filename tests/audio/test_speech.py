"""Spoken cues through pygame's mixer on SDL's dummy audio driver: the right phrase starts at
the right moment (the frame that shows its cue), never two sounds at once; silent without a
device; the phrases synthesised by espeak-ng into the WAV cache."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

os.environ["SDL_AUDIODRIVER"] = "dummy"

from station.audio.speech import (  # noqa: E402
    SAMPLE_RATE_HZ, TONE_KEY, AudioCues, PhraseCache, Speaker, _atomic_write_wav, rep_tone,
)
from station.config import load_exercise  # noqa: E402
from station.form.evaluator import evaluate_trace  # noqa: E402
from tests.form.traces import hinge, script  # noqa: E402


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def wav(tmp_path, name: str, seconds: float):
    n = int(SAMPLE_RATE_HZ * seconds)
    x = (3000 * np.sin(np.arange(n) * 0.05)).astype(np.int16)
    p = tmp_path / f"{name}.wav"
    _atomic_write_wav(p, x, SAMPLE_RATE_HZ)
    return p


@pytest.fixture
def speaker(tmp_path):
    import pygame

    pygame.mixer.quit()
    clock = Clock()
    sp = Speaker(0.5, clock=clock)
    assert sp.available, "SDL's dummy audio driver must open"
    for key, s in (("A", 1.0), ("B", 0.6), ("C", 0.5)):
        sp.load(key, wav(tmp_path, key, s))
    _atomic_write_wav(tmp_path / "tone.wav", rep_tone(), SAMPLE_RATE_HZ)
    sp.load(TONE_KEY, tmp_path / "tone.wav")
    yield sp, clock
    sp.close()
    pygame.mixer.quit()


def no_overlap(played):
    for a, b in zip(played, played[1:]):
        assert a.start_mono + a.duration_s <= b.start_mono + 1e-9, (a, b)


def test_one_phrase_at_a_time_queued_then_played(speaker):
    sp, clock = speaker
    assert sp.say("A", 3.0)
    clock.t = 0.2
    assert sp.say("B", 3.0)              # waits for A
    clock.t = 0.3
    assert sp.say("C", 4.0)              # a newer, less important one replaces the waiting B
    sp.poll()
    assert [p.key for p in sp.played] == ["A"]
    clock.t = 0.9
    sp.poll()
    assert [p.key for p in sp.played] == ["A"]
    clock.t = 1.01
    sp.poll()
    assert [p.key for p in sp.played] == ["A", "C"]
    assert sp.played[1].start_mono == pytest.approx(1.01)
    no_overlap(sp.played)


def test_a_more_important_phrase_cuts_in_and_the_tone_never_talks_over(speaker):
    sp, clock = speaker
    sp.say("A", 4.0)
    clock.t = 0.4
    assert not sp.tone()                 # speaking: no tone
    sp.say("B", 1.0)                     # more important: A stops, B starts now
    assert [p.key for p in sp.played] == ["A", "B"]
    assert sp.played[0].duration_s == pytest.approx(0.4)
    no_overlap(sp.played)
    clock.t = 1.1
    sp.poll()
    assert sp.tone() and sp.played[-1].key == TONE_KEY


def test_the_cue_shown_is_spoken_on_that_frame_and_a_rep_gives_a_tone(speaker, tmp_path):
    """A scripted set through the form evaluator: each new cue on screen is spoken at the frame
    that first shows it (or as soon as the phrase before it ends), each counted rep without a
    cue gives a tone, and no two sounds ever overlap."""
    sp, clock = speaker
    t, ang, _ = script(hinge(spine=32) + hinge() + hinge(depth=75, knee=50) + hinge())
    ev = evaluate_trace(load_exercise("rdl"), t, ang, keep_states=True)
    texts = {s.cue.text for s in ev.states if s.cue is not None}
    for i, text in enumerate(sorted(texts)):
        sp.load(text, wav(tmp_path, f"cue{i}", 0.8))
    cues = AudioCues(sp, PhraseCache("/nonexistent"), rep_tone=True)
    first_shown = {}
    prev_key = None
    for s in ev.states:
        clock.t = s.t_s
        cues.shown(s)
        key = s.cue.key if s.cue is not None else None
        if key is not None and key != prev_key:
            first_shown.setdefault(s.cue.text, []).append(s.t_s)
        prev_key = key
    spoken = [p for p in sp.played if p.key != TONE_KEY]
    assert spoken, "nothing was said"
    for p in spoken:
        # started when its cue first appeared, or right after the phrase before it ended
        starts = first_shown[p.key]
        ok = any(abs(p.start_mono - t0) < 1e-9 for t0 in starts)
        prev = [q for q in sp.played if q.start_mono < p.start_mono]
        waited = prev and abs(prev[-1].start_mono + prev[-1].duration_s - p.start_mono) < 0.05
        assert ok or waited, (p, starts)
    assert any(p.key == TONE_KEY for p in sp.played), "no rep tone"
    no_overlap(sp.played)


def test_quiet_hours_say_nothing(speaker):
    sp, clock = speaker
    from station.model import CoachState, Cue

    cues = AudioCues(sp, PhraseCache("/nonexistent"), quiet=lambda: True)
    st = CoachState(1.0, "rdl", "live", "lowering", 1, Cue("A", "A", "fault", "rounded_back", 1.0),
                    None, None, None, None, {})
    cues.shown(st)
    assert sp.played == []


def test_no_audio_device_runs_silently_and_says_so_once(monkeypatch, caplog):
    import pygame

    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    with caplog.at_level("WARNING"):
        sp = Speaker(0.5)
    assert not sp.available and not sp.say("anything") and not sp.tone()
    assert sum("runs silently" in r.message for r in caplog.records) == 1
    pygame.mixer.quit()


@pytest.mark.skipif(shutil.which("espeak-ng") is None,
                    reason="espeak-ng missing: scripts/setup.sh installs it")
def test_phrases_are_synthesised_once_into_the_cache(tmp_path):
    cache = PhraseCache(tmp_path, "en-us", 165)
    made, problems = cache.ensure(["Push your hips back", "Good rep!"])
    assert made == 2 and problems == []
    p = cache.path("Push your hips back")
    import wave

    with wave.open(str(p)) as w:
        secs = w.getnframes() / w.getframerate()
    assert 0.5 < secs < 3.0
    mtime = p.stat().st_mtime_ns
    assert cache.ensure(["Push your hips back"]) == (0, [])      # cached: not synthesised again
    assert p.stat().st_mtime_ns == mtime
    assert PhraseCache(tmp_path, "en-gb", 165).path("Good rep!") != cache.path("Good rep!")
    assert not list(tmp_path.glob("*.tmp*"))
