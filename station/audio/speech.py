"""Spoken cues: at the bottom of a hinge the lifter looks at the floor, not the mirror.

Three parts, each owning one thing:

- ``PhraseCache``: the WAV file of every phrase the station may say, synthesised offline
  with espeak-ng (Debian/Raspberry Pi OS package ``espeak-ng``; ``station audio prepare``
  at set-up, or in a background thread on first use) into a cache directory, named by a
  hash of (text, voice, rate), written to a temporary file and renamed. Never in the frame
  loop. The rep tone is synthesised with NumPy into the same cache.
- ``Speaker``: the only user of ``pygame.mixer``. One channel, so never two sounds at once:
  a new phrase waits in a one-deep queue for the one playing (a newer request replaces a
  waiting one; a more important one cuts in); the rep tone only plays when nothing is
  speaking. Without an audio device (``pygame.mixer.init`` fails) it stays silent and logs
  that once. Every play is recorded in ``played`` (monotonic start, key, duration) for tests
  and benchmarks.
- ``AudioCues``: follows the CoachState the overlay draws: a new cue on screen is spoken as
  the frame showing it is flipped, a counted rep gives a tone; off, muted or in quiet hours
  it says nothing.

Staff configure it in ``[audio]`` (station.config.AudioSection): enabled, volume, voice,
rate_wpm, rep_tone, quiet_hours, cache_dir.
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import shutil
import subprocess
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from station import fileio

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 22050
MIXER_BUFFER = 512            # samples: ~23 ms of output latency at 22.05 kHz
TONE_KEY = "__rep_tone__"
ESPEAK = "espeak-ng"


def default_cache_dir() -> Path:
    """$CACHE_DIRECTORY/speech under systemd (CacheDirectory=station), else
    $XDG_CACHE_HOME/station/speech or ~/.cache/station/speech."""
    if os.environ.get("CACHE_DIRECTORY"):
        return Path(os.environ["CACHE_DIRECTORY"].split(":")[0]) / "speech"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "station" / "speech"


def synthesiser_available() -> bool:
    return shutil.which(ESPEAK) is not None


def _atomic_write_wav(path: Path, samples_i16: np.ndarray, rate: int) -> None:
    """A mono 16-bit WAV, written whole through station.fileio."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples_i16, np.int16).tobytes())
    fileio.write_bytes(path, buf.getvalue())


def rep_tone(rate: int = SAMPLE_RATE_HZ, freq_hz: float = 880.0, length_s: float = 0.09) -> np.ndarray:
    """A short soft tone (int16): a sine with 10 ms raised-cosine ends (no click)."""
    n = int(rate * length_s)
    t = np.arange(n) / rate
    x = np.sin(2 * np.pi * freq_hz * t) + 0.3 * np.sin(4 * np.pi * freq_hz * t)
    ramp = int(0.01 * rate)
    env = np.ones(n)
    env[:ramp] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp))
    env[-ramp:] = env[:ramp][::-1]
    return (0.45 * 32767 / 1.3 * x * env).astype(np.int16)


class SynthesisError(RuntimeError):
    pass


