"""The overlay's gauges and marks: the hinge meter, the muscle figures and their labels, status
check marks, the top-down zone diagram with the lifter's dot, and the positioning hint."""
from __future__ import annotations

import math

from station.overlay import figures
from station.overlay.canvas import Canvas, clamp01
from station.overlay.layout import AMBER, DIM, GREEN, GREY, ROLE_RGB, WHITE, Box, Point, Rgb
from station.overlay.view import Presence, View


def figure(c: Canvas, box: Box, view_name: str, activation: dict[str, float], roles: dict[str, str],
            tag: str, base: float = 0.22, outline_rgb: Rgb = (120, 120, 120)) -> None:
    """A body figure in box (reference px): outline, head, muscles in their role colours,
    brightness base + (1 - base) x activation."""
    rb = c.box(box)
    s = figures.box_scale(rb)
    head = figures.to_box([figures.HEAD_CENTRE], rb)[0]
    c.circle(head, figures.HEAD_RADIUS * s, outline_rgb, width=max(2, int(3 * c.k)), tag=tag, ref=False)
    c.polygon(figures.to_box(figures.outline(), rb), outline_rgb, width=max(2, int(3 * c.k)), tag=tag, ref=False)
    for part in figures.parts(view_name):
        role = roles.get(part.muscle)
        if role is None:
            continue
        a = base + (1.0 - base) * clamp01(activation.get(part.muscle, 0.0))
        c.polygon(figures.to_box(part.points, rb), ROLE_RGB[role], 0, f"{tag}.{part.muscle}", a, ref=False)


SHORT_MUSCLE: dict[str, str] = {"glutes": "glutes", "hamstrings": "hamstrings", "erector_spinae": "back",
                                "abdominals": "abs", "lats": "lats"}


def figure_label(c: Canvas, box: Box, roles: dict[str, str], which: tuple[str, ...], tag: str) -> None:
    """The names of the muscles a figure lights, in their role colours: what the hinge works."""
    names = [(SHORT_MUSCLE[m], roles[m]) for m in figures.MUSCLES if roles.get(m) in which]
    if names:
        c.text(", ".join(n for n, _ in names), box, 40, ROLE_RGB[names[0][1]], tag=tag)


def muscle_roles_shown(view: View) -> dict[str, str]:
    out = {}
    for m, r in view.muscle_roles.items():
        if m in figures.MUSCLE_NAMES and r in ROLE_RGB:
            out[m] = r
    return out


def check_mark(c: Canvas, centre: Point, ok: bool | None, tag: str) -> None:
    """A status mark: green disc with a tick, amber ring, or grey ring when unknown."""
    r = 34
    if ok:
        c.circle(centre, r, GREEN, tag=tag)
        x, y = centre
        c.line((x - 16, y + 1), (x - 4, y + 14), 8, (0, 0, 0), tag=tag)
        c.line((x - 4, y + 14), (x + 18, y - 12), 8, (0, 0, 0), tag=tag)
    elif ok is False:
        c.circle(centre, r, AMBER, tag=tag)
        c.text("!", (centre[0] - r, centre[1] - r, 2 * r, 2 * r), 64, (0, 0, 0), tag=tag)
    else:
        c.circle(centre, r, DIM, width=6, tag=tag)


