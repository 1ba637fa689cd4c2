#!/usr/bin/env python3
"""Depth colour maps of the mesh athlete, for looking at (docs/img/mesh_*.png).

    .venv/bin/python scripts/render_mesh_examples.py [OUT_DIR]

1. mesh_flat_vs_rounded.png: the bottom of a flat-back rep and of a rounded (30°) rep, the
   same lifter seen by the station's camera (1.6 m, facing) and from the side (turned 90°),
   with the D435 noise model.
2. mesh_shapes.png: the enlarged library's shapes and clothing standing, camera view.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from station.sim import motion as mo
from station.sim.render import depth_to_rgb, write_png
from station.sim.scenarios import ENLARGED_SHAPES, Athlete, Scenario, build


def _bottom_frame(take) -> int:
    return int(np.argmin(np.abs(take.times_s - take.reps[0].bottom_t)))


def _crop(img: np.ndarray, take, i: int, half_w: int = 150, top_pad: int = 40) -> np.ndarray:
    lab = take.render_ideal(i).label
    vv, uu = np.nonzero(lab == 1)
    uc = int(np.median(uu))
    v0 = max(int(vv.min()) - top_pad, 0)
    v1 = min(v0 + 330, img.shape[0])
    u0 = int(np.clip(uc - half_w, 0, img.shape[1] - 2 * half_w))
    out = np.zeros((330, 2 * half_w, 3), np.uint8)
    out[: v1 - v0] = img[v0:v1, u0:u0 + 2 * half_w]
    return out


def flat_vs_rounded(out_dir: Path) -> Path:
    tiles = []
    for yaw in (0.0, 90.0):
        row = []
        for rounding in (0.0, 30.0):
            sc = Scenario("look", "look", 5, athlete=Athlete(1.78, 0.5, "tight", None, 1.0, 0.5),
                          reps=(mo.HingeRepParams(spine_rounding_deg=rounding, hip_flexion_deg=80.0),),
                          body="mesh", scene="bare", mount_height_m=1.6)
            if yaw:  # the side view: turn the camera, i.e. the lifter, by 90° (a lifting stance allows 45°)
                take = build(replace(sc, yaw_deg=0.0))
                take = _turned(take, yaw)
            else:
                take = build(sc)
            i = _bottom_frame(take)
            d = take.render_u16(i) / 1000.0
            z = d[d > 0]
            near = float(np.percentile(z, 1))
            row.append(_crop(depth_to_rgb(d, near - 0.05, near + 0.9), take, i))
        tiles.append(np.concatenate([row[0], np.zeros((330, 6, 3), np.uint8), row[1]], axis=1))
    img = np.concatenate([tiles[0], np.zeros((6, tiles[0].shape[1], 3), np.uint8), tiles[1]], axis=0)
    path = out_dir / "mesh_flat_vs_rounded.png"
    write_png(str(path), img)
    return path


def _turned(take, yaw_deg: float):
    """The same take with the lifter turned about their feet (for a side view only)."""
    from station.sim import mesh_body as mb

    a = np.radians(yaw_deg)
    R = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    c = np.array([take.scenario.lifter_x_m, take.scenario.lifter_distance_m, 0.0])
    rig = take.rig
    Rb = np.einsum("ij,nbjk->nbik", R, rig.R_bone)
    heads = (rig.head_m - c) @ R.T + c
    pts = (rig.points - c) @ R.T + c
    take.rig = mb.PosedRig(rig.body, Rb, heads, pts, rig.spine_raw_deg, rig.spine_standing_deg)
    take.poses_floor_m = pts
    return take


def shapes(out_dir: Path) -> Path:
    tiles = []
    for who in ENLARGED_SHAPES:
        sc = Scenario("look", "look", 6, athlete=who.athlete, reps=(mo.HingeRepParams(),), body="mesh",
                      scene="bare", mount_height_m=1.6, motion="stand")
        take = build(sc)
        d = take.render_u16(5) / 1000.0
        tiles.append(_crop(depth_to_rgb(d, 2.2, 3.0), take, 5, half_w=70))
    rows = [np.concatenate(tiles[k:k + 6], axis=1) for k in range(0, len(tiles), 6)]
    path = out_dir / "mesh_shapes.png"
    write_png(str(path), np.concatenate(rows, axis=0))
    return path


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "img"
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in (flat_vs_rounded(out_dir), shapes(out_dir)):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
