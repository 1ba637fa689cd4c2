#!/usr/bin/env python3
"""Pack the MakeHuman base mesh, rig, skinning weights and shape targets into one .npz.

Usage: python scripts/build_mesh_data.py SRC_DIR [OUT.npz]

SRC_DIR holds makehuman_base_hm08.obj, rig/default.mhskel, rig/default_weights.mhw and
targets/*.target (MakeHuman, CC0 1.0; see station/data/mesh/README.md). The output keeps
only what station.sim.mesh_body needs: the `body` group's vertices and quads, the helper
vertices that define the rig's joint positions, every bone (parent, head and tail joint),
the weights normalised per vertex, and each target as sparse per-vertex offsets. Units and
axes are MakeHuman's (decimetres, Y up, +Z forward); the loader converts.

The raw text is 10 MB; the .npz about a tenth of that and loads in milliseconds.
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np

from station import fileio


def read_obj(path: Path) -> tuple[np.ndarray, dict[str, list[list[int]]]]:
    verts: list[list[float]] = []
    groups: dict[str, list[list[int]]] = {}
    cur = None
    with open(path) as f:
        for line in f:
            if line.startswith("v "):
                verts.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("g "):
                cur = line.split()[1]
                groups.setdefault(cur, [])
            elif line.startswith("f "):
                groups[cur].append([int(t.split("/")[0]) - 1 for t in line.split()[1:]])
    return np.asarray(verts, np.float64), groups


def read_target(path: Path) -> tuple[np.ndarray, np.ndarray]:
    idx, d = [], []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            idx.append(int(parts[0]))
            d.append([float(x) for x in parts[1:4]])
    return np.asarray(idx, np.int64), np.asarray(d, np.float64).reshape(-1, 3)


def build(src: Path) -> dict[str, np.ndarray]:
    V, groups = read_obj(src / "makehuman_base_hm08.obj")
    quads = np.asarray(groups["body"], np.int64)
    if quads.ndim != 2 or quads.shape[1] != 4:
        raise ValueError("expected the body group to be all quads")
    body_verts = np.unique(quads)
    skel = json.loads((src / "rig" / "default.mhskel").read_text())
    joint_names = sorted(skel["joints"])
    joint_verts = sorted({v for n in joint_names for v in skel["joints"][n]})
    keep = np.unique(np.concatenate([body_verts, np.asarray(joint_verts, np.int64)]))
    remap = np.full(len(V), -1, np.int64)
    remap[keep] = np.arange(len(keep))
    n_body = len(body_verts)
    if not np.array_equal(body_verts, np.arange(n_body)):
        raise ValueError("expected the body group to be the first vertices")

    jptr, jidx = [0], []
    for n in joint_names:
        jidx += [int(remap[v]) for v in skel["joints"][n]]
        jptr.append(len(jidx))

    # parents first (the loader's forward kinematics walks bones in order)
    bone_names: list[str] = []
    pending = list(skel["bones"])
    while pending:
        done = set(bone_names)
        ready = [n for n in pending if not skel["bones"][n]["parent"] or skel["bones"][n]["parent"] in done]
        if not ready:
            raise ValueError("the rig's bones do not form a tree")
        bone_names += ready
        pending = [n for n in pending if n not in ready]
    bindex = {n: i for i, n in enumerate(bone_names)}
    jindex = {n: i for i, n in enumerate(joint_names)}
    parent = np.array([bindex[skel["bones"][n]["parent"]] if skel["bones"][n]["parent"] else -1
                       for n in bone_names], np.int32)
    for i, p in enumerate(parent):
        if p >= i:
            raise ValueError(f"bone {bone_names[i]} comes before its parent")
    head = np.array([jindex[skel["bones"][n]["head"]] for n in bone_names], np.int32)
    tail = np.array([jindex[skel["bones"][n]["tail"]] for n in bone_names], np.int32)

    wdoc = json.loads((src / "rig" / "default_weights.mhw").read_text())["weights"]
    dense = np.zeros((n_body, len(bone_names)), np.float64)
    for bname, pairs in wdoc.items():
        for v, w in pairs:
            if v < n_body:
                dense[v, bindex[bname]] += w
    k_max = int((dense > 0).sum(1).max())
    order = np.argsort(-dense, axis=1)[:, :k_max]
    w_top = np.take_along_axis(dense, order, axis=1)
    total = w_top.sum(1, keepdims=True)
    if (total <= 0).any():
        raise ValueError("a body vertex has no skinning weight")
    w_top /= total  # the README: sums range 0.32-1.67 for 14% of vertices, so normalise

    out = {
        "vertices_dm": V[keep].astype(np.float32),
        "n_body": np.int32(n_body),
        "quads": remap[quads].astype(np.int32),
        "joint_names": np.array(joint_names),
        "joint_ptr": np.asarray(jptr, np.int32),
        "joint_vertex": np.asarray(jidx, np.int32),
        "bone_names": np.array(bone_names),
        "bone_parent": parent,
        "bone_head_joint": head,
        "bone_tail_joint": tail,
        "weight_bone": order.astype(np.int16),
        "weight": w_top.astype(np.float32),
    }
    for path in sorted((src / "targets").glob("*.target")):
        idx, d = read_target(path)
        m = remap[idx] >= 0
        out[f"target_index/{path.stem}"] = remap[idx[m]].astype(np.int32)
        out[f"target_delta_dm/{path.stem}"] = d[m].astype(np.float32)
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(argv[1])
    dst = Path(argv[2]) if len(argv) > 2 else Path(__file__).resolve().parent.parent / "station/data/mesh/makehuman_hm08.npz"
    arrays = build(src)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    fileio.write_bytes(dst, buf.getvalue())   # temporary file beside it, fsync, rename
    print(f"{dst}: {dst.stat().st_size / 1e6:.2f} MB, {len(arrays)} arrays")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
