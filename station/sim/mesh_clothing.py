"""The mesh athlete's clothing: offset surfaces over the skin, and loose cloth that sags.

Clothing is where the skin is not the surface a camera sees: a shirt or hoodie stands off
the skin (clothing_offsets) and hangs off the chest and belly when the trunk bends over
(clothing_drape, applied per posed frame by apply_drape). Both are per-vertex amounts on
the rest mesh (station.sim.mesh_shape), smoothed over the mesh so their edges do not step.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from station.sim.mesh_body import PosedRig
    from station.sim.mesh_shape import MeshAsset, ShapedMesh

CLOTHING = ("tight", "tshirt", "hoodie")


def clothing_offsets(asset: MeshAsset, skin_m: np.ndarray, clothing: str) -> np.ndarray:
    """(n_body,) outward offset (m) of the clothing surface over each skin vertex."""
    trunk = asset.region_weight(("root", "spine", "pelvis", "clavicle", "breast", "shoulder01"))
    upper_arm = asset.region_weight(("upperarm",))
    fore = asset.region_weight(("lowerarm",))
    thigh = asset.region_weight(("upperleg",))
    shin = asset.region_weight(("lowerleg",))
    neck = asset.region_weight(("neck",))
    z = skin_m[:, 2]
    off = np.full(len(skin_m), 0.003)
    if clothing == "tshirt":
        # shirt over the trunk and the top of the arms, sleeves ending mid upper arm; shorts to mid thigh
        shirt = 0.012 * np.clip(trunk + upper_arm * 0.8, 0, 1)
        shorts = 0.010 * np.clip(thigh, 0, 1) * np.clip((z - z.min()) / max(float(np.ptp(z)), 1e-6) * 4.0 - 1.5, 0, 1)
        off = off + np.maximum(shirt, shorts)
    elif clothing == "hoodie":
        top = np.clip(trunk + upper_arm + fore, 0, 1)
        off = off + 0.028 * top + 0.012 * np.clip(thigh + shin, 0, 1)
        # the hood lies bunched on the upper back, below the neck: behind the mid-plane of the
        # neck and upper chest themselves (the whole mesh's median y lies ahead of the trunk,
        # which once put the "hood" round the neck and upper chest like a collar)
        upper = np.clip(neck + asset.region_weight(("spine01",)), 0, 1)
        y_upper = skin_m[upper > 0.5, 1]
        back = skin_m[:, 1] > 0.5 * (y_upper.min() + y_upper.max())  # floor +y is the person's back at rest
        off = off + 0.04 * back * upper
    return off


DRAPE_M = {"tight": 0.0, "tshirt": 0.035, "hoodie": 0.06}


def clothing_drape(asset: MeshAsset, skin_m: np.ndarray, clothing: str) -> np.ndarray:
    """(n_body,) how far (m) loose cloth over each vertex sags under gravity when the trunk is
    horizontal: most at the front of the belly and the hem, none where the cloth rests on the
    shoulders and back (a T-shirt or hoodie hangs off the chest when the lifter bends over)."""
    if DRAPE_M[clothing] == 0.0:
        return np.zeros(len(skin_m))
    trunk = asset.region_weight(("root", "spine05", "spine04", "spine03", "spine02", "pelvis", "breast"))
    z = skin_m[:, 2]
    hip_z, chest_z = np.percentile(z, 50), np.percentile(z, 78)  # ≈ crotch … lower chest
    band = np.clip((chest_z - z) / max(chest_z - hip_z, 1e-6), 0.0, 1.0) * (z > hip_z - 0.05)
    front = np.clip(-skin_m[:, 1] / 0.08 + 0.5, 0.0, 1.0)     # floor −y is the person's front at rest
    return DRAPE_M[clothing] * np.clip(trunk, 0, 1) * band * (0.3 + 0.7 * front)


def smooth_over_mesh(values: np.ndarray, triangles: np.ndarray, n: int, iterations: int = 3) -> np.ndarray:
    """Average a per-vertex value with its neighbours (keeps clothing edges from stepping)."""
    v = values.astype(np.float64)
    deg = np.zeros(n)
    for k in range(3):
        np.add.at(deg, triangles[:, k], 2.0)
    for _ in range(iterations):
        acc = np.zeros(n)
        for a, b in ((0, 1), (1, 2), (2, 0)):
            np.add.at(acc, triangles[:, a], v[triangles[:, b]])
            np.add.at(acc, triangles[:, b], v[triangles[:, a]])
        v = 0.5 * v + 0.5 * acc / np.maximum(deg, 1.0)
    return v


def apply_drape(body: ShapedMesh, rig: PosedRig, i: int, vertices_m: np.ndarray) -> None:
    """Let loose cloth sag (in place): each draped vertex drops by drape · sin(trunk pitch)
    along gravity, where the trunk pitch is the lumbar bone's tilt from vertical."""
    R = rig.R_bone[i, body.asset.bone("spine03")]
    up = R @ np.array([0.0, 0.0, 1.0])
    s = float(np.sqrt(max(0.0, 1.0 - up[2] ** 2)))
    if s > 1e-3:
        vertices_m[:, 2] -= body.drape_m * s
