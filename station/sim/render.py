"""Analytic depth renderer for the synthetic athlete: primitives in, a D435-like z image out.

Scenes are sets of primitives in the floor frame (metres, z up; see station.frames):
spheres, round cones (tapered capsules: two end spheres joined by their tangent cone),
oriented ellipsoids, oriented boxes, capped cylinders and infinite planes. `Primitives`
packs them into three arrays so a body, its implement, another person and the gym are
simply concatenated.

`render()` casts one ray per pixel (pinhole, no distortion) and keeps the nearest entry
surface: depth is the camera-frame z in metres (what a D4xx reports), 0 where nothing is
nearer than `max_z_m`. Each primitive is tested only inside the screen box of its end spheres
or oriented bounding box, front to back, skipping pixels already nearer than its nearest
point (see
station.sim._render_kernels). A surface seen from inside (camera inside a primitive) is not
rendered. Labels: 0 nothing, 1 lifter, 2 implement, 3 other person, 4 scene.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from station.frames import invert
from station.model import Intrinsics
from station.sim import _render_kernels as _k

SPHERE, ROUND_CONE, ELLIPSOID, BOX, CYLINDER, PLANE = 0, 1, 2, 3, 4, 5
KIND_NAMES: tuple[str, ...] = ("sphere", "round_cone", "ellipsoid", "box", "cylinder", "plane")
N_PARAMS = 16

LABEL_NONE, LABEL_LIFTER, LABEL_IMPLEMENT, LABEL_OTHER_PERSON, LABEL_SCENE = 0, 1, 2, 3, 4

DEFAULT_MAX_Z_M = 10.0
_NEAR_M = 1e-3  # primitives reaching nearer than this get the whole image
_TMIN_M = 1e-6  # ray parameter below which a hit counts as behind the camera


@dataclass(frozen=True)
class Primitives:
    """Primitives packed into arrays (floor frame, metres).

    kind: (n,) int32, one of SPHERE..PLANE.
    params_floor: (n, 16) float32, per-kind layout documented in station.sim._render_kernels.
    label: (n,) int32, LABEL_* of each primitive.
    names: (n,) part names, for debugging and tests ("thigh_l", "plate", ...).
    """

    kind: np.ndarray
    params_floor: np.ndarray
    label: np.ndarray
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = self.kind.shape[0]
        if self.kind.dtype != np.int32 or self.kind.ndim != 1:
            raise ValueError("kind must be a 1-D int32 array")
        if self.params_floor.dtype != np.float32 or self.params_floor.shape != (n, N_PARAMS):
            raise ValueError(f"params_floor must be float32 ({n}, {N_PARAMS})")
        if self.label.dtype != np.int32 or self.label.shape != (n,):
            raise ValueError(f"label must be int32 ({n},)")
        if self.names and len(self.names) != n:
            raise ValueError("names must be empty or one per primitive")
        if n and (self.kind.min() < SPHERE or self.kind.max() > PLANE):
            raise ValueError("unknown primitive kind")

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @staticmethod
    def empty() -> "Primitives":
        return Primitives(np.zeros(0, np.int32), np.zeros((0, N_PARAMS), np.float32), np.zeros(0, np.int32))

    @staticmethod
    def concat(*parts: "Primitives") -> "Primitives":
        """All primitives of `parts`, in order: `Primitives.concat(body, bar, gym)`."""
        if not parts:
            return Primitives.empty()
        names: tuple[str, ...] = ()
        if all(p.names or len(p) == 0 for p in parts):
            names = tuple(n for p in parts for n in p.names)
        return Primitives(
            np.concatenate([p.kind for p in parts]).astype(np.int32, copy=False),
            np.concatenate([p.params_floor for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.label for p in parts]).astype(np.int32, copy=False),
            names,
        )

    def with_label(self, label: int) -> "Primitives":
        """The same primitives, all labelled `label` (e.g. a second body as LABEL_OTHER_PERSON)."""
        return Primitives(self.kind, self.params_floor, np.full(len(self), label, np.int32), self.names)

    def select(self, mask: np.ndarray) -> "Primitives":
        mask = np.asarray(mask, bool)
        names = tuple(n for n, m in zip(self.names, mask) if m) if self.names else ()
        return Primitives(self.kind[mask], self.params_floor[mask], self.label[mask], names)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    n = np.linalg.norm(v)
    if n < 1e-12:
        raise ValueError("zero-length direction")
    return v / n


def frame_from_axis(axis: np.ndarray, hint: np.ndarray | None = None) -> np.ndarray:
    """3x3 rows (e0, e1, e2) of an orthonormal frame with e2 along `axis`.

    e0 is `hint` made orthogonal to the axis (any perpendicular if hint is None or parallel).
    """
    e2 = _unit(axis)
    cands = [] if hint is None else [np.asarray(hint, np.float64)]
    cands += [np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])]
    for h in cands:
        e0 = h - (h @ e2) * e2
        if np.linalg.norm(e0) > 1e-6:
            e0 = e0 / np.linalg.norm(e0)
            break
    e1 = np.cross(e2, e0)
    return np.stack([e0, e1, e2])


class PrimitiveList:
    """Builder: add primitives one by one (floor frame, metres), then `build()`."""

    def __init__(self, label: int = LABEL_SCENE):
        self.label = label
        self._kind: list[int] = []
        self._params: list[np.ndarray] = []
        self._label: list[int] = []
        self._names: list[str] = []

    def _add(self, kind: int, values: list, label: int | None, name: str) -> None:
        row = np.zeros(N_PARAMS, np.float64)
        flat = np.concatenate([np.ravel(np.asarray(v, np.float64)) for v in values])
        row[:flat.size] = flat
        if not np.all(np.isfinite(row)):
            raise ValueError(f"non-finite parameters for {name or KIND_NAMES[kind]}")
        self._kind.append(kind)
        self._params.append(row)
        self._label.append(self.label if label is None else label)
        self._names.append(name)

    def sphere(self, centre, radius: float, *, label: int | None = None, name: str = "") -> "PrimitiveList":
        self._add(SPHERE, [centre, [radius]], label, name)
        return self

    def round_cone(self, a, b, radius_a: float, radius_b: float, *, label: int | None = None,
                   name: str = "") -> "PrimitiveList":
        """Tapered capsule: sphere(a, radius_a) and sphere(b, radius_b) joined by their tangent cone."""
        self._add(ROUND_CONE, [a, b, [radius_a, radius_b]], label, name)
        return self

    def capsule(self, a, b, radius: float, **kw) -> "PrimitiveList":
        return self.round_cone(a, b, radius, radius, **kw)

    def ellipsoid(self, centre, axes, radii, *, label: int | None = None, name: str = "") -> "PrimitiveList":
        """axes: 3x3, rows are the unit semi-axis directions; radii along them."""
        self._add(ELLIPSOID, [centre, np.asarray(axes).reshape(9), radii], label, name)
        return self

    def box(self, centre, axes, half_extents, *, label: int | None = None, name: str = "") -> "PrimitiveList":
        """axes: 3x3, rows are the box's unit axes; half_extents along them."""
        self._add(BOX, [centre, np.asarray(axes).reshape(9), half_extents], label, name)
        return self

    def cylinder(self, a, b, radius: float, *, label: int | None = None, name: str = "") -> "PrimitiveList":
        """Capped cylinder from end-cap centre a to end-cap centre b."""
        a = np.asarray(a, np.float64)
        b = np.asarray(b, np.float64)
        axes = frame_from_axis(b - a)
        half = 0.5 * float(np.linalg.norm(b - a))
        self._add(CYLINDER, [0.5 * (a + b), axes.reshape(9), [radius, radius, half]], label, name)
        return self

    def plane(self, normal, point, *, label: int | None = None, name: str = "") -> "PrimitiveList":
        """Infinite plane through `point` with `normal`."""
        n = _unit(normal)
        self._add(PLANE, [n, [-float(n @ np.asarray(point, np.float64))]], label, name)
        return self

    def extend(self, prims: Primitives) -> "PrimitiveList":
        for i in range(len(prims)):
            self._kind.append(int(prims.kind[i]))
            self._params.append(prims.params_floor[i].astype(np.float64))
            self._label.append(int(prims.label[i]))
            self._names.append(prims.names[i] if prims.names else "")
        return self

    def build(self) -> Primitives:
        if not self._kind:
            return Primitives.empty()
        return Primitives(np.asarray(self._kind, np.int32), np.asarray(self._params, np.float32),
                          np.asarray(self._label, np.int32), tuple(self._names))


