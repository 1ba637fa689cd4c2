"""A rep's angle traces, and the frame history the rep detector cuts them from.

The rep detector (station.form.reps) records every frame's series (SERIES: hip and knee
flexion as the means of left and right, spine flexion, pelvis shift, trunk inclination and
the smaller hip flexion) in an :class:`AngleHistory`, finds the rep boundaries on it, and
hands each finished rep on as a :class:`RepTrace`: the rep's frames, gaps interpolated and
zero-phase smoothed, with the indices of its start, bottom, lockout, end and the end of
its top window. The rules (station.form.rules) and the confidence gate
(station.form.confidence_gate) read these traces.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SERIES = ("hip", "knee", "spine", "shift", "trunk", "hip_min")

BOTTOM_TOL_DEG = 0.3     # bottom_t: first frame this close to the deepest hip flexion
END_WINDOW_S = 0.4       # top/lean-back judged until this long after end_t (or the next start)
VEL_SPAN_S = 0.1         # hip velocity over this span
WALK_SLOPE_DEG_S = 1.5   # boundary walk stops where hip flexion moves slower than this
HANDOVER_SPEED_DEG_S = 12.0  # ... or at a local minimum of its speed below this
BRIDGE_S = 0.2           # the start's walk bridges a stall this short ...
BRIDGE_DEG = 3.0         # ... when the hips lie this much further along beyond it
BRIDGE_HOPS = 3
HANDOVER_LOOK_S = 0.3    # ... and stops at a handover only where the hips go on beyond it
BUFFER_S = 40.0          # history kept (must exceed max_rep_s)
BOUNDARY_SEEN_S = 0.2    # a boundary's time is read only with no lost frame this near it
TURN_SEEN_DEG = 3.0      # ... the bottom's, with the hips seen this far short of it both sides
START_SEEN_S = 0.05      # ... the start's, with the frame before it seen (not the first after a loss)


def series_of(angles: dict[str, float]) -> tuple[float, ...]:
    """(hip, knee, spine, shift, trunk, hip_min): hip and knee flexion are means of left and
    right; hip_min the smaller of the two hip flexions."""
    hl, hr = angles["hip_flexion_l"], angles["hip_flexion_r"]
    return (0.5 * (hl + hr), 0.5 * (angles["knee_flexion_l"] + angles["knee_flexion_r"]),
            angles["spine_flexion"], angles["pelvis_lateral_shift"], angles["trunk_inclination"],
            min(hl, hr))


def _duration_s(t0: float, t1: float) -> float:
    """t1 - t0 to the microsecond: a difference of two frame times carries their rounding
    (15.8333... - 14.8333... = 0.9999999999999982 at 30 fps), and a lowering of exactly the
    rule's 1.0 s must not read as shorter than it (mesh_A_faults2: called too fast)."""
    return round(float(t1) - float(t0), 6)