def hinge_meter(c: Canvas, ratio: float | None, x: float = 925, y0: float = 870, y1: float = 1500) -> None:
    """Vertical meter in the right-hand column (clear of the reflection): hip-dominant at the
    top (green), knee-dominant at the bottom (amber); the marker is the current hinge ratio."""
    w = 56
    c.text("HINGE", (850, y0 - 160, 220, 60), 56, WHITE, tag="hinge_meter")
    c.text("HIPS", (850, y0 - 80, 220, 60), 48, GREEN, tag="hinge_meter")
    c.text("KNEES", (850, y1 + 16, 220, 60), 48, AMBER, tag="hinge_meter")
    span = y1 - y0
    c.rect((x, y0, w, span * 0.35), (0, 110, 50), radius=8, tag="hinge_meter")
    c.rect((x, y0 + span * 0.55, w, span * 0.45), (110, 60, 0), radius=8, tag="hinge_meter")
    c.rect((x, y0, w, span), GREY, width=4, radius=8, tag="hinge_meter")
    if ratio is not None and math.isfinite(ratio):
        r = clamp01(ratio)
        my = y1 - r * span
        rgb = GREEN if r >= 0.65 else AMBER if r < 0.45 else WHITE
        c.polygon(((x - 44, my - 26), (x - 44, my + 26), (x - 6, my)), rgb, tag="hinge_meter.marker")
        c.rect((x - 8, my - 8, w + 16, 16), rgb, tag="hinge_meter.marker")


def zone_diagram(c: Canvas, box: Box, zone_size_m: tuple[float, float], offset_m: tuple[float, float] | None,
                  tag: str, in_zone: bool | None = None, show_mirror: bool = True,
                  camera_dist_m: float | None = None) -> None:
    """Top-down view: the mirror along the top, the zone, the person's dot (lifter's left on
    the left, as they see it facing the mirror)."""
    x, y, w, h = box
    if show_mirror:
        c.rect((x, y, w, 14), GREY, tag=tag)
        c.text("MIRROR", (x, y + 18, w, 44), 40, GREY, tag=tag)
    zw, zd = zone_size_m
    span_y = zd * 1.3 + (0.0 if camera_dist_m is None else 0.0)
    scale = min((w * 0.8) / zw, (h - 90) / span_y)
    cx, cy = x + w / 2, y + 80 + (h - 80) / 2
    zx0, zy0 = cx - zw * scale / 2, cy - zd * scale / 2
    ok = in_zone
    c.rect((zx0, zy0, zw * scale, zd * scale), GREEN if ok else WHITE, width=6, radius=8, tag=tag)
    # the good spot (where "Good spot: stay here" is said) and the feet marks at its centre
    gw, gd = 2 * GOOD_SPOT_FRACTION * zw * scale, 2 * GOOD_SPOT_FRACTION * zd * scale
    c.rect((cx - gw / 2, cy - gd / 2, gw, gd), GREEN if ok else DIM, width=3, radius=12, tag=tag + ".spot")
    for sx in (-1, 1):
        c.rect((cx + sx * 0.12 * scale - 12, cy - 28, 24, 56), DIM, radius=10, tag=tag)
    if offset_m is not None:
        px = cx - offset_m[0] * scale   # floor +x is the lifter's left: drawn to the left
        py = cy + offset_m[1] * scale
        px = min(max(px, x + 30), x + w - 30)
        py = min(max(py, y + 90), y + h - 30)
        c.circle((px, py), 28, GREEN if ok else AMBER, tag=tag + ".person")
        c.text("YOU", (px + 36, py - 25, 120, 50), 44, GREEN if ok else AMBER, align="left", tag=tag + ".person")


GOOD_SPOT_FRACTION = 0.2   # within this fraction of the zone's size of its centre: a good spot


def position_hint(p: Presence | None, zone_size_m: tuple[float, float]) -> str:
    if p is None or p.offset_m is None:
        return "Step onto the marked zone in front of the mirror"
    dx, dy = p.offset_m
    if p.in_zone and abs(dy) < GOOD_SPOT_FRACTION * zone_size_m[1] and abs(dx) < GOOD_SPOT_FRACTION * zone_size_m[0]:
        return "Good spot: stay here"
    if abs(dy) >= abs(dx):
        return f"Step {'closer' if dy > 0 else 'back'} {min(abs(dy), 9.9) * 100:.0f} cm"
    return f"Move {'right' if dx > 0 else 'left'} {min(abs(dx), 9.9) * 100:.0f} cm"
