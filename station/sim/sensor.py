"""A D435-like depth sensor model: turns a rendered z image into what the camera delivers.

`apply_d435_noise(depth_m, intrinsics, noise, rng)` takes the renderer's ideal depth
(float32 metres, 0 = nothing) and returns uint16 depth in 1 mm units with the D4xx
artefacts that matter for segmentation and fitting:

- stereo occlusion: the left imager is the reference, so background just LEFT of a near
  object's left edge, which the right imager cannot see, is invalid; the band is
  fx·B·(1/z_near − 1/z_far) px wide. The same rule blanks the image's left border, which
  lies outside the right imager (width fx·B/z);
- foreground fattening (off by default, `edge_fattening_px`): stereo matching's window,
  straddling a depth edge, matches the nearer surface's texture, so a near object's outline
  grows by about half the window into what lies behind it;
- flying pixels: some pixels at depth edges take a value between fore- and background;
- depth noise: Gaussian in disparity (sigma `subpixel_rms_px`), so the depth RMS grows as
  z² · subpixel / (fx·B); slightly spatially correlated (3x3 neighbourhood), or (off by
  default, `noise_corr_sigma_px`) correlated in patches over a Gaussian of that many pixels;
- holes: small random blobs of zeros, more on surfaces oblique to the ray (the slope is
  estimated from the depth gradient, as the sensor has no normals);
- range limits and 1 mm quantisation.

Kernels live in station.sim._render_kernels, NumPy twins in station.sim.render_reference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.model import Intrinsics
from station.sim import _render_kernels as _k


@dataclass(frozen=True)
class D435Noise:
    """Parameters of the sensor model (defaults: a D435 at its default preset, indoors)."""

    baseline_m: float = 0.050
    subpixel_rms_px: float = 0.08
    noise_correlation: float = 0.3      # share of the noise variance from the 8 neighbours
    # > 0: the noise is instead correlated over a Gaussian of this sigma (pixels), at the same
    # per-pixel RMS: stereo matching's window makes a real unit's errors come in patches,
    # which the station's 4 x 4 decimation averages far less than pixel-scale noise
    noise_corr_sigma_px: float = 0.0
    min_z_m: float = 0.28
    max_z_m: float = 10.0
    depth_unit_m: float = 0.001
    hole_fraction: float = 0.003        # expected fraction of pixels in holes on a frontal surface
    hole_radius_px: tuple[int, int] = (0, 3)
    oblique_hole_gain: float = 4.0      # hole density multiplier at tan(incidence) = 2
    flying_pixel_prob: float = 0.3      # probability an edge pixel is a flying pixel
    edge_jump_m: float = 0.05           # depth step between neighbours that counts as an edge
    invalid_band: bool = True           # stereo occlusion band and left border
    edge_fattening_px: int = 0          # a near surface's outline grown by this (0: not modelled)
    occlusion_tol_px: float = 0.25

    def __post_init__(self) -> None:
        if self.baseline_m <= 0 or self.subpixel_rms_px < 0:
            raise ValueError("baseline_m must be positive and subpixel_rms_px non-negative")
        if not 0.0 <= self.noise_correlation < 1.0:
            raise ValueError("noise_correlation must be within [0, 1)")
        if not 0.0 <= self.min_z_m < self.max_z_m:
            raise ValueError("need 0 <= min_z_m < max_z_m")
        if not 0.0 <= self.hole_fraction < 0.5 or not 0.0 <= self.flying_pixel_prob <= 1.0:
            raise ValueError("hole_fraction must be within [0, 0.5) and flying_pixel_prob within [0, 1]")
        lo, hi = self.hole_radius_px
        if not 0 <= lo <= hi:
            raise ValueError("hole_radius_px must be (lo, hi) with 0 <= lo <= hi")
        if self.depth_unit_m <= 0:
            raise ValueError("depth_unit_m must be positive")
        if self.edge_fattening_px < 0:
            raise ValueError("edge_fattening_px must be non-negative")
        if not 0.0 <= self.noise_corr_sigma_px <= 20.0:
            raise ValueError(f"noise_corr_sigma_px must be within [0, 20] pixels, got {self.noise_corr_sigma_px}")

    def sigma_z_m(self, z_m, fx_px: float):
        """Depth noise RMS at distance z: z² · subpixel / (fx · baseline)."""
        return np.asarray(z_m) ** 2 * self.subpixel_rms_px / (fx_px * self.baseline_m)


def _incidence_tan(depth_m: np.ndarray, intr: Intrinsics) -> np.ndarray:
    """|tan| of the angle between the pixel ray and the surface normal, from depth gradients."""
    z = depth_m
    gx = np.zeros_like(z)
    gy = np.zeros_like(z)
    gx[:, 1:-1] = 0.5 * (z[:, 2:] - z[:, :-2])
    gy[1:-1, :] = 0.5 * (z[2:, :] - z[:-2, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = (gx * (intr.fx / z)) ** 2 + (gy * (intr.fy / z)) ** 2
    t2[~np.isfinite(t2)] = 0.0
    return np.sqrt(np.minimum(t2, 100.0, dtype=np.float32))


def fatten_foreground(depth_m: np.ndarray, radius_px: int, jump_m: float) -> np.ndarray:
    """depth_m with every surface's outline grown by radius_px (a disc) over whatever lies
    jump_m or more behind it (0 = nothing there: the farthest). The stereo matcher's window,
    centred on a background pixel within half its width of a nearer surface, is dominated by
    that surface's texture and reports its disparity."""
    z = np.asarray(depth_m, np.float32)
    if radius_px <= 0:
        return z.copy()
    far = np.where(z > 0, z, np.float32(np.inf))
    near = far.copy()
    H, W = z.shape
    for dy in range(-radius_px, radius_px + 1):
        for dx in range(-radius_px, radius_px + 1):
            if (dx or dy) and dx * dx + dy * dy <= radius_px * radius_px:
                src = far[max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]
                dst = near[max(0, dy):H - max(0, -dy), max(0, dx):W - max(0, -dx)]
                np.minimum(dst, src, out=dst)
    out = np.where(near <= far - jump_m, near, far)
    return np.where(np.isfinite(out), out, 0.0).astype(np.float32)