@dataclass(frozen=True)
class RepTrace:
    """One segmented rep with its angle traces, as the rules read it.

    Arrays (n,) cover frames i0 .. i0+n-1 (absolute frame numbers), gaps interpolated:
    t seconds, hip/knee flexion (means of l and r, deg), spine flexion (deg), shift (m),
    trunk inclination (deg). Indices are positions in those arrays:
    start, bottom, top (lockout: = end for reps from the top), end, window_end (the last frame
    of the top window: END_WINDOW_S after the lockout or the next rep's start).
    standing_hip: this lifter's hip flexion standing upright (deg, mean of l and r:
    station.form.standing_reference), None while unknown; the lean-back rule reads it.
    tracked: (n,) bool, whether the lifter was tracked in each frame (False: a lost frame the
    detector bridged); None: every frame was. lost_before_t: the time of the last lost frame
    just before the trace's first (within BOUNDARY_SEEN_S of it), None when there was none: a
    rep that starts as the lifter comes back into view started in the loss. start_at_top:
    False when the detector's start lies above the hips' standing level (its walk back stopped
    at a stall on the way down): the lowering's start was not found.
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
    standing_hip: float | None = None
    tracked: np.ndarray | None = None
    lost_before_t: float | None = None
    start_at_top: bool = True

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

    def seen_at(self, i: int) -> bool:
        """Whether the time of boundary frame i is the fit's, not a guess across a lost
        stretch the detector bridged: for the bottom (the deepest hip flexion), the hips were
        seen TURN_SEEN_DEG short of it on both sides before any lost frame (lost just before
        the deepest point, the last frame before the loss reads as the bottom; on a slow
        bottom the hips stay near it for a while, so a fixed span does not tell); for any
        other boundary, every frame within BOUNDARY_SEEN_S of it was tracked (and before the
        trace: lost_before_t); for the start of a rep from the top, where the detector found it
        at the top (start_at_top), the frame before it seen (START_SEEN_S: the walk stops where
        the hips were still before it, so a start on the first frame after a loss lay in it)
        and the lowering's first BOUNDARY_SEEN_S."""
        lost_before = self.lost_before_t is not None
        tracked = self.tracked if self.tracked is not None else np.ones(len(self.t), bool)
        if i == self.start == 0 and self.start_position != "bottom":
            # where the hips left the top: found there (not at a stall on the way down), the
            # frame before it seen (a start on the first frame after a loss lay in the loss),
            # and the lowering's first BOUNDARY_SEEN_S seen
            if not self.start_at_top:
                return False
            if lost_before and self.t[i] - self.lost_before_t <= START_SEEN_S + 1e-9:
                return False
            ahead = (self.t >= self.t[i]) & (self.t - self.t[i] <= BOUNDARY_SEEN_S + 1e-9)
            return bool(np.all(tracked[ahead]))
        if self.tracked is None and not lost_before:
            return True
        if i == self.bottom:
            for step in (-1, 1):
                j = i
                while 0 <= j < len(self.hip) and self.hip[j] > self.hip[i] - TURN_SEEN_DEG:
                    if not tracked[j]:
                        return False
                    j += step
                if j < 0 and lost_before:
                    return False      # the turn lay before the trace, beside a loss
            return True
        if lost_before and self.t[i] - self.lost_before_t <= BOUNDARY_SEEN_S + 1e-9:
            return False
        near = np.abs(self.t - self.t[i]) <= BOUNDARY_SEEN_S + 1e-9
        return bool(np.all(tracked[near]))

    def eccentric_bounds(self) -> tuple[int, int]:
        """The frames the lowering is timed between: start → bottom from the top; lockout →
        end from the floor."""
        if self.start_position == "bottom":
            return self.top, self.end
        return self.start, self.bottom

    def eccentric_s(self) -> float:
        """The lowering: start → bottom from the top; lockout → end from the floor."""
        i0, i1 = self.eccentric_bounds()
        return _duration_s(self.t[i0], self.t[i1])

    def concentric_s(self) -> float:
        return _duration_s(self.t[self.bottom], self.t[self.top])

    @staticmethod
    def from_arrays(t, hip, knee, spine, shift, trunk=None, start=0, bottom=None, top=None,
                    end=None, window_end=None, start_position="top", standing_hip=None) -> "RepTrace":
        """Build a trace directly (tests, rules on scripted angles). Defaults: bottom = argmax
        hip, end = last frame, top = end, window_end = end, no standing reference."""
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
                        start_position, standing_hip)


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