@dataclass(frozen=True)
class Rendered:
    """depth_m: (H, W) float32 camera z (0 = nothing); prim_index: (H, W) int32 row of the
    visible primitive (-1 = none); label: (H, W) uint8 LABEL_* of it."""

    depth_m: np.ndarray
    prim_index: np.ndarray
    label: np.ndarray


def _check_T(T_floor_cam: np.ndarray) -> np.ndarray:
    T = np.asarray(T_floor_cam, np.float64)
    if T.shape != (4, 4) or not np.all(np.isfinite(T)):
        raise ValueError("T_floor_cam must be a finite 4x4 matrix")
    return T


def prepare(prims: Primitives, T_floor_cam: np.ndarray, intrinsics: Intrinsics):
    """Camera-frame parameters, visiting order, pixel boxes and nearest z of each primitive."""
    T_cam_floor = invert(_check_T(T_floor_cam))
    R = np.ascontiguousarray(T_cam_floor[:3, :3], np.float32)
    t = np.ascontiguousarray(T_cam_floor[:3, 3], np.float32)
    n = len(prims)
    params_cam = np.empty((n, N_PARAMS), np.float32)
    _k.transform_primitives(prims.kind, prims.params_floor, R, t, params_cam)
    bbox = np.empty((n, 4), np.int32)
    zmin = np.empty(n, np.float32)
    _k.screen_bounds(prims.kind, params_cam, intrinsics.width, intrinsics.height, float(intrinsics.fx),
                     float(intrinsics.fy), float(intrinsics.ppx), float(intrinsics.ppy), _NEAR_M, bbox, zmin)
    # front to back; planes (zmin -inf) last: they have no early out and cover everything
    order = np.argsort(np.where(zmin > -np.inf, zmin, np.inf), kind="stable").astype(np.int32)
    return params_cam, order, bbox, zmin


