"""The mesh athlete at rest: the packed MakeHuman asset, shaped into a person and dressed.

load_mesh_asset reads the CC0 MakeHuman "hm08" base mesh with its rig, skinning weights and
shape targets (station/data/mesh/); shaped_mesh applies the targets of a MeshShape (sex,
muscle, weight, stature), scales it to the stature, dresses it (station.sim.mesh_clothing)
and finds the rig's joints at rest. Posing and skinning are station.sim.mesh_body's.
All arrays in the floor frame of a person facing floor −y, metres, z up (station.frames).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from station.sim.mesh_clothing import CLOTHING, clothing_drape, clothing_offsets, smooth_over_mesh
from station.sim.pose import SIM_INDEX, SIM_POINTS

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "mesh" / "makehuman_hm08.npz"

# Where the contract's head centre (between the ears) sits along the head bone (neck top → vertex):
# tragion is ≈ 12 cm below the vertex in adults, ≈ 0.2 of the way up the 14 cm bone.
HEAD_CENTRE_FRACTION = 0.2


# ------------------------------------------------------------------------------------ asset

@dataclass(frozen=True, eq=False)
class MeshAsset:
    """The packed MakeHuman data in the floor frame of a person facing floor −y, metres.

    vertices_m: (n_vertices, 3) rest surface (the `body` group) then the rig's helper vertices.
    n_body: how many of those are the surface. triangles: (m, 3) int32 surface triangles.
    joint_ptr/joint_vertex: CSR lists of the vertices whose mean is each named rig joint.
    bone_*: every bone of default.mhskel, parents first. weight_bone/weight: (n_body, k) the
    k largest skinning weights per vertex, normalised to sum to 1.
    targets: name → (vertex index, offset (k, 3) metres).
    """

    vertices_m: np.ndarray
    n_body: int
    triangles: np.ndarray
    joint_names: tuple[str, ...]
    joint_ptr: np.ndarray
    joint_vertex: np.ndarray
    bone_names: tuple[str, ...]
    bone_parent: np.ndarray
    bone_head_joint: np.ndarray
    bone_tail_joint: np.ndarray
    weight_bone: np.ndarray
    weight: np.ndarray
    targets: dict

    def bone(self, name: str) -> int:
        return self.bone_names.index(name)

    def joint_positions(self, vertices_m: np.ndarray) -> np.ndarray:
        """(n_joints, 3) each joint as the mean of its vertices."""
        sums = np.add.reduceat(vertices_m[self.joint_vertex], self.joint_ptr[:-1], axis=0)
        return sums / np.diff(self.joint_ptr)[:, None]

    def region_weight(self, prefixes: tuple[str, ...]) -> np.ndarray:
        """(n_body,) the skinning weight each vertex gives to bones whose names start with prefixes."""
        sel = np.array([any(n.startswith(p) for p in prefixes) for n in self.bone_names])
        return (self.weight * sel[self.weight_bone]).sum(1)



def _mh_to_floor(v_dm: np.ndarray) -> np.ndarray:
    """MakeHuman (dm, Y up, +Z the face's forward, +X the person's left) → metres, z up, facing −y."""
    v = np.asarray(v_dm, np.float64) * 0.1
    return np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1)


@lru_cache(maxsize=2)
def load_mesh_asset(path: str | None = None) -> MeshAsset:
    """Load station/data/mesh/makehuman_hm08.npz (built by scripts/build_mesh_data.py)."""
    p = Path(path) if path else DATA_PATH
    try:
        z = np.load(p)
    except FileNotFoundError:
        raise FileNotFoundError(f"mesh body data not found: {p} (run scripts/build_mesh_data.py)") from None
    quads = z["quads"].astype(np.int32)
    # split each quad along its 0-2 diagonal
    tris = np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]).astype(np.int32)
    targets = {}
    for k in z.files:
        if k.startswith("target_index/"):
            name = k.split("/", 1)[1]
            targets[name] = (z[k].astype(np.int64), _mh_to_floor(z[f"target_delta_dm/{name}"]))
    weight = z["weight"].astype(np.float64)
    weight /= weight.sum(1, keepdims=True)  # exactly 1 in float64 (stored as float32)
    return MeshAsset(
        vertices_m=_mh_to_floor(z["vertices_dm"]), n_body=int(z["n_body"]), triangles=tris,
        joint_names=tuple(str(s) for s in z["joint_names"]), joint_ptr=z["joint_ptr"].astype(np.int64),
        joint_vertex=z["joint_vertex"].astype(np.int64), bone_names=tuple(str(s) for s in z["bone_names"]),
        bone_parent=z["bone_parent"].astype(np.int64), bone_head_joint=z["bone_head_joint"].astype(np.int64),
        bone_tail_joint=z["bone_tail_joint"].astype(np.int64), weight_bone=z["weight_bone"].astype(np.int64),
        weight=weight, targets=targets)


# ------------------------------------------------------------------------------------ shape

@dataclass(frozen=True)
class MeshShape:
    """Who the mesh athlete is.

    height_m: stature (vertex of the head above the sole), 1.5–2.0; the height targets set the
        proportions a person of that stature tends to have, then the mesh is scaled to it exactly.
    sex: 0 female … 1 male (MakeHuman's gender macro; 0.5 is androgynous).
    muscle, weight: 0 min … 0.5 average … 1 max (MakeHuman's macros, interpolated between the
        min/average/max targets).
    clothing: "tight" (skin-tight, 3 mm), "tshirt" (a T-shirt over the trunk and upper arms,
        shorts) or "hoodie" (a thick loose top over trunk and arms, hood on the upper back,
        joggers), as offset surfaces that follow the skin.
    """

    height_m: float = 1.75
    sex: float = 1.0
    muscle: float = 0.5
    weight: float = 0.5
    clothing: str = "tight"

    def __post_init__(self) -> None:
        if not 1.5 <= self.height_m <= 2.0:
            raise ValueError(f"height_m must be within 1.5–2.0, got {self.height_m}")
        for k in ("sex", "muscle", "weight"):
            v = getattr(self, k)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{k} must be within 0–1, got {v}")
        if self.clothing not in CLOTHING:
            raise ValueError(f"clothing must be one of {CLOTHING}, got {self.clothing!r}")


def _tri_weights(x: float) -> dict[str, float]:
    """min/average/max interpolation weights of a macro value in 0..1 (0.5 = average)."""
    if x < 0.5:
        return {"min": (0.5 - x) / 0.5, "average": x / 0.5}
    return {"average": (1.0 - x) / 0.5, "max": (x - 0.5) / 0.5}


def target_weights(shape: MeshShape) -> dict[str, float]:
    """The shape targets and their weights for a MeshShape (ancestry: an even mix of the three)."""
    out: dict[str, float] = {}
    sex_w = {"female": 1.0 - shape.sex, "male": shape.sex}
    mus, wei = _tri_weights(shape.muscle), _tri_weights(shape.weight)
    h = float(np.clip(0.5 + (shape.height_m - 1.72) / 0.5, 0.0, 1.0))
    hw = _tri_weights(h)
    for sex, ws in sex_w.items():
        if ws <= 0:
            continue
        for anc in ("african", "asian", "caucasian"):
            out[f"{anc}-{sex}-young"] = ws / 3.0
        for m, wm in mus.items():
            for w, ww in wei.items():
                if m == "average" and w == "average":
                    continue
                out[f"universal-{sex}-young-{m}muscle-{w}weight"] = ws * wm * ww
        for k in ("min", "max"):
            if k in hw:
                out[f"height-{sex}-young-averagemuscle-averageweight-{k}height"] = ws * hw[k]
    return {k: v for k, v in out.items() if v > 1e-9}


def vertex_normals(vertices_m: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(n, 3) area-weighted unit vertex normals (outward for MakeHuman's winding)."""
    a, b, c = (vertices_m[triangles[:, k]] for k in range(3))
    fn = np.cross(b - a, c - a)
    n = np.zeros_like(vertices_m)
    for k in range(3):
        np.add.at(n, triangles[:, k], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True, eq=False)
class ShapedMesh:
    """A shaped, dressed mesh athlete in the rest pose (floor frame, facing −y, soles at z = 0).

    vertices_m: (n_body, 3) the surface (clothing included); skin_m: the same without clothing.
    joints_m: (n_joints, 3) rig joints; bone_head_m/bone_tail_m: (n_bones, 3).
    rest_points_m: (len(SIM_POINTS), 3) the rig's sim points at rest (RIG_JOINTS).
    """

    asset: MeshAsset
    shape: MeshShape
    vertices_m: np.ndarray
    skin_m: np.ndarray
    joints_m: np.ndarray
    bone_head_m: np.ndarray
    bone_tail_m: np.ndarray
    rest_points_m: np.ndarray
    heel_toe_rest_m: np.ndarray   # (4, 3): heel_l, toe_l, heel_r, toe_r on the sole
    clothing_offset_m: np.ndarray  # (n_body,) outward offset of each vertex
    drape_m: np.ndarray            # (n_body,) how far loose cloth there hangs when the trunk is horizontal

    @property
    def triangles(self) -> np.ndarray:
        return self.asset.triangles



@lru_cache(maxsize=32)
def shaped_mesh(shape: MeshShape = MeshShape(), asset_path: str | None = None) -> ShapedMesh:
    """The mesh athlete of `shape` in its rest pose: targets applied, scaled, dressed."""
    asset = load_mesh_asset(asset_path)
    v = asset.vertices_m.copy()
    for name, w in target_weights(shape).items():
        if name not in asset.targets:
            raise ValueError(f"shape target {name!r} missing from {DATA_PATH.name}")
        idx, d = asset.targets[name]
        np.add.at(v, idx, w * d)
    body = v[:asset.n_body]
    z0 = body[:, 2].min()
    scale = shape.height_m / (body[:, 2].max() - z0)
    joints = asset.joint_positions(v)
    foot_l, foot_r = joints[asset.joint_names.index("foot.L____head")], joints[asset.joint_names.index("foot.R____head")]
    origin = np.array([0.5 * (foot_l[0] + foot_r[0]), 0.5 * (foot_l[1] + foot_r[1]), z0])
    v = (v - origin) * scale
    skin = v[:asset.n_body]
    joints = asset.joint_positions(v)
    off = smooth_over_mesh(clothing_offsets(asset, skin, shape.clothing), asset.triangles, asset.n_body)
    normals = vertex_normals(skin, asset.triangles)
    dressed = skin + normals * off[:, None]
    drape = smooth_over_mesh(clothing_drape(asset, skin, shape.clothing), asset.triangles, asset.n_body)
    heads = joints[asset.bone_head_joint]
    tails = joints[asset.bone_tail_joint]
    rest_points = rig_points(asset, heads, tails)
    # heel and toe on the sole (z = 0) below/ahead of each ankle: the foot's extreme surface points
    ht = []
    for side, bone in (("l", "foot.L"), ("r", "foot.R")):
        w = asset.region_weight((bone, f"toe1-1.{bone[-1]}", "toe"))  # foot and toes
        sel = (w > 0.5) & (np.sign(skin[:, 0]) == (1 if side == "l" else -1))
        pts = skin[sel]
        heel = pts[np.argmax(pts[:, 1])]
        toe = pts[np.argmin(pts[:, 1])]
        ht += [np.array([heel[0], heel[1], 0.0]), np.array([toe[0], toe[1], 0.0])]
    return ShapedMesh(asset, shape, dressed, skin, joints, heads, tails, rest_points, np.array(ht), off, drape)


# ------------------------------------------------------------------------------------ rig joints

# The sim points as rig joints: (bone, "head" | "tail"), or a blend of two such.
RIG_JOINTS: dict[str, tuple] = {
    "shoulder_l": ("upperarm01.L", "head"), "shoulder_r": ("upperarm01.R", "head"),
    "elbow_l": ("lowerarm01.L", "head"), "elbow_r": ("lowerarm01.R", "head"),
    "wrist_l": ("wrist.L", "head"), "wrist_r": ("wrist.R", "head"),
    "hip_l": ("upperleg01.L", "head"), "hip_r": ("upperleg01.R", "head"),
    "knee_l": ("lowerleg01.L", "head"), "knee_r": ("lowerleg01.R", "head"),
    "ankle_l": ("foot.L", "head"), "ankle_r": ("foot.R", "head"),
    "spine_low": ("spine04", "head"),   # L5/S1 region, ≈ 7 cm above the hip centres
    "spine_mid": ("spine02", "head"),   # T12/L1, the thoracolumbar junction
    "head_top": ("head", "tail"),
}


def rig_points(asset: MeshAsset, heads: np.ndarray, tails: np.ndarray) -> np.ndarray:
    """(..., len(SIM_POINTS), 3) sim points from bone heads/tails (..., n_bones, 3).

    heel/toe are left at the ankle here; ShapedMesh and PosedRig set them from the foot.
    """
    out = np.zeros(heads.shape[:-2] + (len(SIM_POINTS), 3))
    b = asset.bone
    for name, (bone, end) in RIG_JOINTS.items():
        out[..., SIM_INDEX[name], :] = (heads if end == "head" else tails)[..., b(bone), :]
    for s in ("l", "r"):
        S = s.upper()
        wrist = heads[..., b(f"wrist.{S}"), :]
        mcp = heads[..., b(f"finger3-1.{S}"), :]
        out[..., SIM_INDEX[f"hand_{s}"], :] = 0.5 * (wrist + mcp)   # centre of the palm
        for k in ("heel", "toe"):
            out[..., SIM_INDEX[f"{k}_{s}"], :] = out[..., SIM_INDEX[f"ankle_{s}"], :]
    hb, ht = heads[..., b("head"), :], tails[..., b("head"), :]
    out[..., SIM_INDEX["head"], :] = hb + HEAD_CENTRE_FRACTION * (ht - hb)
    out[..., SIM_INDEX["neck"], :] = 0.5 * (out[..., SIM_INDEX["shoulder_l"], :] + out[..., SIM_INDEX["shoulder_r"], :])
    out[..., SIM_INDEX["pelvis"], :] = 0.5 * (out[..., SIM_INDEX["hip_l"], :] + out[..., SIM_INDEX["hip_r"], :])
    return out
