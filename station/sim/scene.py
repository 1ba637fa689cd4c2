"""The gym around the lifter: floor, back wall and equipment, as renderer primitives.

Positions are in the floor frame (see station.frames): origin below the camera, y along
the camera's view, z up, x to the camera's right. A passer-by is not part of the scene: the
caller adds another body with `.with_label(LABEL_OTHER_PERSON)`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from station.sim.render import LABEL_SCENE, PrimitiveList, Primitives

EQUIPMENT: tuple[str, ...] = ("rack", "bench", "plate_stack", "dumbbell_rack", "plyo_box")


@dataclass(frozen=True)
class Equipment:
    """One piece of equipment standing on the floor at (x_m, y_m), turned yaw_deg about z."""

    name: str
    x_m: float
    y_m: float
    yaw_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in EQUIPMENT:
            raise ValueError(f"unknown equipment {self.name!r}; choose from {EQUIPMENT}")


@dataclass(frozen=True)
class SceneSpec:
    """wall_distance_m: the back wall's distance from the camera along floor y (None = no wall).
    floor: include the floor plane z = 0."""

    wall_distance_m: float | None = 5.0
    equipment: tuple[Equipment, ...] = field(default_factory=tuple)
    floor: bool = True

    def __post_init__(self) -> None:
        if self.wall_distance_m is not None and self.wall_distance_m <= 0:
            raise ValueError("wall_distance_m must be positive")


def typical_gym(wall_distance_m: float = 5.0) -> SceneSpec:
    """A rack behind-left, a bench and plates to the right, a dumbbell rack by the wall."""
    return SceneSpec(wall_distance_m, (
        Equipment("rack", -1.9, 3.6, 0.0),
        Equipment("bench", 1.6, 3.0, 80.0),
        Equipment("plate_stack", 1.4, 1.9),
        Equipment("dumbbell_rack", 0.6, wall_distance_m - 0.45),
        Equipment("plyo_box", -1.3, 2.2, 20.0),
    ))


def _rot(yaw_deg: float) -> np.ndarray:
    a = math.radians(yaw_deg)
    return np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])


class _Placed:
    """Adds primitives given in an item's local frame (x, y on the floor, z up)."""

    def __init__(self, b: PrimitiveList, item: Equipment):
        self.b = b
        self.R = _rot(item.yaw_deg)
        self.o = np.array([item.x_m, item.y_m, 0.0])
        self.name = item.name

    def p(self, v) -> np.ndarray:
        return self.R @ np.asarray(v, np.float64) + self.o

    def box(self, centre, half) -> None:
        self.b.box(self.p(centre), self.R.T, half, name=self.name)

    def cylinder(self, a, b, r) -> None:
        self.b.cylinder(self.p(a), self.p(b), r, name=self.name)


def _rack(q: _Placed) -> None:
    w, d, h, post = 0.6, 0.6, 2.3, 0.04
    for sx in (-w, w):
        for sy in (-d, d):
            q.box([sx, sy, h / 2], [post, post, h / 2])
        q.box([sx, 0, h - post], [post, d, post])          # top side rails
        q.box([sx, -d + 0.1, 1.0], [0.05, 0.08, 0.03])    # J-hooks... safety arms
    for sy in (-d, d):
        q.box([0, sy, h - post], [w, post, post])          # top cross bars
    q.cylinder([-1.1, -d - 0.05, 1.35], [1.1, -d - 0.05, 1.35], 0.014)  # racked bar
    for sx in (-1, 1):
        q.cylinder([sx * 0.66, -d - 0.05, 1.35], [sx * 0.78, -d - 0.05, 1.35], 0.225)


def _bench(q: _Placed) -> None:
    q.box([0, 0, 0.42], [0.6, 0.14, 0.04])
    q.box([-0.5, 0, 0.2], [0.04, 0.2, 0.2])
    q.box([0.5, 0, 0.2], [0.04, 0.2, 0.2])


def _plate_stack(q: _Placed) -> None:
    for k in range(5):
        q.cylinder([0, 0, 0.06 * k + 0.002], [0, 0, 0.06 * k + 0.058], 0.225)
    q.cylinder([0, 0, 0.3], [0, 0, 0.55], 0.025)


def _dumbbell_rack(q: _Placed) -> None:
    q.box([0, 0, 0.35], [0.8, 0.2, 0.02])
    q.box([0, 0.05, 0.7], [0.8, 0.15, 0.02])
    for sx in (-0.75, 0.75):
        q.box([sx, 0, 0.36], [0.04, 0.2, 0.36])
    for k in range(5):
        x = -0.6 + 0.3 * k
        for z, y in ((0.42, -0.05), (0.77, 0.05)):
            q.cylinder([x - 0.12, y, z], [x - 0.05, y, z], 0.06)
            q.cylinder([x - 0.05, y, z], [x + 0.05, y, z], 0.016)
            q.cylinder([x + 0.05, y, z], [x + 0.12, y, z], 0.06)


def _plyo_box(q: _Placed) -> None:
    q.box([0, 0, 0.3], [0.3, 0.375, 0.3])


_BUILDERS = {"rack": _rack, "bench": _bench, "plate_stack": _plate_stack, "dumbbell_rack": _dumbbell_rack,
             "plyo_box": _plyo_box}


def scene_primitives(spec: SceneSpec) -> Primitives:
    """Primitives of the gym (LABEL_SCENE): floor, back wall, equipment."""
    b = PrimitiveList(LABEL_SCENE)
    if spec.floor:
        b.plane([0.0, 0.0, 1.0], [0.0, 0.0, 0.0], name="floor")
    if spec.wall_distance_m is not None:
        b.plane([0.0, -1.0, 0.0], [0.0, spec.wall_distance_m, 0.0], name="wall")
    for item in spec.equipment:
        _BUILDERS[item.name](_Placed(b, item))
    return b.build()
