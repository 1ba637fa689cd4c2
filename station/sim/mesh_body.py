"""A second synthetic athlete: the MakeHuman skinned human mesh, posed from the sim's skeleton.

The capsule body (station.sim.body) is made of the same kind of primitives the fitter fits,
so a fitter judged only on it is judged by its own assumptions. This body is a real human
surface (the CC0 MakeHuman "hm08" base mesh, station/data/mesh/) with its own rig and
linear-blend skinning weights, reshaped by MakeHuman's shape targets and dressed in offset
surfaces, so its silhouette, girths, joint-centre depths and spine curvature are not those
of any capsule model.

Pipeline (all arrays in the floor frame, metres, z up; see station.frames):

    asset = load_mesh_asset()                      # rest mesh, rig, weights, targets (mesh_shape)
    body = shaped_mesh(MeshShape(height_m=1.8))    # shape + clothing in the rest (A-)pose (mesh_shape)
    rig = pose_rig(body, poses_sim, reference)     # (n,) bone rotations from SIM_POINTS poses
    verts = skin(body, rig, i)                     # (n_vertices, 3) posed surface of frame i
    rig.points                                     # (n, len(SIM_POINTS), 3) the rig's joints

Posing. The motion sources speak SIM_POINTS (station.sim.pose): points, not rotations. Each
rig segment takes the rotation that turns its rest frame into the frame the sim points give
it: a primary axis along the segment (thigh hip→knee, thorax spine_mid→neck, ...) and a
secondary axis from the person's left (hips for the legs and pelvis, shoulders for the
thorax, arms and head). Limbs are mapped from the mesh's own rest directions (its A-pose);
the pelvis, thorax and head from a standing reference pose of the sim skeleton (their rest
tilt is the sim's standing tilt), so a person standing upright is the mesh standing upright.
The thorax's rotation relative to the pelvis is spread over the five spine bones
(SPINE_SHARES: more in the upper, longer thoracic bones), so a rounded back curves along
the whole spine, the upper back humps and the shoulders come down and forward. The mesh
keeps its own bone lengths; it stands where the sim's feet stand (mid-ankles and the lowest
sole point matched).

Truth. The joints are the rig's joint centres (station.sim.mesh_shape.RIG_JOINTS); the contract's angles
follow from them (station.form.angles), except `spine_flexion`: the sagittal angle of the
top thoracic bone (spine01) in the pelvis (`root`) frame, minus its value when standing
(docs/analysis-output.md, "Synthetic athletes").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.frames import UP_FLOOR
from station.sim.mesh_clothing import apply_drape
from station.sim.mesh_shape import ShapedMesh, rig_points
from station.sim.pose import SIM_INDEX, SIM_POINTS

# Share of the thorax-vs-pelvis rotation taken by each spine bone, bottom to top.
SPINE_BONES = ("spine05", "spine04", "spine03", "spine02", "spine01")
SPINE_SHARES = (0.12, 0.14, 0.16, 0.26, 0.32)
NECK_BONES = ("neck01", "neck02", "neck03")


# ------------------------------------------------------------------------------------ rotations

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _perp(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return v - np.sum(v * axis, axis=-1, keepdims=True) * axis


def segment_frame(primary: np.ndarray, hint: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """(..., 3, 3) orthonormal frames, columns (primary, hint ⟂ primary, primary × hint).

    Where the hint is nearly parallel to the primary axis the fallback hint blends in
    smoothly, so a limb pointing along the left axis still has a defined twist.
    """
    p = _unit(primary)
    h1 = _perp(hint, p)
    n1 = np.linalg.norm(h1, axis=-1, keepdims=True)
    h2 = _unit(_perp(fallback, p))
    blend = np.clip((0.5 - n1) / 0.5, 0.0, 1.0)
    h = _unit(h1 + 2.0 * blend * h2)
    return np.stack([p, h, np.cross(p, h)], axis=-1)


def rot_log(R: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors of rotation matrices (..., 3, 3)."""
    c = np.clip((np.trace(R, axis1=-2, axis2=-1) - 1.0) * 0.5, -1.0, 1.0)
    ang = np.arccos(c)
    w = np.stack([R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]], -1)
    s = np.sin(ang)
    small = s < 1e-6
    k = np.where(small, 0.5, ang / (2.0 * np.where(small, 1.0, s)))
    out = w * k[..., None]
    # near 180° the antisymmetric part vanishes: take the axis from the symmetric part
    big = ang > math.pi - 1e-3
    if np.any(big):
        Rb = R[big]
        axis = np.sqrt(np.clip((np.diagonal(Rb, axis1=-2, axis2=-1) + 1.0) * 0.5, 0.0, None))
        sgn = np.sign(np.stack([Rb[:, 2, 1] - Rb[:, 1, 2], Rb[:, 0, 2] - Rb[:, 2, 0], Rb[:, 1, 0] - Rb[:, 0, 1]], -1))
        sgn[sgn == 0] = 1.0
        out[big] = axis * sgn * ang[big][:, None]
    return out