def unit_variance_kernel(sigma_px: float) -> np.ndarray:
    """A 1-D Gaussian (radius 3 sigma) whose separable 2-D product turns unit white noise
    into unit-variance noise correlated as exp(-d^2 / (4 sigma^2)) at d pixels."""
    r = max(1, int(math.ceil(3.0 * sigma_px)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma_px) ** 2)
    return k / math.sqrt(float(np.sum(k * k)))


def apply_d435_noise(depth_m: np.ndarray, intrinsics: Intrinsics, noise: D435Noise,
                     rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint16 depth in `noise.depth_unit_m` units (0 = no data) from ideal depth_m."""
    depth_m = np.ascontiguousarray(depth_m, np.float32)
    H, W = intrinsics.height, intrinsics.width
    if depth_m.shape != (H, W):
        raise ValueError(f"depth_m is {depth_m.shape}, intrinsics say {(H, W)}")
    if noise.edge_fattening_px > 0:
        depth_m = fatten_foreground(depth_m, noise.edge_fattening_px, noise.edge_jump_m)
    fxB = float(intrinsics.fx) * noise.baseline_m
    out = np.zeros((H, W), np.uint16)
    if H == 0 or W == 0:
        return out

    invalid = np.zeros((H, W), np.uint8)
    if noise.invalid_band:
        _k.stereo_occlusion(depth_m, fxB, noise.occlusion_tol_px, invalid)

    u01 = rng.random((H, W), dtype=np.float32)
    z = np.empty_like(depth_m)
    _k.flying_pixels(depth_m, noise.edge_jump_m, u01, noise.flying_pixel_prob, z)

    if noise.hole_fraction > 0:
        lo, hi = noise.hole_radius_px
        radii = np.arange(lo, hi + 1)
        mean_area = float(np.mean([np.sum(np.add.outer(np.arange(-r, r + 1) ** 2, np.arange(-r, r + 1) ** 2) <= r * r)
                                   for r in radii]))
        tan = _incidence_tan(depth_m, intrinsics)
        density = (noise.hole_fraction / mean_area) * (1.0 + noise.oblique_hole_gain * (tan * tan) / 4.0)
        # u01 < density seeds a hole (disjoint from flying pixels, which need u01 > 1 - p_fly)
        seeds = (u01 < density) & (depth_m > 0)
        sv, su = np.nonzero(seeds)
        frac = u01[sv, su] / density[sv, su]
        r = (lo + np.minimum((frac * (hi - lo + 1)).astype(np.int32), hi - lo)).astype(np.int32)
        _k.stamp_holes(sv.astype(np.int32), su.astype(np.int32), r, invalid)

    white = rng.standard_normal((H, W), dtype=np.float32)
    n = np.empty_like(white)
    if noise.noise_corr_sigma_px > 0:
        _k.smooth_noise(white, unit_variance_kernel(noise.noise_corr_sigma_px), np.empty_like(white), n)
    else:
        c = noise.noise_correlation
        _k.correlated_noise(white, math.sqrt(1.0 - c), math.sqrt(c / 8.0), n)
    _k.disparity_noise_quantise(z, n, invalid, fxB, noise.subpixel_rms_px, noise.min_z_m, noise.max_z_m,
                                noise.depth_unit_m, out)
    return out
