"""Causal smoothing of the contract angles: a One-Euro filter per angle (Casiez et al. 2012).

The One-Euro filter is a first-order low-pass whose cutoff rises with the signal's speed:
at rest it smooths hard (jitter of a standing lifter disappears), in motion the cutoff goes
up and the lag goes down, so a hinge at 90°/s is followed within a few tens of ms.

Lag (time constant 1/(2π·f_c) of the first-order stage), with the defaults below:
  at rest (f_c = 1.5 Hz)                       ~106 ms, but on sub-degree jitter only
  a slow RDL, ~50°/s   (f_c = 1.5 + 0.04·50)   ~45 ms
  a hinge at ~90°/s    (f_c = 5.1 Hz)          ~31 ms
  a swing at ~300°/s   (f_c = 13.5 Hz)         ~12 ms
bench/form.py measures the lag on the scenario library and prints it.

Missing samples (None / NaN: a lost frame) leave the state untouched; after a gap longer
than `reset_after_s` the filter restarts from the next sample.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from station.model import ANGLES


@dataclass(frozen=True)
class OneEuroParams:
    """min_cutoff_hz: cutoff at rest; beta: added cutoff (Hz) per unit/s of speed;
    d_cutoff_hz: cutoff of the speed estimate."""

    min_cutoff_hz: float = 1.5
    beta: float = 0.04
    d_cutoff_hz: float = 1.0


# Degrees for the angles; pelvis_lateral_shift is in metres, so its beta is per m/s.
DEFAULT_PARAMS: dict[str, OneEuroParams] = {
    **{k: OneEuroParams() for k in ANGLES},
    "pelvis_lateral_shift": OneEuroParams(min_cutoff_hz=1.5, beta=40.0, d_cutoff_hz=1.0),
}


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuro:
    """One scalar One-Euro filter."""

    def __init__(self, params: OneEuroParams = OneEuroParams(), reset_after_s: float = 0.5):
        self.p = params
        self.reset_after_s = reset_after_s
        self.reset()

    def reset(self) -> None:
        self._x: float | None = None
        self._dx = 0.0
        self._t: float | None = None

    def __call__(self, t_s: float, x: float | None) -> float | None:
        if x is None or not math.isfinite(x):
            if self._t is not None and t_s - self._t > self.reset_after_s:
                self.reset()
            return self._x
        if self._x is None or self._t is None or t_s - self._t > self.reset_after_s or t_s <= self._t:
            if self._x is not None and self._t is not None and t_s <= self._t:
                return self._x  # repeated timestamp: keep
            self._x, self._dx, self._t = float(x), 0.0, t_s
            return self._x
        dt = t_s - self._t
        dx = (x - self._x) / dt
        self._dx += _alpha(self.p.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.p.min_cutoff_hz + self.p.beta * abs(self._dx)
        self._x += _alpha(cutoff, dt) * (x - self._x)
        self._t = t_s
        return self._x


class AngleSmoother:
    """One-Euro on every contract angle. update(t, angles or None) -> smoothed dict or None."""

    def __init__(self, params: dict[str, OneEuroParams] | None = None, reset_after_s: float = 0.5):
        p = {**DEFAULT_PARAMS, **(params or {})}
        self.filters = {k: OneEuro(p[k], reset_after_s) for k in ANGLES}
        self._last_t: float | None = None

    def reset(self) -> None:
        for f in self.filters.values():
            f.reset()

    def update(self, t_s: float, angles: dict[str, float] | None) -> dict[str, float] | None:
        if angles is None:
            for f in self.filters.values():
                f(t_s, None)
            return None
        out = {}
        for k, f in self.filters.items():
            v = f(t_s, angles.get(k))
            if v is None:
                return None
            out[k] = v
        return out