def rot_exp(w: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices of rotation vectors (..., 3) (Rodrigues)."""
    th = np.linalg.norm(w, axis=-1)
    k = w / np.maximum(th, 1e-12)[..., None]
    K = np.zeros(w.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2] = -k[..., 2], k[..., 1]
    K[..., 1, 0], K[..., 1, 2] = k[..., 2], -k[..., 0]
    K[..., 2, 0], K[..., 2, 1] = -k[..., 1], k[..., 0]
    s, c = np.sin(th)[..., None, None], np.cos(th)[..., None, None]
    return np.eye(3) + s * K + (1.0 - c) * (K @ K)


def _rz(angle_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    R = np.zeros(np.shape(angle_rad) + (3, 3))
    R[..., 0, 0], R[..., 0, 1], R[..., 1, 0], R[..., 1, 1], R[..., 2, 2] = c, -s, s, c, 1.0
    return R


def _T(R: np.ndarray) -> np.ndarray:
    return np.swapaxes(R, -1, -2)


# ------------------------------------------------------------------------------------ posing

@dataclass(frozen=True, eq=False)
class PosedRig:
    """The rig posed over n frames (floor frame, metres).

    R_bone: (n, n_bones, 3, 3) global rotation of each bone from its rest orientation;
    head_m: (n, n_bones, 3) posed bone heads; points: (n, len(SIM_POINTS), 3) the rig's sim
    points (contract joints are the rig's joint centres); spine_raw_deg: (n,) sagittal angle
    of spine01 in the root frame; spine_standing_deg: its value standing (the baseline).
    """

    body: ShapedMesh
    R_bone: np.ndarray
    head_m: np.ndarray
    points: np.ndarray
    spine_raw_deg: np.ndarray
    spine_standing_deg: float

    @property
    def spine_flexion_deg(self) -> np.ndarray:
        return self.spine_raw_deg - self.spine_standing_deg

    def __len__(self) -> int:
        return int(self.R_bone.shape[0])


def _sim(P: np.ndarray, name: str) -> np.ndarray:
    return P[..., SIM_INDEX[name], :]


def _trunk_frames(P: np.ndarray) -> dict[str, np.ndarray]:
    """Pelvis, thorax and head frames (..., 3, 3) of sim poses (primary axis up the segment)."""
    L_hip = _unit(_sim(P, "hip_l") - _sim(P, "hip_r"))
    L_sh = _unit(_sim(P, "shoulder_l") - _sim(P, "shoulder_r"))
    fwd_hint = np.cross(UP_FLOOR, L_hip)  # horizontal forward, a fallback only
    return {
        "pelvis": segment_frame(_sim(P, "spine_low") - _sim(P, "pelvis"), L_hip, fwd_hint),
        "thorax": segment_frame(_sim(P, "neck") - _sim(P, "spine_mid"), L_sh, fwd_hint),
        "head": segment_frame(_sim(P, "head_top") - _sim(P, "head"), L_sh, fwd_hint),
    }


def _sagittal_deg(d: np.ndarray, R_frame: np.ndarray) -> np.ndarray:
    """Sagittal angle (deg, forward positive) of direction d in a frame whose rest axes are the
    floor's (left = +x, forward = −y, up = +z) rotated by R_frame."""
    local = np.einsum("...ji,...j->...i", R_frame, d)  # R^T d
    return np.degrees(np.arctan2(-local[..., 1], local[..., 2]))


def pose_rig(body: ShapedMesh, poses_floor_m: np.ndarray, reference_pose_m: np.ndarray) -> PosedRig:
    """Pose the rig from sim poses (n, len(SIM_POINTS), 3); see the module docstring.

    reference_pose_m: (len(SIM_POINTS), 3) the same person standing upright (any facing); its
    pelvis, thorax and head orientations are taken to be the mesh's rest orientations.
    """
    P = np.asarray(poses_floor_m, np.float64)
    if P.ndim != 3 or P.shape[1:] != (len(SIM_POINTS), 3):
        raise ValueError(f"poses_floor_m must be (n, {len(SIM_POINTS)}, 3), got {P.shape}")
    Pref = np.asarray(reference_pose_m, np.float64)
    a = body.asset
    n, nb = len(P), len(a.bone_names)
    heads0, tails0 = body.bone_head_m, body.bone_tail_m
    b = a.bone

    # trunk: posed frame · canonical standing frame^T (the reference turned to face −y)
    Lr = _sim(Pref, "hip_l") - _sim(Pref, "hip_r")
    yaw_ref = math.atan2(Lr[1], Lr[0])
    unyaw = _rz(np.array(-yaw_ref))
    F_now, F_ref = _trunk_frames(P), _trunk_frames(Pref)
    R_seg = {k: F_now[k] @ _T(unyaw @ F_ref[k]) for k in F_now}

    # limbs: posed frame · the mesh's rest frame^T
    X, FWD = np.array([1.0, 0.0, 0.0]), np.array([0.0, -1.0, 0.0])
    L_hip = _unit(_sim(P, "hip_l") - _sim(P, "hip_r"))
    L_sh = _unit(_sim(P, "shoulder_l") - _sim(P, "shoulder_r"))
    fwd_p = R_seg["pelvis"] @ FWD
    fwd_t = R_seg["thorax"] @ FWD
    rp = body.rest_points_m

    def limb(p0: str, p1: str, rest_dir: np.ndarray, hint: np.ndarray, fwd: np.ndarray) -> np.ndarray:
        F_pose = segment_frame(_sim(P, p1) - _sim(P, p0), hint, fwd)
        F_rest = segment_frame(rest_dir, X, FWD)
        return F_pose @ _T(F_rest)

    def rest(p0: str, p1: str) -> np.ndarray:
        return rp[SIM_INDEX[p1]] - rp[SIM_INDEX[p0]]

    R = np.zeros((n, nb, 3, 3))
    driven = np.zeros(nb, bool)

    def put(names, Rv):
        for nm in names:
            R[:, b(nm)] = Rv
            driven[b(nm)] = True

    put(["root", "pelvis.L", "pelvis.R"], R_seg["pelvis"])
    rel = rot_log(_T(R_seg["pelvis"]) @ R_seg["thorax"])
    cum = np.cumsum(SPINE_SHARES)
    cum = cum / cum[-1]
    for nm, c in zip(SPINE_BONES, cum):
        put([nm], R_seg["pelvis"] @ rot_exp(c * rel))
    rel_h = rot_log(_T(R_seg["thorax"]) @ R_seg["head"])
    for k, nm in enumerate(NECK_BONES):
        put([nm], R_seg["thorax"] @ rot_exp((k + 1) / (len(NECK_BONES) + 1) * rel_h))
    put(["head"], R_seg["head"])
    for s in ("l", "r"):
        S = s.upper()
        put([f"upperleg01.{S}", f"upperleg02.{S}"], limb(f"hip_{s}", f"knee_{s}", rest(f"hip_{s}", f"knee_{s}"), L_hip, fwd_p))
        put([f"lowerleg01.{S}", f"lowerleg02.{S}"], limb(f"knee_{s}", f"ankle_{s}", rest(f"knee_{s}", f"ankle_{s}"), L_hip, fwd_p))
        # foot: forward along heel→toe, up from the sole to the ankle
        foot_fwd = _sim(P, f"toe_{s}") - _sim(P, f"heel_{s}")
        foot_up = _sim(P, f"ankle_{s}") - 0.5 * (_sim(P, f"toe_{s}") + _sim(P, f"heel_{s}"))
        F_pose = segment_frame(foot_fwd, foot_up, np.broadcast_to(UP_FLOOR, foot_fwd.shape))
        F_rest = segment_frame(FWD, UP_FLOOR, X)
        put([f"foot.{S}"], F_pose @ _T(F_rest))
        put([f"upperarm01.{S}", f"upperarm02.{S}"], limb(f"shoulder_{s}", f"elbow_{s}", rest(f"shoulder_{s}", f"elbow_{s}"), L_sh, fwd_t))
        put([f"lowerarm01.{S}", f"lowerarm02.{S}"], limb(f"elbow_{s}", f"wrist_{s}", rest(f"elbow_{s}", f"wrist_{s}"), L_sh, fwd_t))
        put([f"wrist.{S}"], limb(f"wrist_{s}", f"hand_{s}", rest(f"elbow_{s}", f"wrist_{s}"), L_sh, fwd_t))
    for i in range(nb):  # everything else moves rigidly with its parent
        if not driven[i]:
            p = a.bone_parent[i]
            R[:, i] = R[:, p] if p >= 0 else np.eye(3)

    # forward kinematics of the heads (root head at the origin), parents first
    H = np.zeros((n, nb, 3))
    for i in range(nb):
        p = a.bone_parent[i]
        if p >= 0:
            H[:, i] = H[:, p] + R[:, p] @ (heads0[i] - heads0[p])
    tails = H + np.einsum("nbij,bj->nbi", R, tails0 - heads0)
    pts = rig_points(a, H, tails)
    ht = body.heel_toe_rest_m
    for k, (nm, side) in enumerate((("heel", "l"), ("toe", "l"), ("heel", "r"), ("toe", "r"))):
        fb = b(f"foot.{side.upper()}")
        pts[:, SIM_INDEX[f"{nm}_{side}"]] = H[:, fb] + R[:, fb] @ (ht[k] - heads0[fb])

    # stand where the sim's feet stand
    mid_sim = 0.5 * (_sim(P, "ankle_l") + _sim(P, "ankle_r"))
    mid_rig = 0.5 * (pts[:, SIM_INDEX["ankle_l"]] + pts[:, SIM_INDEX["ankle_r"]])
    sole_ix = [SIM_INDEX[k] for k in ("heel_l", "toe_l", "heel_r", "toe_r")]
    dz = P[:, sole_ix, 2].min(1) - pts[:, sole_ix, 2].min(1)
    shift = np.stack([mid_sim[:, 0] - mid_rig[:, 0], mid_sim[:, 1] - mid_rig[:, 1], dz], -1)
    H = H + shift[:, None]
    pts = pts + shift[:, None]

    # truth spine angle: spine01's direction in the root frame, sagittal
    d_top = R[:, b("spine01")] @ (tails0[b("spine01")] - heads0[b("spine01")])
    raw = _sagittal_deg(d_top, R[:, b("root")])
    standing = float(_sagittal_deg(tails0[b("spine01")] - heads0[b("spine01")], np.eye(3)))
    return PosedRig(body, R, H, pts, raw, standing)


def skin(body: ShapedMesh, rig: PosedRig, i: int, vertices_m: np.ndarray | None = None) -> np.ndarray:
    """(n_body, 3) the posed surface of frame i by linear-blend skinning (float64, floor frame).

    vertices_m: rest vertices to skin (default: the dressed surface).
    """
    a = body.asset
    V = body.vertices_m if vertices_m is None else vertices_m
    R = rig.R_bone[i]                                          # (nb, 3, 3)
    t = rig.head_m[i] - np.einsum("bij,bj->bi", R, body.bone_head_m)  # (nb, 3)
    Rw = np.einsum("vk,vkij->vij", a.weight, R[a.weight_bone])
    tw = np.einsum("vk,vki->vi", a.weight, t[a.weight_bone])
    return np.einsum("vij,vj->vi", Rw, V) + tw


def rest_rig(body: ShapedMesh) -> PosedRig:
    """The rig in its rest pose (one frame): identity rotations, rest heads."""
    nb = len(body.asset.bone_names)
    R = np.broadcast_to(np.eye(3), (1, nb, 3, 3)).copy()
    pts = body.rest_points_m.copy()
    for k, nm in enumerate(("heel_l", "toe_l", "heel_r", "toe_r")):
        pts[SIM_INDEX[nm]] = body.heel_toe_rest_m[k]
    b = body.asset.bone("spine01")
    standing = float(_sagittal_deg(body.bone_tail_m[b] - body.bone_head_m[b], np.eye(3)))
    return PosedRig(body, R, body.bone_head_m[None].copy(), pts[None], np.array([standing]), standing)


def bone_transforms(body: ShapedMesh, rig: PosedRig, i: int) -> tuple[np.ndarray, np.ndarray]:
    """(R (n_bones, 3, 3), t (n_bones, 3)) mapping rest points of each bone to frame i."""
    R = np.ascontiguousarray(rig.R_bone[i])
    t = rig.head_m[i] - np.einsum("bij,bj->bi", R, body.bone_head_m)
    return R, np.ascontiguousarray(t)


def skin_fast(body: ShapedMesh, rig: PosedRig, i: int, vertices_m: np.ndarray | None = None,
              out_m: np.ndarray | None = None) -> np.ndarray:
    """skin() through the numba kernel (the one the renderer uses); out_m (n_body, 3) reused if given."""
    from station.sim import _mesh_kernels as _mk

    V = body.vertices_m if vertices_m is None else vertices_m
    R, t = bone_transforms(body, rig, i)
    out = np.empty((len(V), 3)) if out_m is None else out_m
    _mk.skin_lbs(np.ascontiguousarray(V, np.float64), body.asset.weight_bone, body.asset.weight, R, t, out)
    if vertices_m is None and body.drape_m.any():
        apply_drape(body, rig, i, out)
    return out


def draw_mesh(depth_m: np.ndarray, index: np.ndarray, label: np.ndarray, vertices_floor_m: np.ndarray,
              triangles: np.ndarray, T_floor_cam: np.ndarray, intrinsics, label_value: int,
              index_offset: int, near_m: float = 0.05) -> None:
    """Z-buffer a triangle mesh (floor frame) into a rendered depth/index/label image, in place."""
    from station.frames import invert
    from station.sim import _mesh_kernels as _mk

    T = invert(np.asarray(T_floor_cam, np.float64))
    cam = np.ascontiguousarray(vertices_floor_m @ T[:3, :3].T + T[:3, 3])
    _mk.rasterise_triangles(cam, np.ascontiguousarray(triangles, np.int32), float(intrinsics.fx),
                            float(intrinsics.fy), float(intrinsics.ppx), float(intrinsics.ppy), near_m,
                            np.uint8(label_value), int(index_offset), depth_m, index, label)
