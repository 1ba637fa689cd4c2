"""The motion-capture driver: real human motion (CMU ASF/AMC) as synthetic-athlete poses.

Reads Acclaim skeleton (ASF) and motion (AMC) files, runs their forward kinematics, and maps
the CMU segments onto the sim's named points (station.sim.pose.SIM_POINTS) in the floor frame
(station.frames), so recorded human movement can drive the synthetic athlete.

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

From CMU to SIM_POINTS
----------------------
Every point is either a CMU bone end or rigid with one CMU segment, so bone lengths stay
constant. Definitions follow docs/analysis-output.md and station.model, i.e. they are the
anatomical points a depth-camera skeleton fitter estimates, not CMU's own joint names.

=========== ===================================================================================
sim point   from the CMU skeleton (bone ends = distal end of the named segment)
=========== ===================================================================================
head        centre of the head between the ears: upperneck end + 0.2·(head end − upperneck
            end), ≈ 8 cm below the vertex. The CMU head segment is 10 cm long, so its start
            (upperneck end) is ≈ 10 cm below the vertex, near ear level (tragion ≈ 12–13 cm
            below the vertex in adults); a head sphere fitted to depth data centres ≈ 8–10 cm
            below the top of the scalp. Uncertain by a few cm either way.
neck        midpoint of shoulder_l and shoulder_r (contract definition; not CMU's neck bones).
shoulder_*  clavicle end (lclavicle / rclavicle): CMU's glenohumeral joint centre.
elbow_*     humerus end.
wrist_*     radius end (CMU's wrist joint; the following "wrist" segment is the hand).
pelvis      midpoint of hip_l and hip_r (contract definition; NOT the CMU root).
hip_*       hipjoint end: the hip joint centres (femoral heads).
knee_*      femur end.
ankle_*     tibia end.
spine_low   L5/S1, top of the sacrum: the CMU root. It is rigid with the pelvis (the
            hipjoint segments have no dof) and sits ≈ 11 cm above and ≈ 3 cm behind the hip
            joint centres, where the lumbosacral joint is.
spine_mid   T12/L1, the thoracolumbar junction: midway along the upperback segment,
            lowerback end + 0.5·(upperback end − lowerback end), ≈ 17 cm above L5/S1 (the
            lumbar spine's length); it moves with the upperback segment.
head_top    head end (vertex of the skull).
hand_*      centre of the palm: halfway along CMU's "wrist" segment (radius end + 0.5·(wrist
            end − radius end), ≈ 5 cm beyond the wrist joint).
heel_*      back of the heel at the floor: rigid with the foot segment, on the foot's sole
            plane (ankle height below the ankle along the sole normal), HEEL_BACK_M = 5 cm
            behind the ankle along the foot's forward direction.
toe_*       toe tip at the floor: the toes end (rest pose, rigid with the foot segment)
            projected along the sole normal onto the sole plane.
=========== ===================================================================================

Floor frame (station.frames): z up, and at yaw 0 the person faces the camera, i.e. faces
floor −y, with their own left towards floor +x (camera right). CMU (Y up) becomes z-up by the
proper rotation R_ZUP_CMU (x, y, z) → (x, −z, y); a rotation about z then sets the facing.

The floor is the CMU lab floor (y = 0; the toe *markers* sit 3–5 cm above it). CMU's toes
and foot ends are joint points inside the shoe, not on the sole, so subtracting their height
would shrink the person by ≈ 4 cm; instead the sole plane of each foot is calibrated once
per clip from the frames where that foot stands still on the floor (calibrate_sole): its
normal in the foot's frame and the ankle's height above the floor. heel_* and toe_* lie on
that plane, so they touch z ≈ 0 whenever the foot is planted, and head_top keeps the
subject's measured standing height (≈ 1.67–1.69 m at the vertex of the CMU head segment).
"""
from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from station.sim.pose import SIM_INDEX, SIM_POINTS

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mocap"