class AngleHistory:
    """Frames by absolute index (NaN rows for lost frames), trimmed to the last BUFFER_S.

    v: the raw series (SERIES order); sh: the live-smoothed hip flexion the state machine runs
    on; c: how sure the fit was of the hip flexion the reps are counted on (0..1; NaN when lost).
    """

    def __init__(self):
        self.base = 0
        self.t: list[float] = []
        self.v: list[tuple[float, ...]] = []
        self.sh: list[float] = []
        self.c: list[float] = []

    def __len__(self) -> int:
        return self.base + len(self.t)

    def append(self, t: float, values: tuple[float, ...] | None, hip_live: float | None,
               confidence: float = 1.0) -> int:
        self.t.append(t)
        self.v.append(values if values is not None else (math.nan,) * len(SERIES))
        self.sh.append(hip_live if hip_live is not None else math.nan)
        self.c.append(confidence if values is not None else math.nan)
        if len(self.t) > 64 and self.t[-1] - self.t[0] > BUFFER_S:
            drop = len(self.t) // 4
            del self.t[:drop]
            del self.v[:drop]
            del self.sh[:drop]
            del self.c[:drop]
            self.base += drop
        return len(self) - 1

    def time(self, i: int) -> float:
        return self.t[i - self.base]

    def hip(self, i: int) -> float:
        return self.sh[i - self.base]

    def raw(self, i: int, name: str) -> float:
        """Frame i's unsmoothed value of one series (NaN when lost)."""
        return self.v[i - self.base][SERIES.index(name)]

    def first(self) -> int:
        return self.base

    def _tracked_confidences(self, i0: int, i1: int) -> list[float]:
        """The rep-angle confidences of the tracked frames of i0..i1 (inclusive)."""
        return [x for x in self.c[max(i0, self.base) - self.base:i1 - self.base + 1] if not math.isnan(x)]

    def confident_share(self, i0: int, i1: int, level: float) -> float:
        """The share of the tracked frames of i0..i1 (inclusive) whose rep-angle confidence
        reached level (0 without a tracked frame)."""
        c = self._tracked_confidences(i0, i1)
        return sum(1 for x in c if x >= level) / len(c) if c else 0.0

    def confident(self, i0: int, i1: int, level: float) -> bool:
        """Whether the rep-angle confidence reached level in every tracked frame of i0..i1
        (inclusive; lost frames, bridged by the detector, say nothing), with one at least."""
        c = self._tracked_confidences(i0, i1)
        return bool(c) and min(c) >= level

    @property
    def last(self) -> int:
        return len(self) - 1

    def last_seen(self) -> int:
        """The newest frame with a hip flexion (the lifter tracked)."""
        i = self.last
        while i > self.first() and not math.isfinite(self.hip(i)):
            i -= 1
        return i

    def velocity(self, i: int) -> float:
        """Live hip flexion velocity at frame i (deg/s) over about VEL_SPAN_S; 0 without a
        tracked frame before it."""
        t_i, x_i = self.time(i), self.hip(i)
        j = i - 1
        while j > self.first() and t_i - self.time(j) < VEL_SPAN_S:
            j -= 1
        while j < i and not math.isfinite(self.hip(j)):
            j += 1
        if j >= i or not math.isfinite(self.hip(j)):
            return 0.0
        return (x_i - self.hip(j)) / max(t_i - self.time(j), 1e-6)

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

    def walk(self, i: int, lo: int, hi: int, direction: int, sign: int,
             bridge_above: float | None = None) -> int:
        """From frame i step in `direction` (-1 back, +1 forward) while hip flexion (zero-phase
        smoothed) keeps changing with `sign` (+1 rising, -1 falling) in the direction of
        travel faster than WALK_SLOPE_DEG_S, stopping at a slow local minimum of that speed
        (where one movement hands over to another, e.g. the return from a lean-back and the
        next rep); stays within [lo, hi].

        bridge_above (a rep's start, walking a rise back): where the walk stops with the hips
        still above this (deg), look BRIDGE_S further on for hips BRIDGE_DEG lower and walk on
        from there: a noisy fit's stall in the middle of a descent is not where the hips left
        the top (at most BRIDGE_HOPS times). And a local minimum of the speed is a handover
        only where the hips then go BRIDGE_DEG further within HANDOVER_LOOK_S (a return from
        a lean-back): otherwise it is the fit's noise while the lowering eases in, and the
        walk goes on to where the hips stop moving."""
        lo = max(lo, self.first())
        hi = min(hi, len(self) - 1)
        if not lo <= i <= hi:
            return min(max(i, lo), hi)
        a = self.arrays(lo, hi)
        x, t = a["hip"], a["t"]
        j = i - lo
        hops = BRIDGE_HOPS if bridge_above is not None else 0
        prev = math.inf
        while 0 <= j + direction < len(x):
            k = j + direction
            speed = sign * (x[k] - x[j]) * direction / max(abs(t[k] - t[j]), 1e-6)
            handover = prev < HANDOVER_SPEED_DEG_S and speed > prev * 1.05
            if handover and bridge_above is not None and \
                    self._bridge(x, t, j, direction, sign, HANDOVER_LOOK_S) is None:
                # no movement hands over here (the hips go no further along within
                # HANDOVER_LOOK_S): a bump of the fit's noise in the ease-in
                handover = False
            if speed <= WALK_SLOPE_DEG_S or handover:
                m = self._bridge(x, t, j, direction, sign) \
                    if hops > 0 and sign * x[j] > sign * bridge_above else None
                if m is None:
                    break
                hops -= 1
                j, prev = m, math.inf
                continue
            prev = speed
            j = k
        return lo + j

    @staticmethod
    def _bridge(x: np.ndarray, t: np.ndarray, j: int, direction: int, sign: int,
                span_s: float = BRIDGE_S) -> int | None:
        """The frame within span_s of j (in direction) furthest along the movement (walking a
        rise back: the lowest hips), if it is BRIDGE_DEG beyond x[j]; else None."""
        along = lambda k: sign * direction * (x[k] - x[j])  # noqa: E731  (deg beyond x[j])
        m, best = None, BRIDGE_DEG
        k = j + direction
        while 0 <= k < len(x) and abs(t[k] - t[j]) <= span_s:
            if along(k) >= best:
                m, best = k, along(k)
            k += direction
        return m

    def arrival_from_above(self, lo: int, i: int, level_deg: float) -> int:
        """Where hip flexion, coming down to frame i, arrived (the hips back at the top): back
        from i over the frames already below level_deg (or below frame i's value), stopping
        after lo, then forward (walk) while it still falls."""
        j = i
        while j - 1 > lo and math.isfinite(self.hip(j - 1)) and \
                self.hip(j - 1) < max(level_deg, self.hip(i)):
            j -= 1
        return self.walk(j, lo, i, +1, -1)

    def rep_trace(self, start_i: int, top_i: int, end_i: int, window_end_i: int,
                  start_position: str, start_at_top: bool = True) -> RepTrace:
        """The trace of a finished rep (absolute frames: boundary start, lockout, end, and
        the frame up to which its top window may reach: the next rep's start or now).

        From the top, the top window runs from the end to at most END_WINDOW_S after it;
        from the floor (start_position "bottom"), from the lockout to at most END_WINDOW_S
        after it, within the rep. bottom: the first frame within BOTTOM_TOL_DEG of the
        deepest hip flexion (of the pull, from the floor)."""
        if start_position == "bottom":
            w_end = min(max(window_end_i, end_i), self.last)
            w_top_end = top_i
            while w_top_end + 1 <= end_i and self.time(w_top_end + 1) - self.time(top_i) <= END_WINDOW_S:
                w_top_end += 1
        else:
            w_end = max(min(window_end_i, self.last), end_i)
            while w_end > end_i and self.time(w_end) - self.time(end_i) > END_WINDOW_S:
                w_end -= 1
            w_top_end = w_end
        i0, i1 = start_i, max(w_end, end_i)
        a = self.arrays(i0, i1)
        hip = a["hip"]
        seg = hip[: (top_i if start_position == "bottom" else end_i) - i0 + 1]
        peak = float(np.max(seg))
        bottom = int(np.argmax(seg >= peak - BOTTOM_TOL_DEG))
        first = max(i0, self.base)      # (arrays' first frame)
        tracked = np.isfinite([self.raw(j, "hip") for j in range(first, i1 + 1)])
        lost_before_t = None
        j = first - 1
        while j >= self.base and self.time(first) - self.time(j) <= BOUNDARY_SEEN_S + 1e-9:
            if not math.isfinite(self.raw(j, "hip")):
                lost_before_t = self.time(j)
                break
            j -= 1
        return RepTrace(a["t"], hip, a["knee"], a["spine"], a["shift"], a["trunk"],
                        start=0, bottom=bottom, top=top_i - i0, end=end_i - i0,
                        window_end=w_top_end - i0, start_position=start_position,
                        tracked=tracked, lost_before_t=lost_before_t, start_at_top=start_at_top)
