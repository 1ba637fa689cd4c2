"""The muscle body figure, as polygons (pure data, no pygame).

Two views of one stylised body, front and back, in figure units: x 0..100 (the body's
centre line at 50), y 0..240 from the top of the head to the soles. The back view is the
one that matters for the hinge (glutes, hamstrings, erector spinae, lats); the front view
shows the abdominal brace. Shapes are defined for the figure's right half (x >= 50 on
screen) and mirrored.

Muscle keys are those of the exercise profiles and CoachState.muscles (station.model.MUSCLES);
the figure draws the subset in MUSCLE_NAMES.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.model import MUSCLES as ALL_MUSCLES

FIGURE_W = 100.0
FIGURE_H = 240.0
HEAD_CENTRE = (50.0, 14.0)
HEAD_RADIUS = 11.0

# The muscles the figure draws, with the name the lifter reads; in station.model.MUSCLES order.
MUSCLE_NAMES: dict[str, str] = {"glutes": "glutes", "hamstrings": "hamstrings",
                                "erector_spinae": "erector spinae", "abdominals": "abdominal brace",
                                "lats": "lats"}
MUSCLES: tuple[str, ...] = tuple(m for m in ALL_MUSCLES if m in MUSCLE_NAMES)
assert len(MUSCLES) == len(MUSCLE_NAMES), "a drawn muscle that profiles cannot name"

# The right half of the outline, from the neck down to the crotch (mirrored for the left).
_OUTLINE_HALF = (
    (55, 24), (56, 31), (66, 34), (75, 38), (79, 46), (81, 62), (83, 82), (85, 100),
    (87, 116), (89, 126), (86, 131), (81, 129), (79, 118), (76, 100), (73, 82), (70, 66),
    (68, 78), (66, 94), (68, 106), (69, 124), (67, 150), (64, 176), (64, 190), (62, 214),
    (62, 226), (66, 234), (55, 235), (54, 224), (54, 206), (54, 188), (53, 170), (52, 148),
    (50, 134),
)

# Muscle shapes, right half; each is mirrored to a left twin.
_BACK_HALF: dict[str, tuple[tuple[float, float], ...]] = {
    "erector_spinae": ((50.5, 44), (55, 44), (57, 70), (57, 96), (55, 106), (50.5, 108)),
    "lats": ((58, 46), (68, 48), (69, 62), (66, 78), (61, 92), (58, 84), (58, 60)),
    "glutes": ((51, 110), (61, 106), (67, 110), (68.5, 122), (66, 133), (58, 136), (51, 134)),
    "hamstrings": ((52.5, 139), (58, 139), (66.5, 137), (65.5, 156), (63, 174), (58, 178),
                   (54.5, 174), (53, 156)),
}
_FRONT_HALF: dict[str, tuple[tuple[float, float], ...]] = {
    "abdominals": ((50.8, 60), (58, 60), (60, 72), (60, 92), (58, 108), (50.8, 114)),
    "lats": ((61.5, 54), (67, 54), (67.5, 66), (64.5, 80), (61.5, 68)),
}


def _mirror(points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    return tuple((FIGURE_W - x, y) for x, y in points)


def outline() -> tuple[tuple[float, float], ...]:
    """The body's outline without the head: right half then the mirrored left half."""
    right = _OUTLINE_HALF
    left = tuple(reversed(_mirror(right)))
    return right + left[1:]


@dataclass(frozen=True)
class FigurePart:
    muscle: str
    points: tuple[tuple[float, float], ...]  # figure units


def parts(view: str) -> tuple[FigurePart, ...]:
    """Every muscle polygon of the "front" or "back" view (both halves)."""
    half = {"back": _BACK_HALF, "front": _FRONT_HALF}[view]
    out = []
    for muscle, pts in half.items():
        out.append(FigurePart(muscle, tuple(pts)))
        out.append(FigurePart(muscle, _mirror(tuple(pts))))
    return tuple(out)


def to_box(points, box_px: tuple[float, float, float, float]) -> tuple[tuple[float, float], ...]:
    """Figure units → pixels inside box (x, y, w, h), keeping the figure's aspect, centred."""
    x, y, w, h = box_px
    s = min(w / FIGURE_W, h / FIGURE_H)
    ox = x + (w - FIGURE_W * s) / 2
    oy = y + (h - FIGURE_H * s) / 2
    p = np.asarray(points, dtype=np.float64)
    return tuple((float(ox + px * s), float(oy + py * s)) for px, py in p)


def box_scale(box_px: tuple[float, float, float, float]) -> float:
    """Pixels per figure unit in a box."""
    return min(box_px[2] / FIGURE_W, box_px[3] / FIGURE_H)