@dataclass
class PhraseCache:
    """WAV files of phrases for one voice and rate, in `directory`."""

    directory: Path
    voice: str = "en-us"
    rate_wpm: int = 165

    def path(self, text: str) -> Path:
        h = hashlib.sha1(f"{ESPEAK}|{self.voice}|{self.rate_wpm}|{text}".encode()).hexdigest()[:16]
        return Path(self.directory) / f"{h}.wav"

    def tone_path(self) -> Path:
        return Path(self.directory) / "rep_tone.wav"

    def have(self, text: str) -> bool:
        return self.path(text).is_file()

    def synthesise(self, text: str) -> Path:
        """The phrase's WAV (synthesised now if missing). Raises SynthesisError."""
        out = self.path(text)
        if out.is_file():
            return out
        if not synthesiser_available():
            raise SynthesisError(f"{ESPEAK} is not installed (apt-get install espeak-ng; scripts/setup.sh does it)")
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        staged = fileio.StagedFile(out)   # espeak-ng writes the temporary file; commit renames it
        try:
            with staged as tmp:
                subprocess.run([ESPEAK, "-v", self.voice, "-s", str(self.rate_wpm), "-w", str(tmp), "--", text],
                               check=True, capture_output=True, timeout=30)
                staged.commit()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, fileio.FileWriteError) as e:
            detail = getattr(e, "stderr", b"") or b""
            raise SynthesisError(f"{ESPEAK} -v {self.voice} failed for {text!r}: "
                                 f"{detail.decode(errors='replace').strip() or e}") from None
        return out

    def ensure(self, texts: Iterable[str]) -> tuple[int, list[str]]:
        """Synthesise every missing phrase and the tone; returns (made, problems)."""
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        if not self.tone_path().is_file():
            _atomic_write_wav(self.tone_path(), rep_tone(), SAMPLE_RATE_HZ)
        made, problems = 0, []
        for text in dict.fromkeys(texts):
            if self.have(text):
                continue
            try:
                self.synthesise(text)
                made += 1
            except SynthesisError as e:
                problems.append(str(e))
                if not synthesiser_available():
                    break
        return made, problems


def station_phrases() -> list[str]:
    """Every text the station may speak: the cue texts (station.form.texts)."""
    from station.form.texts import TEXTS_EN

    return list(dict.fromkeys(TEXTS_EN.values()))


@dataclass
class Played:
    start_mono: float
    key: str
    duration_s: float


class Speaker:
    """pygame's mixer, one channel (see the module docstring). `clock`: time.monotonic."""

    def __init__(self, volume: float = 0.8, clock: Callable[[], float] = time.monotonic):
        self.volume = float(volume)
        self.clock = clock
        self.available = False
        self.played: list[Played] = []
        self._sounds: dict[str, object] = {}
        self._lengths: dict[str, float] = {}
        self._pending: tuple[str, float] | None = None        # (key, priority)
        self._playing: tuple[str, float, float] | None = None  # (key, priority, ends_mono)
        self._lock = threading.Lock()
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame

            self._pg = pygame
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=SAMPLE_RATE_HZ, size=-16, channels=1, buffer=MIXER_BUFFER)
            self._channel = pygame.mixer.Channel(0)
            self.available = True
        except Exception as e:  # pygame.error: no audio device (or no SDL audio driver)
            log.warning("no audio device (%s): the station runs silently", e)

    def load(self, key: str, wav: Path) -> None:
        """Decode a WAV into memory (at start-up, not in the frame loop)."""
        if not self.available:
            return
        snd = self._pg.mixer.Sound(str(wav))
        snd.set_volume(self.volume)
        with self._lock:
            self._sounds[key] = snd
            self._lengths[key] = float(snd.get_length())

    def busy(self) -> bool:
        return self._playing is not None and self.clock() < self._playing[2]

    def _start(self, key: str, priority: float) -> None:
        snd = self._sounds[key]
        now = self.clock()
        if self.busy() and self.played:     # cut short: record where it really ended
            last = self.played[-1]
            last.duration_s = max(0.0, now - last.start_mono)
        self._channel.play(snd)      # replaces whatever the channel played: one sound at a time
        self._playing = (key, priority, now + self._lengths[key])
        self.played.append(Played(now, key, self._lengths[key]))

    def say(self, key: str, priority: float = 5.0) -> bool:
        """Speak `key` now, or after the phrase playing (lower number = more important: it cuts
        in). Returns False if the phrase is not loaded or there is no device."""
        if not self.available or key not in self._sounds:
            return False
        if not self.busy():
            self._start(key, priority)
        elif priority < self._playing[1]:
            self._start(key, priority)
            self._pending = None
        else:
            self._pending = (key, priority)
        return True

    def tone(self) -> bool:
        """The rep tone, only when nothing is being said (never over a phrase)."""
        if not self.available or TONE_KEY not in self._sounds or self.busy() or self._pending:
            return False
        self._start(TONE_KEY, 99.0)
        return True

    def poll(self) -> None:
        """Start the waiting phrase once the channel is free (called every display frame)."""
        if self._pending is not None and not self.busy():
            key, pri = self._pending
            self._pending = None
            self._start(key, pri)

    def stop(self) -> None:
        if self.available:
            self._channel.stop()
        self._playing = self._pending = None

    def close(self) -> None:
        if self.available:
            self.stop()