# Packaged clips: name -> (amc file, labels file, joints30hz file) in DATA_DIR.
CLIPS: dict[str, tuple[str, str, str]] = {
    "13_29": ("cmu_13_29.amc", "cmu_13_29_labels.csv", "cmu_13_29_joints30hz.csv"),
    "13_30": ("cmu_13_30_f1321-2040.amc", "cmu_13_30_f1321-2040_labels.csv",
              "cmu_13_30_f1321-2040_joints30hz.csv"),
    "13_31": ("cmu_13_31_f0901-1440.amc", "cmu_13_31_f0901-1440_labels.csv",
              "cmu_13_31_f0901-1440_joints30hz.csv"),
}
ASF_FILE = "cmu_13.asf"

AMC_FPS_HZ = 120.0
INCH_M = 0.0254

# The 23 joints of the README's *_joints30hz.csv, in its column order, and the CMU segment
# whose distal end each one is ("root" = the root translation).
CMU_JOINTS: tuple[tuple[str, str], ...] = (
    ("pelvis", "root"),
    ("l_hip", "lhipjoint"), ("r_hip", "rhipjoint"),
    ("l_knee", "lfemur"), ("r_knee", "rfemur"),
    ("l_ankle", "ltibia"), ("r_ankle", "rtibia"),
    ("l_toe_base", "lfoot"), ("r_toe_base", "rfoot"),
    ("l_toe_tip", "ltoes"), ("r_toe_tip", "rtoes"),
    ("spine_low", "lowerback"), ("spine_mid", "upperback"),
    ("neck_base", "thorax"), ("neck_mid", "lowerneck"),
    ("head_base", "upperneck"), ("head_top", "head"),
    ("l_shoulder", "lclavicle"), ("r_shoulder", "rclavicle"),
    ("l_elbow", "lhumerus"), ("r_elbow", "rhumerus"),
    ("l_wrist", "lradius"), ("r_wrist", "rradius"),
)
CMU_JOINT_NAMES: tuple[str, ...] = tuple(n for n, _ in CMU_JOINTS)

# Fractions and offsets of the SIM_POINTS mapping (see the module docstring).
HEAD_CENTRE_FRACTION = 0.2      # along upperneck end → head end
SPINE_MID_FRACTION = 0.5        # along lowerback end → upperback end (T12/L1)
PALM_FRACTION = 0.5             # along radius end → wrist end (CMU's hand segment)
HEEL_BACK_M = 0.05              # ankle joint centre to the back of the heel, horizontally

# CMU world (Y up) → z-up frame: a proper rotation about x by +90°, (x, y, z) → (x, −z, y).
R_ZUP_CMU = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


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


# ------------------------------------------------------------------------------ labels

def load_labels(path: str | Path) -> list[tuple[float, float, str]]:
    """Action segments (start_s, end_s, action) from a labels CSV (clip time)."""
    path = Path(path)
    out: list[tuple[float, float, str]] = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or header[:2] != ["start_s", "end_s"] or "action" not in header:
                raise MocapFormatError(path, 1, f"expected a header with start_s,end_s,...,action, got {header}")
            ia = header.index("action")
            for row in reader:
                lineno = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    raise MocapFormatError(path, lineno, f"expected {len(header)} fields, got {len(row)}")
                try:
                    t0, t1 = float(row[0]), float(row[1])
                except ValueError:
                    raise MocapFormatError(path, lineno, f"start_s/end_s not numbers: {row[:2]}") from None
                if not t1 > t0:
                    raise MocapFormatError(path, lineno, f"segment ends ({t1}) before it starts ({t0})")
                out.append((t0, t1, row[ia].strip()))
    except OSError as e:
        raise MocapFormatError(path, None, f"cannot read labels: {e.strerror or e}") from None
    return out


# ----------------------------------------------------------------------- the sim points

@dataclass(frozen=True)
class SoleCalibration:
    """Where one foot's sole is, rigid with the foot segment (ASF rest-frame vectors).

    up_rest: unit vector, in the foot's rest frame, that points up (floor normal) while the
        foot stands flat; ankle_height_m: the ankle's height above the floor then;
        n_planted: how many frames the estimate used (0 = the rest-pose fallback).
    """

    up_rest: np.ndarray
    ankle_height_m: float
    n_planted: int


