"""Acclaim motion capture files: ASF skeletons and AMC motions, parsed, and their forward kinematics.

Nothing here knows the synthetic athlete: station.sim.mocap_retarget maps the resulting
segments onto the sim's points and station.sim.mocap packages the CMU clips.

Acclaim conventions (as in station/data/mocap/README.md)
---------------------------------------------------------
* ASF ``units length L``: ASF bone lengths and AMC root translations are in units of
  1/L inch, so metres = value × (1/L) × 2.54 / 100 (0.056444 for CMU's L = 0.45).
* ASF ``axis ax ay az ORDER`` gives C = R(ORDER) of the axis angles; for ``XYZ``,
  C = Rz(az)·Ry(ay)·Rx(ax). AMC angles (``:DEGREES``) of a bone's dof give
  M = Rz(rz)·Ry(ry)·Rx(rx) (missing dofs are zero; composed in the bone's axis order).
* R_bone = R_parent · C · M · C⁻¹ (the root: R_root = C_root · M_root · C_root⁻¹ with C_root
  from the root ``orientation``), bone end = parent end + R_bone · (direction · length).
  The root's "end" is its translation (root ``position`` + AMC tx ty tz).
* ``limits`` are ignored; AMC frames are 120 Hz for CMU.
* CMU world: metres after scaling, Y up, floor near y = 0; in the rest pose the subject faces
  +Z with their left towards +X.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AMC_FPS_HZ = 120.0
INCH_M = 0.0254


class MocapFormatError(ValueError):
    """A malformed ASF/AMC/labels file; the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


# ---------------------------------------------------------------------------------- ASF

@dataclass(frozen=True)
class AsfBone:
    """One ASF segment. direction is a unit vector in the global rest frame; length in metres."""

    name: str
    parent: str
    direction: np.ndarray          # (3,)
    length_m: float
    axis_deg: np.ndarray           # (3,) x, y, z angles of C
    axis_order: str                # e.g. "XYZ"
    dof: tuple[str, ...]           # e.g. ("rx", "ry", "rz")


@dataclass(frozen=True)
class AsfSkeleton:
    """A parsed ASF. bones are in an order where every parent precedes its children."""

    path: str
    length_to_m: float             # metres per ASF/AMC length unit
    angles_in_degrees: bool
    root_order: tuple[str, ...]    # AMC root dof order, e.g. ("tx", "ty", "tz", "rx", "ry", "rz")
    root_axis_order: str
    root_position: np.ndarray      # (3,) ASF length units
    root_orientation_deg: np.ndarray  # (3,)
    bones: tuple[AsfBone, ...]

    @property
    def bone_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bones)


_ROT_DOF = ("rx", "ry", "rz")
_ASF_SECTIONS = ("version", "name", "units", "documentation", "root", "bonedata", "hierarchy")


def _floats(path, lineno, tokens, n, what):
    if len(tokens) != n:
        raise MocapFormatError(path, lineno, f"{what} needs {n} numbers, got {len(tokens)}: {' '.join(tokens)!r}")
    try:
        return np.array([float(t) for t in tokens])
    except ValueError:
        raise MocapFormatError(path, lineno, f"{what}: not a number in {' '.join(tokens)!r}") from None


def _check_order(path, lineno, order: str) -> str:
    order = order.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise MocapFormatError(path, lineno, f"rotation order must be a permutation of XYZ, got {order!r}")
    return order


