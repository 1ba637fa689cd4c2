"""What the mesh athlete's skin shows of its spine: per shape, the bend of the back's surface
at the bottom of each rep against the rig's spine01 truth.

The mesh athlete's spine_flexion truth is a bone (spine01 against the root, minus standing);
the camera sees skin, moved by linear-blend skinning. Where a shape's skin bends less than its
bones, no surface fitter can read that shape's spine as the truth does: the fitter's offset
on it (`bench/rescore.py --bottoms`) is partly the renderer's, not the fitter's. This measures
it without the fitter: the sagittal angle between two chords of the back's midline skin (the
dorsal-most vertices within 2 cm of the midline), a low one over the sacrum and lumbar and a
high one over the upper back, at each rep's truth bottom minus standing (the take's first
frame), against the truth spine there. The absolute difference depends on where the chords
lie (the low chord's band is an argument); compare shapes with each other.

Measured (stop 50; each shape's clean take, low chord 0.53-0.62 of stature; in brackets the
fitted offset over all its clean bottoms, `bench/rescore.py --bottoms`): A +0.0 (+2.4), B -2.5
(-8.2), C +1.6 (-3.0), D -7.4 (-10.1), E -0.6 (-0.6), F -6.8 (-16.1), G -1.7 (-7.5), H -0.9
(-1.7), M +0.2 (-9.4), N -4.5 (-8.3), O -7.4 (-17.6), P +2.2 (-1.1), Q +1.9 (-5.8), R -5.3
(-4.2); held-out I -7.6 (-22.0), J +3.1 (+3.2), K -5.0 (-8.5), L -5.9 (-6.8). Over the 18
shapes the fitted offset follows the skin's (r 0.77, slope 1.4): the shapes read most extended
are those whose skin bends least. What is left (fitted minus skin) is the fitter's, and it is
still larger on the female shapes: B D F I K M O Q -5.7 -2.7 -9.3 -14.4 -3.5 -9.6 -10.2 -7.7
(mean -7.9), the male A C E G H J L N P R +2.4 -4.6 0.0 -5.8 -0.8 +0.1 -0.9 -3.8 -3.3 +1.1 (-1.6).
A rounded rep's skin falls further short of its bone (faults1 takes, one rounded rep each: A
-8.3 at a truth of 31 deg, C -6.7 at 24, M -8.5 at 23, O -13.8 at 24): shape O's rounded back
shows the skin ~10 deg of bend for a bone's 24, under the rule's 20 however well it is fitted.

    python bench/skin_spine.py --scenarios mesh_A_clean,mesh_F_clean
    python bench/skin_spine.py --scenarios mesh_B_clean --low-band 0.47,0.51,0.55,0.58
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from station.model import SKELETON_INDEX
from station.sim.scenarios import get_scenario
from station.sim.synthetic_take import build

# the upper back's chord: its lower and upper band (fractions of stature, standing)
UPPER_BAND = (0.66, 0.69, 0.75, 0.78)
LOW_BAND = (0.53, 0.56, 0.59, 0.62)
MIDLINE_M = 0.02       # within this of the midline (sideways)
SKIN_DEPTH_M = 0.015   # within this of the dorsal-most vertex at its height: the back's skin


def back_band(vertices_floor_m: np.ndarray, pelvis_m: np.ndarray, left: np.ndarray, forward: np.ndarray,
              z_lo_m: float, z_hi_m: float) -> np.ndarray:
    """Indices of the back's midline skin vertices between two heights (standing pose)."""
    rel = vertices_floor_m - pelvis_m
    lat, fwd, z = rel @ left, rel @ forward, vertices_floor_m[:, 2]
    idx = np.nonzero((np.abs(lat) < MIDLINE_M) & (z > z_lo_m) & (z < z_hi_m) & (fwd < 0))[0]
    keep = [k for k in idx if fwd[k] <= fwd[idx[np.abs(z[idx] - z[k]) < 0.01]].min() + SKIN_DEPTH_M]
    return np.asarray(keep, np.int64)