@dataclass
class AudioCues:
    """Speaks what the overlay shows (see the module docstring)."""

    speaker: Speaker
    cache: PhraseCache
    rep_tone: bool = True
    quiet: Callable[[], bool] = lambda: False
    _last_cue: tuple | None = None
    _last_reps: int = 0
    _ready: threading.Event = field(default_factory=threading.Event)
    _texts_to_keys: dict = field(default_factory=dict)
    _missing_logged: set = field(default_factory=set)
    _quiet_checked: float = -math.inf
    _quiet_now: bool = False

    def prepare(self, texts: Iterable[str] | None = None, background: bool = True) -> threading.Thread | None:
        """Synthesise what is missing and load every phrase: in a thread (first use) or now."""
        texts = list(texts) if texts is not None else station_phrases()

        def work() -> None:
            made, problems = self.cache.ensure(texts)
            for p in problems[:1]:
                log.warning("spoken cues: %s", p)
            if made:
                log.info("spoken cues: synthesised %d phrases into %s", made, self.cache.directory)
            try:
                if self.cache.tone_path().is_file():
                    self.speaker.load(TONE_KEY, self.cache.tone_path())
                for t in texts:
                    if self.cache.have(t):
                        self.speaker.load(t, self.cache.path(t))
            except Exception as e:   # a corrupt cache file: silent, say why once
                log.warning("spoken cues: cannot load the phrase cache %s: %s", self.cache.directory, e)
            self._ready.set()

        if not self.speaker.available:
            self._ready.set()
            return None
        if not background:
            work()
            return None
        th = threading.Thread(target=work, name="speech-prepare", daemon=True)
        th.start()
        return th

    def _is_quiet(self, now: float) -> bool:
        if now - self._quiet_checked >= 30.0:
            self._quiet_checked = now
            try:
                self._quiet_now = bool(self.quiet())
            except Exception:
                self._quiet_now = False
        return self._quiet_now

    def shown(self, state, now_mono: float | None = None) -> None:
        """The frame showing `state` (a CoachState or None) was just flipped."""
        sp = self.speaker
        sp.poll()
        if state is None:
            return
        now = sp.clock() if now_mono is None else now_mono
        if state.screen != "live":            # idle, positioning, summary: a new set starts at 0
            self._last_cue, self._last_reps = None, 0
            return
        cue = state.cue
        new_cue = cue is not None and (self._last_cue is None or cue.key != self._last_cue[0])
        self._last_cue = None if cue is None else (cue.key, cue.t_s)
        new_rep = state.rep_count > self._last_reps
        self._last_reps = state.rep_count
        if self._is_quiet(now):
            return
        if new_cue:
            pri = {"fault": 1.0, "reminder": 3.0, "info": 2.0, "praise": 5.0}.get(cue.kind, 5.0)
            if not sp.say(cue.text, pri) and cue.text not in self._missing_logged:
                self._missing_logged.add(cue.text)
                if sp.available:
                    log.info("spoken cues: no phrase yet for %r", cue.text)
        elif new_rep and self.rep_tone:
            sp.tone()


def audio_from_config(cfg) -> AudioCues | None:
    """The station's AudioCues from its [audio] config, or None when audio is off (the
    phrases are prepared in a background thread: never in the frame loop)."""
    a = cfg.audio
    if not a.enabled or a.volume <= 0.0:
        return None
    cache = PhraseCache(Path(a.cache_dir) if a.cache_dir else default_cache_dir(), a.voice, a.rate_wpm)
    tz = cfg.hours.tzinfo()
    cues = AudioCues(Speaker(a.volume), cache, rep_tone=a.rep_tone, quiet=lambda: a.is_quiet(tz=tz))
    cues.prepare(background=True)
    return cues