class Renderer:
    """Renders into its own preallocated buffers (one set per intrinsics).

    `render()` returns views of those buffers: they are overwritten by the next call, so copy
    what you keep. Fresh 848x480 buffers per frame cost page faults (~1 ms), hence this class.
    """

    def __init__(self, intrinsics: Intrinsics, max_z_m: float = DEFAULT_MAX_Z_M):
        if max_z_m <= 0:
            raise ValueError("max_z_m must be positive")
        if intrinsics.width < 0 or intrinsics.height < 0:
            raise ValueError("negative image size")
        self.intrinsics = intrinsics
        self.max_z_m = float(max_z_m)
        H, W = intrinsics.height, intrinsics.width
        self._depth = np.zeros((H, W), np.float32)
        self._index = np.zeros((H, W), np.int32)
        self._label = np.zeros((H, W), np.uint8)

    def render(self, prims: Primitives, T_floor_cam: np.ndarray) -> Rendered:
        intr = self.intrinsics
        params_cam, order, bbox, zmin = prepare(prims, T_floor_cam, intr)
        _k.rasterise(prims.kind, params_cam, prims.label.astype(np.uint8), order, bbox, zmin,
                     float(intr.fx), float(intr.fy), float(intr.ppx), float(intr.ppy),
                     self.max_z_m, _TMIN_M, self._depth, self._index, self._label)
        return Rendered(self._depth, self._index, self._label)


def render(prims: Primitives, T_floor_cam: np.ndarray, intrinsics: Intrinsics,
           max_z_m: float = DEFAULT_MAX_Z_M) -> Rendered:
    """Depth, primitive index and label images of `prims` seen from camera pose T_floor_cam.

    Fresh arrays each call; use a `Renderer` in a frame loop.
    """
    return Renderer(intrinsics, max_z_m).render(prims, T_floor_cam)


def render_depth_m(prims: Primitives, T_floor_cam: np.ndarray, intrinsics: Intrinsics,
                   max_z_m: float = DEFAULT_MAX_Z_M) -> np.ndarray:
    """(H, W) float32 camera-frame z of the nearest surface per pixel, 0 where none."""
    return render(prims, T_floor_cam, intrinsics, max_z_m).depth_m


# ----------------------------------------------------------------------------- looking at it

# Polynomial fit of Google's Turbo colour map (Mikhailov 2019), x in [0, 1].
_TURBO_R = (0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943)
_TURBO_G = (0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604)
_TURBO_B = (0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973)


def depth_to_rgb(depth_m: np.ndarray, near_m: float, far_m: float) -> np.ndarray:
    """(H, W, 3) uint8 turbo colours: near_m blue through green/yellow to far_m red; 0 = black."""
    d = np.asarray(depth_m, np.float32)
    x = np.clip((d - near_m) / max(far_m - near_m, 1e-6), 0.0, 1.0).astype(np.float32)
    powers = np.stack([x ** i for i in range(6)], axis=-1)
    rgb = np.stack([powers @ np.asarray(c, np.float32) for c in (_TURBO_R, _TURBO_G, _TURBO_B)], axis=-1)
    out = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    out[~(d > 0)] = 0
    return out


def write_png(path: str, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 image as a PNG (no dependencies beyond zlib)."""
    rgb = np.ascontiguousarray(rgb, np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("rgb must be (H, W, 3) uint8")
    h, w = rgb.shape[:2]
    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    from station.fileio import write_bytes

    write_bytes(path, png)
