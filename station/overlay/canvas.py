"""The canvas the screens draw on: shapes designed on the 1080 x 1920 portrait reference,
scaled to the real screen, clipped to it and dimmed by the screen's fade (pure, no pygame)."""
from __future__ import annotations

import numpy as np

from station.overlay.layout import REF_H, REF_W, Box, Circle, Line, Point, Polygon, Rect, Rgb, Shape, Text
from station.overlay.text import fit_paragraph


def clamp01(x: float) -> float:
    return 0.0 if x <= 0.0 else 1.0 if x >= 1.0 else float(x)


def dim(rgb: Rgb, a: float) -> Rgb:
    a = clamp01(a)
    return (int(round(rgb[0] * a)), int(round(rgb[1] * a)), int(round(rgb[2] * a)))


class Canvas:
    """Collects shapes designed on the 1080 x 1920 reference, scaled to the real size.

    alpha: the screen's fade (every colour is dimmed by it); k: the scale of type and strokes."""

    def __init__(self, size_px: tuple[int, int], alpha: float = 1.0):
        self.W, self.H = int(size_px[0]), int(size_px[1])
        self.sx, self.sy = self.W / REF_W, self.H / REF_H
        self.k = min(self.sx, self.sy)
        self.alpha = alpha
        self.shapes: list[Shape] = []

    def box(self, b: Box) -> Box:
        return (b[0] * self.sx, b[1] * self.sy, b[2] * self.sx, b[3] * self.sy)

    def pt(self, p: Point) -> Point:
        return (p[0] * self.sx, p[1] * self.sy)

    def px(self, v: float) -> int:
        return max(1, int(round(v * self.k)))

    def text(self, s: str, b: Box, size: float, rgb: Rgb, align="center", valign="middle", tag="", a=1.0):
        if s:
            self.shapes.append(Text(s, self.box(b), self.px(size), dim(rgb, a * self.alpha), align, valign, tag))

    def paragraph(self, s: str, b: Box, size: float, rgb: Rgb, align="center", tag="", a=1.0,
                  max_lines: int = 3, line_h: float = 1.05) -> float:
        """Wrapped text from the top of box b, every line at one size (the largest that fits
        max_lines lines); returns the reference height used."""
        size, lines = fit_paragraph(s, size, b[2], max_lines)
        lh = size * line_h * 0.72
        for i, line in enumerate(lines):
            self.text(line, (b[0], b[1] + i * lh, b[2], lh), size, rgb, align, "middle", tag, a)
        return lh * len(lines)

    def line(self, a: Point, b: Point, width: float, rgb: Rgb, tag="", alpha=1.0, ref=True):
        if ref:
            a, b = self.pt(a), self.pt(b)
        w = self.px(width) if ref else max(1, int(round(width)))
        seg = _clip_segment(a, b, self.W, self.H, margin=w / 2)
        if seg is not None:
            self.shapes.append(Line(seg[0], seg[1], w, dim(rgb, alpha * self.alpha), tag))

    def circle(self, c: Point, r: float, rgb: Rgb, width=0, tag="", alpha=1.0, ref=True):
        if ref:
            c, rr, w = self.pt(c), r * self.k, (self.px(width) if width else 0)
        else:
            rr, w = r, int(width)
        if rr <= c[0] <= self.W - rr and rr <= c[1] <= self.H - rr:
            self.shapes.append(Circle(c, rr, dim(rgb, alpha * self.alpha), w, tag))

    def polygon(self, pts, rgb: Rgb, width=0, tag="", alpha=1.0, ref=True):
        pts = tuple(self.pt(p) for p in pts) if ref else tuple(pts)
        w = (self.px(width) if width else 0) if ref else int(width)
        self.shapes.append(Polygon(pts, dim(rgb, alpha * self.alpha), w, tag))

    def rect(self, b: Box, rgb: Rgb, width=0, radius=0, tag="", alpha=1.0):
        self.shapes.append(Rect(self.box(b), dim(rgb, alpha * self.alpha),
                                self.px(width) if width else 0, self.px(radius) if radius else 0, tag))


def _clip_segment(a: Point, b: Point, W: float, H: float, margin: float = 0.0) -> tuple[Point, Point] | None:
    """Liang–Barsky clip of segment a-b to [m, W - m] x [m, H - m]; None when outside or not
    finite."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return None
    m = margin
    x0, y0 = a
    dx, dy = b[0] - x0, b[1] - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - m), (dx, W - m - x0), (-dy, y0 - m), (dy, H - m - y0)):
        if p == 0:
            if q < 0:
                return None
        else:
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                return None
    return (x0 + t0 * dx, y0 + t0 * dy), (x0 + t1 * dx, y0 + t1 * dy)