PLANTED_MIN_FRAMES = 60          # 0.5 s at 120 Hz
FALLBACK_ANKLE_HEIGHT_M = 0.085  # CMU subject 13's flat-foot ankle height, when no frame is planted


def calibrate_sole(ankle_m: np.ndarray, R_foot: np.ndarray, fps_hz: float) -> SoleCalibration:
    """Flat-foot geometry of one foot from the frames where it is planted on the CMU floor (y = 0).

    Planted = the ankle within 1.5 cm of its 5th-percentile height and moving < 0.15 m/s.
    The median of the world up vector seen in the foot's rest frame gives the sole's normal,
    so a foot whose CMU pitch is biased (subject 13's left foot is pitched up ≈ 8° relative
    to the right one in quiet standing) still gets its sole on the floor.
    """
    y = ankle_m[:, 1]
    speed = np.zeros(len(y))
    if len(y) > 1:
        v = np.linalg.norm(np.diff(ankle_m, axis=0), axis=1) * fps_hz
        speed[1:] = v
        speed[0] = v[0]
    planted = (y < np.percentile(y, 5) + 0.015) & (speed < 0.15)
    n = int(planted.sum())
    if n < PLANTED_MIN_FRAMES:
        return SoleCalibration(np.array([0.0, 1.0, 0.0]), FALLBACK_ANKLE_HEIGHT_M, 0)
    up = np.median(R_foot[planted, 1, :], axis=0)  # R^T · ŷ = row 1 of R
    up /= np.linalg.norm(up)
    return SoleCalibration(up, float(np.median(y[planted])), n)


def sole_offsets_rest(skeleton: AsfSkeleton, side: str, cal: SoleCalibration) -> tuple[np.ndarray, np.ndarray]:
    """(heel, toe) relative to the ankle in the foot's rest frame (metres).

    heel: HEEL_BACK_M behind the ankle along the foot's forward direction (ankle → toe tip
    with the component along the sole normal removed) and on the sole plane.
    toe: the rest-pose toe tip (toes end) projected along the sole normal onto the sole plane.
    """
    bones = {b.name: b for b in skeleton.bones}
    foot, toes = bones[f"{side}foot"], bones[f"{side}toes"]
    tip = foot.direction * foot.length_m + toes.direction * toes.length_m
    u = cal.up_rest
    fwd = tip - (tip @ u) * u
    fwd /= np.linalg.norm(fwd)
    heel = -HEEL_BACK_M * fwd - cal.ankle_height_m * u
    toe = tip - (tip @ u + cal.ankle_height_m) * u
    return heel, toe


def sim_points_from_fk(skeleton: AsfSkeleton, ends_m: np.ndarray, rots: np.ndarray,
                       fps_hz: float = AMC_FPS_HZ) -> tuple[np.ndarray, dict[str, SoleCalibration]]:
    """SIM_POINTS (n, len(SIM_POINTS), 3) in the CMU world frame (metres, Y up) from forward
    kinematics, and the sole calibration used for each foot ({"l": ..., "r": ...})."""
    names = ("root",) + skeleton.bone_names
    E = lambda name: ends_m[:, names.index(name)]  # noqa: E731
    out = np.empty((ends_m.shape[0], len(SIM_POINTS), 3))
    cals: dict[str, SoleCalibration] = {}

    def put(name, value):
        out[:, SIM_INDEX[name]] = value

    for side in ("l", "r"):
        put(f"shoulder_{side}", E(f"{side}clavicle"))
        put(f"elbow_{side}", E(f"{side}humerus"))
        put(f"wrist_{side}", E(f"{side}radius"))
        put(f"hand_{side}", E(f"{side}radius") + PALM_FRACTION * (E(f"{side}wrist") - E(f"{side}radius")))
        put(f"hip_{side}", E(f"{side}hipjoint"))
        put(f"knee_{side}", E(f"{side}femur"))
        ankle = E(f"{side}tibia")
        put(f"ankle_{side}", ankle)
        R_foot = rots[:, names.index(f"{side}foot")]
        cals[side] = cal = calibrate_sole(ankle, R_foot, fps_hz)
        heel_rest, toe_rest = sole_offsets_rest(skeleton, side, cal)
        put(f"heel_{side}", ankle + R_foot @ heel_rest)
        put(f"toe_{side}", ankle + R_foot @ toe_rest)
    put("neck", 0.5 * (E("lclavicle") + E("rclavicle")))
    put("pelvis", 0.5 * (E("lhipjoint") + E("rhipjoint")))
    put("spine_low", E("root"))
    put("spine_mid", E("lowerback") + SPINE_MID_FRACTION * (E("upperback") - E("lowerback")))
    put("head", E("upperneck") + HEAD_CENTRE_FRACTION * (E("head") - E("upperneck")))
    put("head_top", E("head"))
    return out, cals


