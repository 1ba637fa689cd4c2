"""Rep segmentation: a hysteresis state machine on hip flexion (mean of left and right).

Phases (station.model.PHASES): standing → lowering → bottom → rising → lockout.

`RepDetector.update(t_s, angles)` is fed every frame (angles None when the lifter is not
tracked) and returns the reps whose boundaries are final. Thresholds come from the exercise
profile's [reps] table (station.config.RepDetection):

- A rep starts when hip flexion rises above ``leave_upright_hip_flexion_deg`` from a
  confirmed upright stance (or, after an incomplete lockout, 2 × hysteresis above where the
  hips settled). An upright stance is still for ``settle_s`` with hip flexion below
  leave_upright, or with the trunk within UPRIGHT_TRUNK_DEG of vertical (soft knees, or a
  fit that reads the hips high): then the next rep must leave it by 2 × hysteresis. The *boundary* start_t is then found by walking back from that crossing to
  where the hips began to move (the contract: "leaves the upright position").
- The bottom is confirmed once hip flexion has come back ``bottom_hysteresis_deg`` from its
  peak; a rep whose peak stays below ``min_bottom_hip_flexion_deg`` is a partial dip and is
  dropped. bottom_t = the first frame within BOTTOM_TOL_DEG of the deepest hip flexion
  (arrival at the bottom, so a long bottom pause does not move it).
- The rep ends (end_t) where the hips arrive back at the top: after hip flexion falls below
  ``back_upright_hip_flexion_deg`` (or halfway back from the peak, for an incomplete
  lockout) the end is confirmed once the hips have moved slower than
  ``settle_velocity_deg_s`` for ``settle_s``, or at once when the next rep starts; the
  boundary is the frame where the descent of hip flexion stops (a lean-back included).
- At the end of the stream (flush), a rep on its way up that is already below
  back_upright is ended there (the lifter is up; the recording stopped before they settled).
- Reps shorter than ``min_rep_s`` or longer than ``max_rep_s`` are dropped.
- Lost frames: a gap up to MAX_GAP_S is bridged (values interpolated); a longer one aborts a
  rep in progress, and a new rep needs the lifter upright again first.

start_position "bottom" (the deadlift, from the floor): each rep is rising → lockout →
lowering → rest at the bottom. The descent to the bar before the first pull is not a rep;
start_t = the pull leaves the floor position, bottom_t = the deepest hip flexion of the rep
(the floor position the pull starts from), top_t = lockout, end_t = back at rest on the
floor (or the next pull). A final stand-up without lowering the bar again is not a rep.

Every boundary is found on the frames already seen; a rep is reported at most
END_WINDOW_S after its end (the window in which a lean-back at the top is judged) or when
the next rep starts, whichever comes first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.config import RepDetection
from station.model import ANGLES

MAX_GAP_S = 0.6          # lost frames bridged inside a rep
BOTTOM_TOL_DEG = 0.3     # bottom_t: first frame this close to the deepest hip flexion
END_WINDOW_S = 0.4       # top/lean-back judged until this long after end_t (or the next start)
VEL_SPAN_S = 0.1         # hip velocity over this span
WALK_SLOPE_DEG_S = 1.5   # boundary walk stops where hip flexion moves slower than this
HANDOVER_SPEED_DEG_S = 12.0  # ... or at a local minimum of its speed below this
BUFFER_S = 40.0          # history kept (must exceed max_rep_s)

# An upright stance (to arm the detector) when hip flexion reads above leave_upright: the trunk
# inclined less than this. A hinge inclines the trunk with the hips (a good morning's trunk is at
# 20° by 23° of hip flexion); soft knees and a pelvis tilted forward flex the hips without it.
UPRIGHT_TRUNK_DEG = 20.0

SERIES = ("hip", "knee", "spine", "shift", "trunk", "hip_min")

# Not a rep: a movement that flexes one hip only with the trunk upright (a knee raise, a
# step, tying a shoe on one knee). A hinge or a squat inclines the trunk or flexes both hips.
ONE_LEG_MIN_TRUNK_DEG = 25.0
ONE_LEG_MAX_HIP_SYMMETRY = 0.5


def series_of(angles: dict[str, float]) -> tuple[float, ...]:
    """(hip, knee, spine, shift, trunk, hip_min): hip and knee flexion are means of left and
    right; hip_min the smaller of the two hip flexions."""
    hl, hr = angles["hip_flexion_l"], angles["hip_flexion_r"]
    return (0.5 * (hl + hr), 0.5 * (angles["knee_flexion_l"] + angles["knee_flexion_r"]),
            angles["spine_flexion"], angles["pelvis_lateral_shift"], angles["trunk_inclination"],
            min(hl, hr))


def both_sides_hinge(hip: float, hip_min: float, trunk: float) -> bool:
    """False for a one-legged movement with the trunk upright (see ONE_LEG_*)."""
    hip_max = 2.0 * hip - hip_min
    return trunk >= ONE_LEG_MIN_TRUNK_DEG or hip_min >= ONE_LEG_MAX_HIP_SYMMETRY * max(hip_max, 1e-6)


@dataclass(frozen=True)
class RepTrace:
    """One segmented rep with its angle traces, as the rules read it.

    Arrays (n,) cover frames i0 .. i0+n-1 (absolute frame numbers), gaps interpolated:
    t seconds, hip/knee flexion (means of l and r, deg), spine flexion (deg), shift (m),
    trunk inclination (deg). Indices are positions in those arrays:
    start, bottom, top (lockout: = end for reps from the top), end, window_end (the last frame
    of the top window: END_WINDOW_S after the lockout or the next rep's start).
    """

    t: np.ndarray
    hip: np.ndarray
    knee: np.ndarray
    spine: np.ndarray
    shift: np.ndarray
    trunk: np.ndarray
    start: int
    bottom: int
    top: int
    end: int
    window_end: int
    start_position: str = "top"

    @property
    def start_t(self) -> float:
        return float(self.t[self.start])

    @property
    def bottom_t(self) -> float:
        return float(self.t[self.bottom])

    @property
    def top_t(self) -> float:
        return float(self.t[self.top])

    @property
    def end_t(self) -> float:
        return float(self.t[self.end])

    def top_window(self) -> slice:
        """Frames where the lockout is judged: from the lockout to window_end."""
        return slice(self.top, max(self.window_end, self.top) + 1)

    def eccentric_s(self) -> float:
        """The lowering: start → bottom from the top; lockout → end from the floor."""
        if self.start_position == "bottom":
            return float(self.t[self.end] - self.t[self.top])
        return float(self.t[self.bottom] - self.t[self.start])

    def concentric_s(self) -> float:
        return float(self.t[self.top] - self.t[self.bottom])

    @staticmethod
    def from_arrays(t, hip, knee, spine, shift, trunk=None, start=0, bottom=None, top=None,
                    end=None, window_end=None, start_position="top") -> "RepTrace":
        """Build a trace directly (tests, rules on scripted angles). Defaults: bottom = argmax
        hip, end = last frame, top = end, window_end = end."""
        t = np.asarray(t, float)
        n = len(t)
        hip = np.asarray(hip, float)
        z = np.zeros(n)
        end = n - 1 if end is None else end
        bottom = int(np.argmax(hip[start:end + 1])) + start if bottom is None else bottom
        top = end if top is None else top
        return RepTrace(t, hip, np.asarray(knee, float), np.asarray(spine, float),
                        np.asarray(shift, float), z if trunk is None else np.asarray(trunk, float),
                        start, bottom, top, end, end if window_end is None else window_end,
                        start_position)


# zero-phase smoothing of a finished stretch (binomial, sigma ~1.2 frames): boundaries and
# rule values are found after the fact, so they need not carry the live filter's lag
_ZP_KERNEL = np.array([1.0, 6.0, 15.0, 20.0, 15.0, 6.0, 1.0]) / 64.0
_ZP_PAD = len(_ZP_KERNEL) // 2


def zero_phase(x: np.ndarray) -> np.ndarray:
    """Centred binomial smoothing (edges padded by their value)."""
    if len(x) < 2:
        return x.copy()
    xp = np.pad(x, _ZP_PAD, mode="edge")
    return np.convolve(xp, _ZP_KERNEL, mode="valid")


class _History:
    """Frames by absolute index (NaN rows for lost frames), trimmed to the last BUFFER_S.

    v: the raw series (SERIES order); sh: the live-smoothed hip flexion the state machine runs on.
    """

    def __init__(self):
        self.base = 0
        self.t: list[float] = []
        self.v: list[tuple[float, ...]] = []
        self.sh: list[float] = []

    def __len__(self) -> int:
        return self.base + len(self.t)

    def append(self, t: float, values: tuple[float, ...] | None, hip_live: float | None) -> int:
        self.t.append(t)
        self.v.append(values if values is not None else (math.nan,) * len(SERIES))
        self.sh.append(hip_live if hip_live is not None else math.nan)
        if len(self.t) > 64 and self.t[-1] - self.t[0] > BUFFER_S:
            drop = len(self.t) // 4
            del self.t[:drop]
            del self.v[:drop]
            del self.sh[:drop]
            self.base += drop
        return len(self) - 1

    def time(self, i: int) -> float:
        return self.t[i - self.base]

    def hip(self, i: int) -> float:
        return self.sh[i - self.base]

    def first(self) -> int:
        return self.base

    def arrays(self, i0: int, i1: int) -> dict[str, np.ndarray]:
        """Frames i0..i1 inclusive: lost frames linearly interpolated (edges held), then
        zero-phase smoothed (using up to _ZP_PAD frames of context on each side)."""
        i0 = max(i0, self.base)
        a0 = max(i0 - _ZP_PAD, self.base)
        a1 = min(i1 + _ZP_PAD, len(self) - 1)
        t = np.asarray(self.t[a0 - self.base:a1 - self.base + 1], float)
        v = np.asarray(self.v[a0 - self.base:a1 - self.base + 1], float).reshape(len(t), len(SERIES))
        crop = slice(i0 - a0, i1 - a0 + 1)
        out = {"t": t[crop]}
        for k, name in enumerate(SERIES):
            col = v[:, k].copy()
            bad = ~np.isfinite(col)
            if bad.any() and (~bad).any():
                col[bad] = np.interp(t[bad], t[~bad], col[~bad])
            out[name] = zero_phase(col)[crop]
        return out

    def walk(self, i: int, lo: int, hi: int, direction: int, sign: int) -> int:
        """From frame i step in `direction` (-1 back, +1 forward) while hip flexion (zero-phase
        smoothed) keeps changing with `sign` (+1 rising, -1 falling) in the direction of
        travel faster than WALK_SLOPE_DEG_S, stopping at a slow local minimum of that speed
        (where one movement hands over to another, e.g. the return from a lean-back and the
        next rep); stays within [lo, hi]."""
        lo = max(lo, self.first())
        hi = min(hi, len(self) - 1)
        if not lo <= i <= hi:
            return min(max(i, lo), hi)
        a = self.arrays(lo, hi)
        x, t = a["hip"], a["t"]
        j = i - lo
        prev = math.inf
        while 0 <= j + direction < len(x):
            k = j + direction
            speed = sign * (x[k] - x[j]) * direction / max(abs(t[k] - t[j]), 1e-6)
            if speed <= WALK_SLOPE_DEG_S:
                break
            if prev < HANDOVER_SPEED_DEG_S and speed > prev * 1.05:
                break
            prev = speed
            j = k
        return lo + j


@dataclass
class _Rep:
    """A rep in progress (absolute frame indices)."""

    cross_i: int                 # frame that triggered it
    start_i: int                 # boundary start
    start_hip: float
    peak_hip: float = -math.inf
    peak_i: int = -1
    bottom_confirmed: bool = False
    top_i: int | None = None     # lockout (bottom-start reps; top-start: = end)
    end_i: int | None = None
    end_confirmed_t: float | None = None
    min_after_peak: float = math.inf


@dataclass
class DetectorStatus:
    """The live view of the detector for the overlay and the cue policy."""

    phase: str | None            # one of PHASES, None when unknown (lost, or never upright)
    in_rep: bool
    rep_start_i: int | None      # boundary start of the rep in progress
    rep_start_t: float | None
    peak_hip: float | None
    bottom_reached: bool


def upright_stance(s: RepDetection, hip_deg: float, trunk_deg: float) -> bool:
    """A still stance (the caller checks stillness) is upright: hip flexion below
    leave_upright, or the trunk within UPRIGHT_TRUNK_DEG of vertical with the hips short of a
    rep's bottom. Soft knees and a fitted hip that reads high (a real body, +12° on a mocap
    stance) keep hip flexion above leave_upright while the lifter stands; the trunk still says
    upright, and the stance becomes the reference the next rep must leave by 2 × hysteresis."""
    if hip_deg < s.leave_upright_hip_flexion_deg:
        return True
    return (math.isfinite(trunk_deg) and trunk_deg < UPRIGHT_TRUNK_DEG
            and hip_deg < s.min_bottom_hip_flexion_deg - s.bottom_hysteresis_deg)


class RepDetector:
    """The state machine. update(t_s, angles or None) -> list[RepTrace] finalized this frame."""

    def __init__(self, settings: RepDetection):
        self.s = settings
        self.h = _History()
        self.state = "unknown"       # unknown | standing | lowering | bottom | rising | lockout
        self.rep: _Rep | None = None
        self.pending: _Rep | None = None   # ended, waiting for its top window
        self.ref_hip = 0.0          # where the hips settled at the top
        self._slow_since: float | None = None
        self._last_seen_t: float | None = None
        self._lockout_shown_until = -math.inf
        self._floor_peak = -math.inf   # bottom-start: depth of the floor position
        self._floor_peak_i = -1

    # -- helpers -------------------------------------------------------------------------
    def _velocity(self, i: int) -> float:
        h = self.h
        t_i, x_i = h.time(i), h.hip(i)
        j = i - 1
        while j > h.first() and t_i - h.time(j) < VEL_SPAN_S:
            j -= 1
        while j < i and not math.isfinite(h.hip(j)):
            j += 1
        if j >= i or not math.isfinite(h.hip(j)):
            return 0.0
        return (x_i - h.hip(j)) / max(t_i - h.time(j), 1e-6)

    def status(self) -> DetectorStatus:
        phase = None if self.state == "unknown" else self.state
        if phase == "standing" and self._last_seen_t is not None and \
                self._last_seen_t < self._lockout_shown_until:
            phase = "lockout"
        r = self.rep
        in_rep = r is not None
        return DetectorStatus(phase, in_rep, r.start_i if r else None,
                              self.h.time(r.start_i) if r and r.start_i >= self.h.first() else None,
                              r.peak_hip if r and r.peak_hip > -math.inf else None,
                              bool(r and r.bottom_confirmed))

    def history(self, i0: int, i1: int) -> dict[str, np.ndarray]:
        return self.h.arrays(i0, i1)

    @property
    def last_index(self) -> int:
        return len(self.h) - 1

    # -- the machine ---------------------------------------------------------------------
    def update(self, t_s: float, angles: dict[str, float] | None,
               smoothed: dict[str, float] | None = None) -> list[RepTrace]:
        """angles: the frame's contract angles (None: not tracked); smoothed: the same after
        the live filter (the state machine runs on it; boundaries and rule values use the
        raw angles, zero-phase smoothed after the fact). Returns the reps finalized now."""
        vals = series_of(angles) if angles is not None else None
        if vals is not None and not all(math.isfinite(v) for v in vals):
            vals = None
        live = series_of(smoothed)[0] if (smoothed is not None and vals is not None) else None
        i = self.h.append(t_s, vals, live if live is not None else (vals[0] if vals else None))
        done: list[RepTrace] = []
        if vals is None:
            if self._last_seen_t is not None and t_s - self._last_seen_t > MAX_GAP_S:
                self._lost(done)
            return done
        self._last_seen_t = t_s
        hip = self.h.hip(i)
        v = self._velocity(i)
        if abs(v) <= self.s.settle_velocity_deg_s:
            if self._slow_since is None:
                self._slow_since = t_s
        else:
            self._slow_since = None
        settled = self._slow_since is not None and t_s - self._slow_since >= self.s.settle_s - 1e-9
        if self.s.start_position == "bottom":
            self._step_bottom(i, t_s, hip, v, settled, done)
        else:
            self._step_top(i, t_s, hip, v, settled, done)
        # a finished rep waits for its top window
        p = self.pending
        if p is not None and p.end_i is not None:
            anchor = p.top_i if p.top_i is not None else p.end_i
            if self.s.start_position == "bottom":
                anchor = p.end_i
            if t_s - self.h.time(anchor) >= END_WINDOW_S:
                self._finalize(p, i, done)
        return done

    def _lost(self, done: list[RepTrace]) -> None:
        if self.pending is not None:
            last = self._last_index_seen()
            self._finalize(self.pending, last, done)
        self.rep = None
        self.state = "unknown"
        self._slow_since = None

    def _last_index_seen(self) -> int:
        i = self.last_index
        while i > self.h.first() and not math.isfinite(self.h.hip(i)):
            i -= 1
        return i

    def _two_sided(self, i: int) -> bool:
        a = self.h.arrays(i, i)
        return both_sides_hinge(float(a["hip"][0]), float(a["hip_min"][0]), float(a["trunk"][0]))

    def _upright_stance(self, i: int, hip: float) -> bool:
        return upright_stance(self.s, hip, self.h.v[i - self.h.base][SERIES.index("trunk")])

    def _start_threshold(self) -> float:
        return max(self.s.leave_upright_hip_flexion_deg, self.ref_hip + 2.0 * self.s.bottom_hysteresis_deg)

    def _begin(self, i: int, lo: int) -> _Rep:
        start = self.h.walk(i, lo, i, -1, +1)
        return _Rep(cross_i=i, start_i=start, start_hip=self.h.hip(start))

    # top-start: standing -> lowering -> bottom -> rising -> lockout
    def _step_top(self, i, t, hip, v, settled, done):
        s = self.s
        if self.state == "unknown":
            if settled and self._upright_stance(i, hip):
                self.state, self.ref_hip = "standing", hip
            return
        if self.state in ("standing", "lockout"):
            if hip < s.leave_upright_hip_flexion_deg:
                # back near upright: only an end of rep raises the reference (incomplete lockout)
                self.ref_hip = min(hip, self.ref_hip)
            if hip > self._start_threshold():
                lo = self.h.first()
                if self.pending is not None:
                    lo = self.pending.end_i
                self.rep = self._begin(i, lo)
                if self.pending is not None:
                    # the next rep starts: the previous one's top window ends here
                    self._finalize(self.pending, self.rep.start_i, done)
                self.state = "lowering"
            return
        r = self.rep
        assert r is not None
        if t - self.h.time(r.start_i) > s.max_rep_s:
            self.rep, self.state = None, "unknown"
            return
        if hip > r.peak_hip:
            r.peak_hip, r.peak_i = hip, i
        if self.state in ("lowering", "bottom"):
            if r.peak_hip >= s.min_bottom_hip_flexion_deg:
                if hip < r.peak_hip - s.bottom_hysteresis_deg:
                    r.bottom_confirmed = True
                    self.state = "rising"
                    r.min_after_peak = hip
                elif abs(v) <= s.settle_velocity_deg_s and self.state == "lowering":
                    self.state = "bottom"
                elif v > s.settle_velocity_deg_s:
                    self.state = "lowering"
            elif hip < s.leave_upright_hip_flexion_deg:
                # a partial dip: not a rep
                self.rep, self.state = None, "standing"
            return
        if self.state == "rising":
            r.min_after_peak = min(r.min_after_peak, hip)
            back = hip < s.back_upright_hip_flexion_deg or (
                hip < r.peak_hip - 0.5 * (r.peak_hip - r.start_hip) and settled)
            if back and (settled or hip > r.min_after_peak + s.bottom_hysteresis_deg):
                self._end_top(r, i)
                return
            if hip > r.peak_hip - s.bottom_hysteresis_deg * 0.5 and r.min_after_peak > s.back_upright_hip_flexion_deg:
                # went back down without standing up: still the same rep
                self.state = "lowering"
                r.bottom_confirmed = False

    def _end_top(self, r: _Rep, i: int) -> None:
        s = self.s
        # the first frame below back_upright (or halfway) on the way up, then walk to arrival
        j = i
        lo = r.peak_i
        while j - 1 > lo and math.isfinite(self.h.hip(j - 1)) and \
                self.h.hip(j - 1) < max(s.back_upright_hip_flexion_deg, self.h.hip(i)):
            j -= 1
        end = self.h.walk(j, lo, i, +1, -1)
        r.end_i = r.top_i = end
        dur = self.h.time(end) - self.h.time(r.start_i)
        self.rep = None
        self.state = "standing"
        self.ref_hip = self.h.hip(end)
        self._lockout_shown_until = self.h.time(i) + 0.6
        if r.peak_hip >= s.min_bottom_hip_flexion_deg and s.min_rep_s <= dur <= s.max_rep_s \
                and self._two_sided(r.peak_i):
            self.pending = r

    # bottom-start (deadlift): standing -> lowering (setup) -> bottom -> rising (pull) ->
    # lockout -> lowering -> bottom (rep ends) -> rising (next pull) ...
    def _step_bottom(self, i, t, hip, v, settled, done):
        s = self.s
        if self.state == "unknown":
            if settled and self._upright_stance(i, hip):
                self.state, self.ref_hip = "standing", hip
            return
        r = self.rep
        if r is not None and t - self.h.time(r.start_i) > s.max_rep_s:
            self.rep = r = None
        if self.state in ("standing", "lockout"):
            if hip > self._start_threshold():
                self.state = "lowering"
                self._floor_peak, self._floor_peak_i = hip, i
            elif hip < s.leave_upright_hip_flexion_deg:
                self.ref_hip = min(hip, self.ref_hip)
            return
        if self.state in ("lowering", "bottom"):
            if hip > self._floor_peak:
                self._floor_peak, self._floor_peak_i = hip, i
            if self._floor_peak >= s.min_bottom_hip_flexion_deg:
                if hip < self._floor_peak - s.bottom_hysteresis_deg:
                    # a pull begins (from the floor position)
                    start = self.h.walk(i, self._floor_peak_i - 1, i, -1, -1)
                    if r is not None and r.top_i is not None:
                        self._end_bottom(r, min(r.end_i if r.end_i is not None else start, start), done)
                    self.rep = _Rep(cross_i=i, start_i=start, start_hip=self.h.hip(start),
                                    peak_hip=self.h.hip(start), peak_i=start, bottom_confirmed=True)
                    self.state = "rising"
                    return
                if abs(v) <= s.settle_velocity_deg_s:
                    if self.state == "lowering" and r is not None and r.top_i is not None:
                        # back on the floor: the rep's end is the arrival
                        r.end_i = self.h.walk(self._floor_peak_i, r.top_i, i, +1, +1)
                    self.state = "bottom"
                    if settled and r is not None and r.top_i is not None and r.end_i is not None:
                        self._end_bottom(r, r.end_i, done)
                        self.rep = None
            elif hip < s.leave_upright_hip_flexion_deg:
                self.state = "standing" if r is None else "lockout"
            return
        if self.state == "rising":
            assert r is not None
            r.min_after_peak = min(r.min_after_peak, hip)
            back = hip < s.back_upright_hip_flexion_deg or (
                hip < r.peak_hip - 0.5 * (r.peak_hip - 0.0) and settled)
            if back and (settled or hip > r.min_after_peak + s.bottom_hysteresis_deg):
                j = i
                while j - 1 > r.start_i and math.isfinite(self.h.hip(j - 1)) and \
                        self.h.hip(j - 1) < max(s.back_upright_hip_flexion_deg, hip):
                    j -= 1
                r.top_i = self.h.walk(j, r.start_i, i, +1, -1)
                self.ref_hip = self.h.hip(r.top_i)
                self.state = "lockout"
                self._lockout_shown_until = t + 0.6

    def _end_bottom(self, r: _Rep, end_i: int, done: list[RepTrace]) -> None:
        r.end_i = end_i
        dur = self.h.time(end_i) - self.h.time(r.start_i)
        if self.s.min_rep_s <= dur <= self.s.max_rep_s:
            self._finalize(r, end_i, done)

    def _finalize(self, r: _Rep, window_end_i: int, done: list[RepTrace]) -> None:
        if self.pending is r:
            self.pending = None
        assert r.end_i is not None
        top = r.top_i if r.top_i is not None else r.end_i
        if self.s.start_position == "bottom":
            w_end = min(max(window_end_i, r.end_i), self.last_index)
            w_top_end = top
            # the top window: END_WINDOW_S after the lockout, within the rep
            while w_top_end + 1 <= r.end_i and self.h.time(w_top_end + 1) - self.h.time(top) <= END_WINDOW_S:
                w_top_end += 1
        else:
            w_end = max(min(window_end_i, self.last_index), r.end_i)
            while w_end > r.end_i and self.h.time(w_end) - self.h.time(r.end_i) > END_WINDOW_S:
                w_end -= 1
            w_top_end = w_end
        i0 = r.start_i
        a = self.h.arrays(i0, max(w_end, r.end_i))
        hip = a["hip"]
        # bottom: the first frame within BOTTOM_TOL_DEG of the deepest hip flexion
        seg = hip[: r.end_i - i0 + 1]
        if self.s.start_position == "bottom":
            seg = hip[: top - i0 + 1]
        peak = float(np.max(seg))
        bottom = int(np.argmax(seg >= peak - BOTTOM_TOL_DEG))
        done.append(RepTrace(a["t"], hip, a["knee"], a["spine"], a["shift"], a["trunk"],
                             start=0, bottom=bottom, top=top - i0, end=r.end_i - i0,
                             window_end=w_top_end - i0, start_position=self.s.start_position))

    def flush(self) -> list[RepTrace]:
        """At the end of a stream: report a rep still waiting for its top window."""
        done: list[RepTrace] = []
        r = self.rep
        if r is not None and self.s.start_position == "top" and self.state == "rising":
            # the stream ended with the hips back near upright but before they had settled
            # for settle_s (a recording stopped as the lifter stands, or a fit whose noise
            # keeps the live hip flexion moving): the lifter is up, so the rep is complete
            last = self._last_index_seen()
            if math.isfinite(self.h.hip(last)) and self.h.hip(last) < self.s.back_upright_hip_flexion_deg:
                if self.pending is not None:
                    self._finalize(self.pending, r.start_i, done)
                self._end_top(r, last)
        if self.pending is not None:
            self._finalize(self.pending, self.last_index, done)
        return done


def segment_reps(times_s: np.ndarray, angles: dict[str, np.ndarray], settings: RepDetection,
                 valid: np.ndarray | None = None) -> list[RepTrace]:
    """Offline convenience: run the detector over whole traces (no smoothing)."""
    det = RepDetector(settings)
    out: list[RepTrace] = []
    n = len(times_s)
    for i in range(n):
        ok = valid is None or bool(valid[i])
        a = {k: float(angles[k][i]) for k in ANGLES} if ok else None
        out += det.update(float(times_s[i]), a)
    return out + det.flush()
