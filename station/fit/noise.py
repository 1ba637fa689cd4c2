"""The depth image's noise, and the fit's weights and thresholds for it.

The weights and residual thresholds (FitWeights, TrackerConfig) are set for the noise of a
D435 at ~2.5 m (`noise_ref_m`, the depth image's own second-difference estimate); noisier
depth (further away, a worse unit) widens them: the data term's robust scale in quadrature,
the free-space margin and the residual thresholds by the excess.
"""
from __future__ import annotations

import math
import numpy as np

from station.fit._kernels_image import median_head, second_differences
from station.fit.solver import FitWeights


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
    depth is too noisy to coach from (`too_noisy`)."""

    def __init__(self, weights: FitWeights, noise_ref_m: float, rate: float,
                 info_ref_sigma_m: float | None = None,
                 too_noisy_ratio: float = math.inf, clear_ratio: float | None = None,
                 on_updates: int = 1):
        """info_ref_sigma_m: the data term's robust scale the confidence's scales were
        measured at (ConfidenceScales.data_sigma_m; None: the weights' own).
        too_noisy_ratio / clear_ratio: `too_noisy` turns on once the estimate passes
        too_noisy_ratio x noise_ref_m and off once it is back under clear_ratio x noise_ref_m
        (None: the same ratio), once it has been past it on_updates estimates in a row (a
        person walking in at the edge of the view reads noisy on their first frames); the
        gap keeps an estimate near the line from flickering."""
        self.base, self.noise_ref_m, self.rate = weights, noise_ref_m, rate
        self.info_ref_sigma_m = weights.data_sigma_m if info_ref_sigma_m is None else info_ref_sigma_m
        self.too_noisy_ratio = too_noisy_ratio
        self.clear_ratio = too_noisy_ratio if clear_ratio is None else clear_ratio
        if self.clear_ratio > too_noisy_ratio:
            raise ValueError(f"clear_ratio {self.clear_ratio} must not exceed too_noisy_ratio {too_noisy_ratio}")
        self.noise_m: float | None = None
        self.weights = weights
        self.extra_resid_m = 0.0
        self.on_updates = on_updates
        self.too_noisy = False
        self._past = 0                 # estimates in a row past too_noisy_ratio

    @property
    def ratio(self) -> float | None:
        """The depth noise estimate in units of the reference noise (None: none yet)."""
        return None if self.noise_m is None else self.noise_m / self.noise_ref_m

    def update(self, depth_m: np.ndarray, mask: np.ndarray) -> None:
        n = depth_noise_m(depth_m, mask)
        if not math.isfinite(n):
            return
        self.noise_m = n if self.noise_m is None else self.noise_m + self.rate * (n - self.noise_m)
        r = self.noise_m / self.noise_ref_m
        self._past = self._past + 1 if r > self.too_noisy_ratio else 0
        self.too_noisy = self._past >= self.on_updates or (self.too_noisy and r >= self.clear_ratio)
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
