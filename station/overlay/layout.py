"""The vocabulary of what the lifter sees: shape records in pixels, the overlay's colours, and
the words for phases, cues and faults (pure data, no pygame).

A screen's layout is a list of :data:`Shape` records (text, lines, circles, polygons and
rectangles with their colours): :func:`station.overlay.screens.layout` builds it from a
:class:`~station.overlay.view.View`, :mod:`station.overlay.screen` draws it, and tests inspect
it (:func:`tagged`, :func:`bbox`) or render it headless. The overlay's modules, bottom up:

    layout (shapes, palette, words) → text (wrap) → canvas (reference → pixels)
        → view (View, view-model) → meters, cue_box → screens (layout(view, size))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np

from station.form.rules import RULE_TYPES

FADE_S = 0.15
SCREEN_FADE_FROM = 0.6
LAST_REP_SHOW_S = 4.0
REF_W, REF_H = 1080, 1920

# --------------------------------------------------------------------------- colours

Rgb = tuple[int, int, int]
WHITE: Rgb = (255, 255, 255)
GREY: Rgb = (165, 165, 165)
DIM: Rgb = (80, 80, 80)
AMBER: Rgb = (255, 180, 0)
GREEN: Rgb = (70, 255, 120)
CYAN: Rgb = (0, 215, 255)
RED: Rgb = (255, 70, 50)
ROLE_RGB: dict[str, Rgb] = {"drive": (255, 110, 40), "hold": (255, 215, 0), "brace": (90, 175, 255)}
ROLE_TITLE: dict[str, str] = {"drive": "DRIVE", "hold": "HOLD", "brace": "BRACE"}
DEFAULT_ROLES: dict[str, str] = {"glutes": "drive", "hamstrings": "drive", "erector_spinae": "hold",
                                 "abdominals": "brace", "lats": "brace"}
CUE_RGB: dict[str, Rgb] = {"fault": AMBER, "reminder": (255, 215, 140), "praise": GREEN, "info": WHITE}
# A small label above a cue that is not a live correction, so the lifter knows what it is about.
CUE_LABEL: dict[str, str] = {"reminder": "NEXT REP", "better": "BETTER THAN LAST REP"}
PHASE_TEXT: dict[str, str] = {"standing": "READY", "lowering": "LOWERING", "bottom": "BOTTOM",
                              "rising": "DRIVE UP", "lockout": "LOCKOUT"}
PHASE_RGB: dict[str, Rgb] = {"standing": WHITE, "lowering": CYAN, "bottom": CYAN,
                             "rising": (255, 110, 40), "lockout": GREEN}
# Per fault label, from the rule's declaration (station.form.rules): what it means for the
# lifter (summary card), a short label (last-rep note), and the body lines drawn in the cue's
# colour while its cue shows.
FAULT_TEXT: dict[str, str] = {n: r.lifter_text for n, r in RULE_TYPES.items()}
FAULT_SHORT: dict[str, str] = {n: r.short_label for n, r in RULE_TYPES.items()}
FAULT_BONES: dict[str, tuple[str, ...]] = {n: r.body_segments for n, r in RULE_TYPES.items() if r.body_segments}

# --------------------------------------------------------------------------- shapes

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x, y, w, h


@dataclass(frozen=True)
class Text:
    """One line of text fitted into box (the screen shrinks the type if it would overflow)."""

    text: str
    box: Box
    size_px: int
    rgb: Rgb
    align: str = "center"      # left | center | right
    valign: str = "middle"     # top | middle | bottom
    tag: str = ""


@dataclass(frozen=True)
class Line:
    a: Point
    b: Point
    width_px: int
    rgb: Rgb
    tag: str = ""


@dataclass(frozen=True)
class Circle:
    centre: Point
    radius_px: float
    rgb: Rgb
    width_px: int = 0          # 0 = filled
    tag: str = ""


@dataclass(frozen=True)
class Polygon:
    points: tuple[Point, ...]
    rgb: Rgb
    width_px: int = 0          # 0 = filled
    tag: str = ""


@dataclass(frozen=True)
class Rect:
    box: Box
    rgb: Rgb
    width_px: int = 0          # 0 = filled
    radius_px: int = 0
    tag: str = ""


Shape = Union[Text, Line, Circle, Polygon, Rect]


def bbox(shape: Shape) -> Box:
    """The pixel box a shape can touch (x, y, w, h)."""
    if isinstance(shape, (Text, Rect)):
        return shape.box
    if isinstance(shape, Line):
        h = shape.width_px / 2
        x0, x1 = sorted((shape.a[0], shape.b[0]))
        y0, y1 = sorted((shape.a[1], shape.b[1]))
        return (x0 - h, y0 - h, x1 - x0 + 2 * h, y1 - y0 + 2 * h)
    if isinstance(shape, Circle):
        r = shape.radius_px
        return (shape.centre[0] - r, shape.centre[1] - r, 2 * r, 2 * r)
    pts = np.asarray(shape.points)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    h = shape.width_px / 2
    return (float(lo[0] - h), float(lo[1] - h), float(hi[0] - lo[0] + 2 * h), float(hi[1] - lo[1] + 2 * h))


def tagged(shapes: list[Shape], tag: str) -> list[Shape]:
    return [s for s in shapes if s.tag == tag or s.tag.startswith(tag + ".")]


def union_box(shapes: list[Shape]) -> Box | None:
    if not shapes:
        return None
    boxes = np.array([bbox(s) for s in shapes])
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