def parse_asf(path: str | Path) -> AsfSkeleton:
    """Parse an Acclaim ASF skeleton file (units, root, bonedata, hierarchy)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as e:
        raise MocapFormatError(path, None, f"cannot read ASF: {e.strerror or e}") from None
    length_unit = 1.0
    angles_deg = True
    root_order: tuple[str, ...] | None = None
    root_axis = "XYZ"
    root_pos = np.zeros(3)
    root_ori = np.zeros(3)
    raw_bones: dict[str, dict] = {}
    bone_lines: dict[str, int] = {}
    parents: dict[str, str] = {}
    section = None
    cur: dict | None = None
    cur_line = 0
    in_hierarchy_block = False
    last_key = None

    for lineno, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        tok = s.split()
        if s.startswith(":"):
            if cur is not None:
                raise MocapFormatError(path, lineno, f"bone starting at line {cur_line} has no 'end'")
            section = tok[0][1:].lower()
            if section not in _ASF_SECTIONS:
                raise MocapFormatError(path, lineno, f"unknown ASF section {tok[0]!r}")
            continue
        if section == "documentation" or section in ("version", "name"):
            continue
        if section is None:
            raise MocapFormatError(path, lineno, f"text before the first section: {s!r}")
        key = tok[0].lower()
        if section == "units":
            if key == "length":
                v = _floats(path, lineno, tok[1:], 1, "units length")[0]
                if not v > 0:
                    raise MocapFormatError(path, lineno, f"units length must be > 0, got {v}")
                length_unit = float(v)
            elif key == "angle":
                if len(tok) != 2 or tok[1].lower() not in ("deg", "rad"):
                    raise MocapFormatError(path, lineno, f"units angle must be 'deg' or 'rad': {s!r}")
                angles_deg = tok[1].lower() == "deg"
            elif key == "mass":
                pass
            else:
                raise MocapFormatError(path, lineno, f"unknown unit {tok[0]!r}")
        elif section == "root":
            if key == "order":
                order = tuple(t.lower() for t in tok[1:])
                if sorted(order) != sorted(("tx", "ty", "tz", "rx", "ry", "rz")):
                    raise MocapFormatError(path, lineno, f"root order must list TX TY TZ RX RY RZ once each: {s!r}")
                root_order = order
            elif key == "axis":
                if len(tok) != 2:
                    raise MocapFormatError(path, lineno, f"root axis needs one rotation order: {s!r}")
                root_axis = _check_order(path, lineno, tok[1])
            elif key == "position":
                root_pos = _floats(path, lineno, tok[1:], 3, "root position")
            elif key == "orientation":
                root_ori = _floats(path, lineno, tok[1:], 3, "root orientation")
            else:
                raise MocapFormatError(path, lineno, f"unknown root field {tok[0]!r}")
        elif section == "bonedata":
            if key == "begin":
                if cur is not None:
                    raise MocapFormatError(path, lineno, f"'begin' inside the bone starting at line {cur_line}")
                cur, cur_line, last_key = {}, lineno, None
                continue
            if cur is None:
                raise MocapFormatError(path, lineno, f"bone field outside begin/end: {s!r}")
            if key == "end":
                for req in ("name", "direction", "length"):
                    if req not in cur:
                        raise MocapFormatError(path, lineno, f"bone starting at line {cur_line} has no {req!r}")
                name = cur["name"]
                if name in raw_bones or name == "root":
                    raise MocapFormatError(path, cur_line, f"bone {name!r} defined twice")
                raw_bones[name] = cur
                bone_lines[name] = cur_line
                cur = None
                continue
            if key == "id" or key == "bodymass" or key == "cofmass":
                pass
            elif key == "name":
                if len(tok) != 2:
                    raise MocapFormatError(path, lineno, f"bone name must be one word: {s!r}")
                cur["name"] = tok[1]
            elif key == "direction":
                d = _floats(path, lineno, tok[1:], 3, "direction")
                n = float(np.linalg.norm(d))
                if n < 1e-9:
                    raise MocapFormatError(path, lineno, "direction is a zero vector")
                cur["direction"] = d / n
            elif key == "length":
                v = float(_floats(path, lineno, tok[1:], 1, "length")[0])
                if v < 0:
                    raise MocapFormatError(path, lineno, f"negative bone length {v}")
                cur["length"] = v
            elif key == "axis":
                if len(tok) != 5:
                    raise MocapFormatError(path, lineno, f"axis needs three angles and an order: {s!r}")
                cur["axis"] = _floats(path, lineno, tok[1:4], 3, "axis")
                cur["axis_order"] = _check_order(path, lineno, tok[4])
            elif key == "dof":
                dof = tuple(t.lower() for t in tok[1:])
                for d in dof:
                    if d not in _ROT_DOF:
                        raise MocapFormatError(path, lineno, f"unsupported dof {d!r} (only rx ry rz on bones)")
                if len(set(dof)) != len(dof):
                    raise MocapFormatError(path, lineno, f"repeated dof in {s!r}")
                cur["dof"] = dof
            elif key == "limits" or (last_key == "limits" and s.startswith("(")):
                key = "limits"  # ignored
            else:
                raise MocapFormatError(path, lineno, f"unknown bone field {tok[0]!r}")
            last_key = key
        elif section == "hierarchy":
            if key == "begin":
                in_hierarchy_block = True
                continue
            if key == "end":
                in_hierarchy_block = False
                continue
            if not in_hierarchy_block:
                raise MocapFormatError(path, lineno, f"hierarchy line outside begin/end: {s!r}")
            parent = tok[0]
            if parent != "root" and parent not in raw_bones:
                raise MocapFormatError(path, lineno, f"unknown parent segment {parent!r}")
            for child in tok[1:]:
                if child not in raw_bones:
                    raise MocapFormatError(path, lineno, f"unknown segment {child!r}")
                if child in parents:
                    raise MocapFormatError(path, lineno, f"segment {child!r} has two parents")
                parents[child] = parent
    if cur is not None:
        raise MocapFormatError(path, cur_line, "bone has no 'end'")
    if root_order is None:
        raise MocapFormatError(path, None, "no ':root' section with an 'order' line")
    if not raw_bones:
        raise MocapFormatError(path, None, "no bones in ':bonedata'")
    for name in raw_bones:
        if name not in parents:
            raise MocapFormatError(path, bone_lines[name], f"bone {name!r} is not in the hierarchy")

    # Order bones so that parents come first (breadth-first from the root).
    to_m = INCH_M / length_unit
    ordered: list[AsfBone] = []
    frontier = ["root"]
    while frontier:
        nxt = []
        for p in frontier:
            for name in raw_bones:  # keep file order among siblings
                if parents[name] == p:
                    b = raw_bones[name]
                    ordered.append(AsfBone(
                        name=name, parent=p, direction=b["direction"], length_m=b["length"] * to_m,
                        axis_deg=b.get("axis", np.zeros(3)), axis_order=b.get("axis_order", "XYZ"),
                        dof=b.get("dof", ()),
                    ))
                    nxt.append(name)
        frontier = nxt
    if len(ordered) != len(raw_bones):  # a cycle not reachable from the root
        missing = sorted(set(raw_bones) - {b.name for b in ordered})
        raise MocapFormatError(path, bone_lines[missing[0]], f"segments not connected to the root: {missing}")
    return AsfSkeleton(
        path=str(path), length_to_m=to_m, angles_in_degrees=angles_deg, root_order=root_order,
        root_axis_order=root_axis, root_position=root_pos, root_orientation_deg=root_ori,
        bones=tuple(ordered),
    )


# ---------------------------------------------------------------------------------- AMC

@dataclass(frozen=True)
class AmcMotion:
    """A parsed AMC: one row per frame.

    frame_numbers: (n,) int, as in the file (consecutive).
    root: (n, 6) tx ty tz (ASF length units) and rx ry rz (degrees), in that order.
    angles_deg: {bone name: (n, 3) rx ry rz in degrees, zero for dofs the bone lacks}.
    """

    path: str
    frame_numbers: np.ndarray
    root: np.ndarray
    angles_deg: dict[str, np.ndarray]


def parse_amc(path: str | Path, skeleton: AsfSkeleton) -> AmcMotion:
    """Parse an Acclaim AMC motion file against its skeleton. Every frame must give every
    bone with dofs (fully specified); values are checked for count and number format."""
    path = Path(path)
    try:
        with open(path, encoding="latin-1", newline=None) as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise MocapFormatError(path, None, f"cannot read AMC: {e.strerror or e}") from None

    # Column slots of a flat per-frame row: root (6), then each bone's dofs.
    slots: dict[str, tuple[int, int]] = {"root": (0, 6)}
    col = 6
    for b in skeleton.bones:
        if b.dof:
            slots[b.name] = (col, len(b.dof))
            col += len(b.dof)
    n_cols = col
    n_named = len(slots)
    degrees = skeleton.angles_in_degrees

    rows: list[list[float]] = []
    frame_numbers: list[int] = []
    frame_lines: list[int] = []
    row: list[float] | None = None
    seen: set[str] = set()
    header_done = False

    def close_frame() -> None:
        if row is not None and len(seen) != n_named:
            missing = sorted(set(slots) - seen)
            raise MocapFormatError(path, frame_lines[-1],
                                   f"frame {frame_numbers[-1]} lacks segment(s) {', '.join(missing)}")

    for lineno, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s[0] == "#":
            continue
        if s[0] == ":":
            if header_done:
                raise MocapFormatError(path, lineno, f"keyword {s!r} after the first frame")
            kw = s.split()[0].upper()
            if kw == ":DEGREES":
                degrees = True
            elif kw == ":RADIANS":
                degrees = False
            elif kw == ":FULLY-SPECIFIED":
                pass
            else:
                raise MocapFormatError(path, lineno, f"unknown AMC keyword {kw!r}")
            continue
        parts = s.split()
        if len(parts) == 1 and parts[0].isdigit():
            close_frame()
            num = int(parts[0])
            if frame_numbers and num != frame_numbers[-1] + 1:
                raise MocapFormatError(path, lineno, f"frame {num} follows frame {frame_numbers[-1]} (expected {frame_numbers[-1] + 1})")
            header_done = True
            frame_numbers.append(num)
            frame_lines.append(lineno)
            row = [0.0] * n_cols
            rows.append(row)
            seen = set()
            continue
        name = parts[0]
        slot = slots.get(name)
        if slot is None:
            if any(b.name == name for b in skeleton.bones):
                raise MocapFormatError(path, lineno, f"segment {name!r} has no dof in {skeleton.path}")
            raise MocapFormatError(path, lineno, f"unknown segment {name!r} (not in {skeleton.path})")
        if row is None:
            raise MocapFormatError(path, lineno, f"segment line before the first frame number: {s!r}")
        start, n = slot
        if len(parts) - 1 != n:
            raise MocapFormatError(path, lineno, f"{name} needs {n} values, got {len(parts) - 1}")
        if name in seen:
            raise MocapFormatError(path, lineno, f"{name} given twice in frame {frame_numbers[-1]}")
        seen.add(name)
        try:
            row[start:start + n] = [float(v) for v in parts[1:]]
        except ValueError:
            raise MocapFormatError(path, lineno, f"{name}: not a number in {' '.join(parts[1:])!r}") from None
    close_frame()
    if not rows:
        raise MocapFormatError(path, None, "no frames")

    data = np.array(rows, dtype=np.float64)
    if not np.all(np.isfinite(data)):
        bad = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise MocapFormatError(path, frame_lines[bad], f"non-finite value in frame {frame_numbers[bad]}")
    to_deg = 1.0 if degrees else 180.0 / math.pi

    # Root: reorder to tx ty tz rx ry rz.
    root_src = data[:, 0:6]
    root = np.empty_like(root_src)
    for j, d in enumerate(("tx", "ty", "tz", "rx", "ry", "rz")):
        root[:, j] = root_src[:, skeleton.root_order.index(d)]
    root[:, 3:] *= to_deg
    angles: dict[str, np.ndarray] = {}
    for b in skeleton.bones:
        a = np.zeros((len(rows), 3))
        if b.dof:
            start, n = slots[b.name]
            for k, d in enumerate(b.dof):
                a[:, _ROT_DOF.index(d)] = data[:, start + k] * to_deg
        angles[b.name] = a
    return AmcMotion(path=str(path), frame_numbers=np.array(frame_numbers), root=root, angles_deg=angles)


# --------------------------------------------------------------------------- kinematics

def _axis_rot(axis: str, ang_rad: np.ndarray) -> np.ndarray:
    """Rotations about one axis for an array of angles: (..., 3, 3)."""
    c, s = np.cos(ang_rad), np.sin(ang_rad)
    o, z = np.ones_like(c), np.zeros_like(c)
    if axis == "X":
        m = [o, z, z, z, c, -s, z, s, c]
    elif axis == "Y":
        m = [c, z, s, z, o, z, -s, z, c]
    else:
        m = [c, -s, z, s, c, z, z, z, o]
    return np.stack(m, axis=-1).reshape(ang_rad.shape + (3, 3))


def euler_matrix(angles_deg: np.ndarray, order: str = "XYZ") -> np.ndarray:
    """Acclaim Euler rotation(s): for order "XYZ", Rz(z)·Ry(y)·Rx(x) (X applied first).

    angles_deg: (..., 3) as (x, y, z) angles in degrees. Returns (..., 3, 3).
    """
    a = np.radians(np.asarray(angles_deg, dtype=np.float64))
    idx = {"X": 0, "Y": 1, "Z": 2}
    R = None
    for ax in order:  # first axis applied first: R = R_last · ... · R_first
        Ra = _axis_rot(ax, a[..., idx[ax]])
        R = Ra if R is None else Ra @ R
    return R


def forward_kinematics(skeleton: AsfSkeleton, motion: AmcMotion) -> tuple[np.ndarray, np.ndarray]:
    """Bone ends and rotations for every frame.

    Returns (ends_m, R): ends_m (n, 1 + n_bones, 3) in metres in the CMU world frame, row 0
    the root translation then skeleton.bones in order; R (n, 1 + n_bones, 3, 3) the global
    rotation of each segment (root first) relative to the ASF rest pose.
    """
    n = motion.root.shape[0]
    nb = len(skeleton.bones)
    ends = np.empty((n, nb + 1, 3))
    rots = np.empty((n, nb + 1, 3, 3))
    index = {"root": 0}
    C = euler_matrix(skeleton.root_orientation_deg, skeleton.root_axis_order)
    M = euler_matrix(motion.root[:, 3:], skeleton.root_axis_order)
    rots[:, 0] = C @ M @ C.T
    ends[:, 0] = (skeleton.root_position + motion.root[:, :3]) * skeleton.length_to_m
    for k, b in enumerate(skeleton.bones, 1):
        p = index[b.parent]
        C = euler_matrix(b.axis_deg, b.axis_order)
        if b.dof:
            local = C @ euler_matrix(motion.angles_deg[b.name], b.axis_order) @ C.T
            R = rots[:, p] @ local
        else:
            R = rots[:, p]  # C · I · C⁻¹ = I
        rots[:, k] = R
        ends[:, k] = ends[:, p] + R @ (b.direction * b.length_m)
        index[b.name] = k
    return ends, rots
