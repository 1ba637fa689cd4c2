"""The depth image's noise, and the fit's weights and thresholds for it.

The weights and residual thresholds (FitWeights, TrackerConfig) are set for the noise of a
D435 at ~2.5 m (`noise_ref_m`, the depth image's own second-difference estimate); noisier
depth (further away, a worse unit) widens them: the data term's robust scale in quadrature,
the free-space margin and the residual thresholds by the excess.

Two estimates. The second differences of neighbouring pixels (depth_noise_m) read the fine
grain, and they drive the weights. A stereo matcher's errors come in patches a few pixels
across, which the station's 4 x 4 decimation averages far less than pixel-scale noise, and
which neighbouring pixels share, so the second differences miss them: a wall at 2.5 m with
the noise in 2 px patches (the same per-pixel noise) carries 21 mm after decimation against
12 mm, and the second differences read 13 mm. window_noise_m reads a surface's scatter about
a quadratic over 5 x 5 samples two pixels apart (~0.2 m at 2.5 m), past the patches: 20.6 mm
there (12.2 mm on the plain noise). It only decides when the depth is too noisy to coach from
(`too_noisy`): widening the fit's scales for patches made backs read rounder (stop 75).
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from station.fit._kernels_image import median_head, second_differences, window_residual_ss
from station.fit.solver import FitWeights

# the windows of window_noise_m: 5 x 5 samples WINDOW_SPACING_PX pixels apart, one at every
# pixel (overlapping: a far lifter's trunk, ~11 decimated pixels wide at 3.3 m, holds a few
# dozen). Two decimated pixels apart, a stereo patch of up to ~3 full-resolution pixels is no
# longer shared by neighbouring samples (a wall: 2 px patches read 20.6 mm of 21.2, 3 px 20.6
# of 22.6, 4 px 18.8 of 23.1; adjacent samples read 16.3 / 13.0 / 9.5)
WINDOW_SPACING_PX = 2
WINDOW_STEP_PX = 1
WINDOW_MIN = 20            # windows under this: no estimate (a person at the image's edge)
WINDOW_READINGS = 9        # NoiseAdaptation.window_m: the median of this many latest readings,
WINDOW_FIRST = 5           # once there are this many


def _quadratic_hat_residual() -> np.ndarray:
    """(25, 25) I - H: a 5 x 5 window's residual after the least-squares quadratic surface
    (1, x, y, x^2, xy, y^2) over it, samples row-major."""
    y, x = np.mgrid[-2:3, -2:3]
    x, y = x.ravel().astype(np.float64), y.ravel().astype(np.float64)
    A = np.stack([np.ones(25), x, y, x * x, x * y, y * y], axis=1)
    return np.eye(25) - A @ np.linalg.solve(A.T @ A, A.T)


_HAT_RESID = _quadratic_hat_residual()
# the windows' lower quartile of the residual sum of squares: windows that straddle two
# surfaces (an arm or a bell in front of the chest; a kettlebell swing's top read 3.6-4.7x on
# its median, the plain noise) lie in the upper part, and noise in patches raises every window
WINDOW_QUANTILE = 0.25
# the residual sum of squares of white noise of unit sigma is chi-square with 25 - 6 degrees of
# freedom; its WINDOW_QUANTILE quantile (Wilson-Hilferty, to ~0.5 %) turns the windows' into a
# sigma
_DOF = 19
_Z_QUARTILE = -0.6744897501960817
_CHI2_QUANTILE = _DOF * (1.0 - 2.0 / (9.0 * _DOF) + _Z_QUARTILE * math.sqrt(2.0 / (9.0 * _DOF))) ** 3


def depth_noise_m(depth_m: np.ndarray, mask: np.ndarray) -> float:
    """The depth image's noise (m, one sigma) inside the person mask, from second
    differences along rows and columns (a smooth surface's slope cancels; its curvature is
    small at these pixel spacings): 1.4826 x median |d[i-1] - 2 d[i] + d[i+1]| / sqrt(6).
    NaN when the mask has too few runs of three pixels."""
    d = np.ascontiguousarray(depth_m)
    m = np.ascontiguousarray(mask, dtype=np.bool_)
    s = np.empty(2 * d.size)
    n = second_differences(d, m, s)
    if n < 30:
        return math.nan
    return float(1.4826 * median_head(s, n) / math.sqrt(6.0))


def window_noise_m(depth_m: np.ndarray, mask: np.ndarray) -> float:
    """The depth image's noise (m, one sigma) inside the person mask, past patches a few
    pixels across: each window of 5 x 5 samples WINDOW_SPACING_PX apart wholly inside the
    mask, its residual after the least-squares quadratic surface; sqrt(the WINDOW_QUANTILE
    quantile of the residual sums of squares / chi-square's). A body's own shape adds to it (on
    the mesh athlete standing, the plain noise read 1.04-1.2x the second differences at twice
    the library's noise, up to 1.5x at its noise): the tracker reads it only while the lifter
    stands still, upright and square to the camera with the hands down (a back bent towards
    the camera, a bell in front of the chest or a side view read up to 4.5x;
    station.fit.tracker._standing_still). NaN with fewer than WINDOW_MIN windows."""
    d = np.ascontiguousarray(depth_m)
    m = np.ascontiguousarray(mask, dtype=np.bool_)
    s = np.empty(d.size)
    n = window_residual_ss(d, m, _HAT_RESID, WINDOW_STEP_PX, WINDOW_SPACING_PX, s)
    if n < WINDOW_MIN:
        return math.nan
    k = int(WINDOW_QUANTILE * (n - 1))
    return float(math.sqrt(np.partition(s[:n], k)[k] / _CHI2_QUANTILE))


def replaced_weights(w: FitWeights, **changes: float) -> FitWeights:
    """dataclasses.replace(w, **changes) (an equal FitWeights) for FitWeights' plain fields,
    without its generic path (~25 us against ~5: the depth noise makes new weights every
    frame)."""
    out = object.__new__(FitWeights)
    d = out.__dict__
    d.update(w.__dict__)
    for k, v in changes.items():
        if k not in d:
            raise TypeError(f"FitWeights has no field {k!r}")
        d[k] = v
    return out


class NoiseAdaptation:
    """A smoothed estimate of the depth noise -> this frame's weights (`weights`), the
    allowance added to residual thresholds (`extra_resid_m`), the factor that puts the
    fit's information back in the reference noise's units (`info_scale`), and whether the
    depth is too noisy to coach from (`too_noisy`, from either estimate: the second
    differences, `update`, or the windows past the patches, `update_window`)."""

    def __init__(self, weights: FitWeights, noise_ref_m: float, rate: float,
                 info_ref_sigma_m: float | None = None,
                 too_noisy_ratio: float = math.inf, clear_ratio: float | None = None,
                 on_updates: int = 1, window_too_noisy_ratio: float = math.inf,
                 window_clear_ratio: float | None = None, window_on_updates: int = 1):
        """info_ref_sigma_m: the data term's robust scale the confidence's scales were
        measured at (ConfidenceScales.data_sigma_m; None: the weights' own).
        too_noisy_ratio / clear_ratio: `too_noisy` turns on once the estimate passes
        too_noisy_ratio x noise_ref_m and off once it is back under clear_ratio x noise_ref_m
        (None: the same ratio), once it has been past it on_updates estimates in a row (a
        person walking in at the edge of the view reads noisy on their first frames); the
        gap keeps an estimate near the line from flickering. window_too_noisy_ratio /
        window_clear_ratio / window_on_updates: the same for the window estimate (its own
        estimates in a row: each already the median of the latest readings); too_noisy is off
        once both are under their clear ratios."""
        self.base, self.noise_ref_m, self.rate = weights, noise_ref_m, rate
        self.info_ref_sigma_m = weights.data_sigma_m if info_ref_sigma_m is None else info_ref_sigma_m
        self.too_noisy_ratio = too_noisy_ratio
        self.clear_ratio = too_noisy_ratio if clear_ratio is None else clear_ratio
        self.window_too_noisy_ratio = window_too_noisy_ratio
        self.window_clear_ratio = window_too_noisy_ratio if window_clear_ratio is None else window_clear_ratio
        for on, off in ((too_noisy_ratio, self.clear_ratio), (window_too_noisy_ratio, self.window_clear_ratio)):
            if off > on:
                raise ValueError(f"clear_ratio {off} must not exceed too_noisy_ratio {on}")
        self.noise_m: float | None = None
        self.window_m: float | None = None
        self.weights = weights
        self.extra_resid_m = 0.0
        self.on_updates, self.window_on_updates = on_updates, window_on_updates
        self.too_noisy = False
        self._past = 0                 # estimates in a row past too_noisy_ratio
        self._past_window = 0          # window estimates in a row past window_too_noisy_ratio
        self._window_readings: deque[float] = deque(maxlen=WINDOW_READINGS)

    @property
    def ratio(self) -> float | None:
        """The depth noise estimate in units of the reference noise (None: none yet)."""
        return None if self.noise_m is None else self.noise_m / self.noise_ref_m

    @property
    def window_ratio(self) -> float | None:
        """The window estimate (window_noise_m) in units of the reference noise (None: none yet)."""
        return None if self.window_m is None else self.window_m / self.noise_ref_m

    def _decide(self) -> None:
        r, rw = self.ratio or 0.0, self.window_ratio or 0.0
        still = self.too_noisy and (r >= self.clear_ratio or rw >= self.window_clear_ratio)
        self.too_noisy = (self._past >= self.on_updates or self._past_window >= self.window_on_updates
                          or still)

    def update_window(self, depth_m: np.ndarray, mask: np.ndarray) -> None:
        """The window estimate, on a frame the person stands still and upright in
        (window_noise_m; `window_m` the median of the latest WINDOW_READINGS)."""
        n = window_noise_m(depth_m, mask)
        if not math.isfinite(n):
            return
        # the median of the last few readings, not a running mean: a lifter's first still frame
        # at the walk-in (side-on) read 4.4x, and a mean starting there stayed past the line
        # for 5 readings (session_walk_in_out@mesh)
        self._window_readings.append(n)
        if len(self._window_readings) < WINDOW_FIRST:
            return
        self.window_m = float(np.median(self._window_readings))
        self._past_window = self._past_window + 1 if self.window_ratio > self.window_too_noisy_ratio else 0
        self._decide()

    def update(self, depth_m: np.ndarray, mask: np.ndarray) -> None:
        n = depth_noise_m(depth_m, mask)
        if not math.isfinite(n):
            return
        self.noise_m = n if self.noise_m is None else self.noise_m + self.rate * (n - self.noise_m)
        r = self.noise_m / self.noise_ref_m
        self._past = self._past + 1 if r > self.too_noisy_ratio else 0
        self._decide()
        w = self.base
        excess = max(0.0, self.noise_m - self.noise_ref_m)
        if excess <= 0.0:
            self.weights, self.extra_resid_m = w, 0.0
            return
        sigma = math.sqrt(w.data_sigma_m ** 2 + self.noise_m ** 2 - self.noise_ref_m ** 2)
        self.weights = replaced_weights(w, data_sigma_m=sigma,
                                        data_gate_m=w.data_gate_m * sigma / w.data_sigma_m,
                                        depth_margin_m=w.depth_margin_m + 2.0 * excess)
        self.extra_resid_m = 0.8 * excess     # mean |residual| of a Gaussian: 0.8 sigma

    @property
    def info_scale(self) -> float:
        """(sigma / info_ref_sigma_m)^2: the data rows' information is 1 / sigma^2, so a
        sigma wider than the one the confidence's scales were measured at (the noise's
        widening, or a wider base scale) shrinks it by this. The confidence's constraint
        factor compares a deviation with its usual value at the reference noise
        (ConfidenceScales): it asks how well the view pins a DOF, and the sensor's random
        noise, averaged over the hundreds of points a segment shows, barely moves the fitted
        angles (mesh dev takes with the noise doubled: hip MAE 2.50 -> 2.58 deg, knee 3.21 ->
        3.48, while the deviation grew by sigma's 1.3). The noise's cost to the fit shows in the residuals (quality)."""
        return (self.weights.data_sigma_m / self.info_ref_sigma_m) ** 2