def chord_angle_deg(vertices_floor_m: np.ndarray, bands: list[np.ndarray], left: np.ndarray) -> float:
    """Signed sagittal angle (about `left`, deg; positive = flexion, the top chord turned
    forward) from the chord band0 -> band1 to the chord band2 -> band3 (band centroids)."""
    c = [vertices_floor_m[b].mean(axis=0) for b in bands]
    low, high = c[1] - c[0], c[3] - c[2]
    low = low - (low @ left) * left
    high = high - (high @ left) * left
    return float(np.degrees(np.arctan2(np.cross(low, high) @ left, low @ high)))


def skin_minus_truth(name: str, low_band: tuple[float, ...] = LOW_BAND) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """(the truth spine at each rep's bottom, the skin's bend there minus the truth (deg),
    whether the rep's back is rounded)."""
    take = build(get_scenario(name))
    if take.mesh is None:
        raise SystemExit(f"{name}: not a mesh-body scenario (the capsule body's surface is the model's)")
    H = take.scenario.athlete.height_m
    P = take.poses_floor_m
    hip_l, hip_r, pelvis = SKELETON_INDEX["hip_l"], SKELETON_INDEX["hip_r"], SKELETON_INDEX["pelvis"]

    def left_at(i: int) -> np.ndarray:
        d = P[i, hip_l] - P[i, hip_r]
        return d / np.linalg.norm(d)

    v0 = take.mesh_vertices_floor_m(0).copy()
    left0 = left_at(0)
    left0[2] = 0.0
    left0 /= np.linalg.norm(left0)
    forward0 = np.cross(left0, np.array([0.0, 0.0, 1.0]))
    edges = tuple(low_band) + UPPER_BAND
    bands = [back_band(v0, P[0, pelvis], left0, forward0, edges[2 * k] * H, edges[2 * k + 1] * H)
             for k in range(4)]
    if min(len(b) for b in bands) < 2:
        raise SystemExit(f"{name}: a band of the back holds fewer than 2 skin vertices: {[len(b) for b in bands]}")
    standing = chord_angle_deg(v0, bands, left_at(0))
    spine = take.truth_angles["spine_flexion"]
    truth, diff, rounded = [], [], []
    for rep in take.reps:
        rounded.append("rounded_back" in rep.faults)
        i = int(np.searchsorted(take.times_s, rep.bottom_t))
        skin = chord_angle_deg(take.mesh_vertices_floor_m(i), bands, left_at(i)) - standing
        truth.append(spine[i])
        diff.append(skin - spine[i])
    return np.asarray(truth), np.asarray(diff), rounded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", default="mesh_A_clean,mesh_B_clean,mesh_F_clean,mesh_O_clean")
    ap.add_argument("--low-band", default=",".join(map(str, LOW_BAND)),
                    help="the low chord's two bands, fractions of stature: lo0,hi0,lo1,hi1")
    args = ap.parse_args()
    low = tuple(float(x) for x in args.low_band.split(","))
    if len(low) != 4:
        raise SystemExit(f"--low-band: four fractions of stature, got {args.low_band!r}")
    print(f"skin bend minus truth spine at each rep's bottom (deg; low chord {low}, upper {UPPER_BAND})")
    for name in args.scenarios.split(","):
        truth, diff, rounded = skin_minus_truth(name, low)
        # per rep: the difference, and the truth spine of a rounded rep (R)
        reps = " ".join(f"{d:+.1f}" + (f"(R {t:.0f})" if r else "") for t, d, r in zip(truth, diff, rounded))
        print(f"  {name:28s} reps {len(diff):2d}  truth {np.mean(truth):5.1f}  skin - truth mean {np.mean(diff):+5.1f}"
              f"  per rep {reps}", flush=True)


if __name__ == "__main__":
    main()