# ------------------------------------------------------------------------------- clips

def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class MocapClip:
    """One motion-capture clip, parsed and forward-kinematised.

    fps_hz: the AMC frame rate (120 for CMU).
    times_s: (n,) clip time of each frame, frame k at k / fps_hz.
    points_cmu_world_m: (n, len(CMU_JOINT_NAMES), 3) the README's 23 joints (bone ends) in
        the CMU world frame (metres, Y up, floor at y = 0), for comparison with its CSVs.
    sim_points_cmu_m: (n, len(SIM_POINTS), 3) the sim points in the same CMU frame.
    labels: [(start_s, end_s, action)] in clip time (empty if unknown).
    soles: the per-foot sole calibration used for heel_* and toe_*.
    """

    name: str
    fps_hz: float
    times_s: np.ndarray
    points_cmu_world_m: np.ndarray
    sim_points_cmu_m: np.ndarray
    labels: list[tuple[float, float, str]] = field(default_factory=list)
    soles: dict[str, SoleCalibration] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.times_s)

    @property
    def duration_s(self) -> float:
        """Time of the last frame (clip times run 0 … duration_s)."""
        return float(self.times_s[-1])

    def action_at(self, t_s: float) -> str | None:
        """The labelled action at clip time t_s (segments are [start, end); the last one also
        includes its end), or None outside every segment."""
        for i, (t0, t1, action) in enumerate(self.labels):
            if t0 <= t_s < t1 or (i == len(self.labels) - 1 and t_s == t1):
                return action
        return None

    def sim_points_at(self, times_s: np.ndarray) -> np.ndarray:
        """SIM_POINTS in the CMU frame at arbitrary clip times (linear interpolation between
        frames; times are clamped to the clip). Returns (m, len(SIM_POINTS), 3)."""
        t = np.clip(np.asarray(times_s, dtype=np.float64), 0.0, self.duration_s)
        f = t * self.fps_hz
        i0 = np.clip(np.floor(f).astype(np.int64), 0, self.n_frames - 1)
        i1 = np.minimum(i0 + 1, self.n_frames - 1)
        w = (f - i0)[:, None, None]
        P = self.sim_points_cmu_m
        return (1.0 - w) * P[i0] + w * P[i1]

    def poses_floor(self, fps: float, place_xy_m: tuple[float, float] = (0.0, 2.5), yaw_deg: float = 0.0,
                    t_start_s: float = 0.0, t_end_s: float | None = None,
                    scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """The clip as sim poses in the floor frame, resampled at `fps`.

        Returns (times_s (m,), poses (m, len(SIM_POINTS), 3)); times_s are clip times
        t_start_s + k / fps up to t_end_s (inclusive; default the clip's end), so they can be
        passed to action_at. Placement, fixed for the whole window:
          * the floor is the CMU lab floor (y = 0), z up;
          * the midpoint of the ankles at t_start_s is at (place_xy_m, 0);
          * at yaw 0 the person faces floor −y (the camera) with their left (hip_r → hip_l,
            averaged over the first 0.5 s of the window) along floor +x; yaw_deg > 0 turns
            them to their left (counter-clockwise seen from above) about that point;
          * scale multiplies the body about that floor point (other body heights).
        """
        fps = float(fps)
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        t_end = self.duration_s if t_end_s is None else float(t_end_s)
        t0 = float(t_start_s)
        if not (0.0 <= t0 <= self.duration_s):
            raise ValueError(f"t_start_s={t0} is outside the clip {self.name} (0 … {self.duration_s:.3f} s)")
        if not (t0 <= t_end <= self.duration_s + 1e-9):
            raise ValueError(f"t_end_s={t_end} must lie in [t_start_s, {self.duration_s:.3f}] for clip {self.name}")
        m = int(math.floor((t_end - t0) * fps + 1e-9)) + 1
        times = t0 + np.arange(m) / fps
        P = self.sim_points_at(times) @ R_ZUP_CMU.T  # z-up, CMU horizontal axes

        # Facing and placement from the start of the window.
        ref = self.sim_points_at(np.arange(t0, min(t0 + 0.5, self.duration_s) + 1e-9, 1.0 / self.fps_hz)) @ R_ZUP_CMU.T
        left = np.mean(ref[:, SIM_INDEX["hip_l"]] - ref[:, SIM_INDEX["hip_r"]], axis=0)
        heading = math.atan2(left[1], left[0])  # angle of the person's left from +x
        c, s = math.cos(math.radians(yaw_deg) - heading), math.sin(math.radians(yaw_deg) - heading)
        R = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        mid_ankle = 0.5 * (P[0, SIM_INDEX["ankle_l"]] + P[0, SIM_INDEX["ankle_r"]])
        origin = np.array([mid_ankle[0], mid_ankle[1], 0.0])
        place = np.array([place_xy_m[0], place_xy_m[1], 0.0], dtype=np.float64)
        poses = (P - origin) @ (scale * R).T + place
        return times, poses


def _joint_bone_index(skeleton: AsfSkeleton) -> list[int]:
    names = ("root",) + skeleton.bone_names
    return [names.index(bone) for _, bone in CMU_JOINTS]


def load_asf_amc(asf_path: str | Path, amc_path: str | Path, labels_path: str | Path | None = None,
                 name: str | None = None, fps_hz: float = AMC_FPS_HZ) -> MocapClip:
    """Parse an ASF skeleton and an AMC motion into a MocapClip (labels optional)."""
    skeleton = _parse_asf_cached(str(Path(asf_path).resolve()))
    motion = parse_amc(amc_path, skeleton)
    ends, rots = forward_kinematics(skeleton, motion)
    sim, soles = sim_points_from_fk(skeleton, ends, rots, fps_hz)
    labels = load_labels(labels_path) if labels_path is not None else []
    n = ends.shape[0]
    return MocapClip(
        name=name or Path(amc_path).stem, fps_hz=float(fps_hz), times_s=_readonly(np.arange(n) / fps_hz),
        points_cmu_world_m=_readonly(ends[:, _joint_bone_index(skeleton)]),
        sim_points_cmu_m=_readonly(sim), labels=labels, soles=soles,
    )


@functools.lru_cache(maxsize=8)
def _parse_asf_cached(path: str) -> AsfSkeleton:
    return parse_asf(path)


@functools.lru_cache(maxsize=None)
def load_clip(name: str) -> MocapClip:
    """A packaged clip by name ("13_29", "13_30", "13_31"), parsed once per process."""
    if name not in CLIPS:
        raise KeyError(f"unknown mocap clip {name!r}; packaged clips: {', '.join(CLIPS)}")
    amc, labels, _ = CLIPS[name]
    return load_asf_amc(DATA_DIR / ASF_FILE, DATA_DIR / amc, DATA_DIR / labels, name=name)


def joints30hz_csv_path(name: str) -> Path:
    """The README's independent FK export for a packaged clip (used by the tests)."""
    return DATA_DIR / CLIPS[name][2]
