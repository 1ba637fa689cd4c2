"""What the lifter sees, as shapes in pixels: pure, no pygame.

``layout(view, size_px) -> list[Shape]`` turns one :class:`View` (the coach state, the
registered skeleton, calibration and health information, and the clock) into text, lines,
circles, polygons and rectangles with their colours. :mod:`station.overlay.screen` draws
them; tests inspect them or render them headless.

The background is black: on a two-way mirror black is invisible and bright pixels float on
the lifter's reflection. Screens are designed on a 1080 x 1920 portrait reference and scaled
to any size (positions by the width and height ratios, type and strokes by the smaller).

Screens (:func:`choose_screen`): "idle", "positioning", "live", "summary" (from
CoachState.screen), "calibration" (staff mode, or the floor not found yet) and "attention"
(camera lost, or no usable configuration).

Smoothness: cues fade in from Cue.t_s and fade out after they disappear (the evaluator
debounces them); a new screen fades in. Both over FADE_S, from timestamps kept in
:class:`OverlayMemory` by the pure reducer :func:`remember`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Union

import numpy as np

from station.form.rules import RULE_TYPES
from station.model import SKELETON_INDEX, CoachState, Cue
from station.overlay import figures

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


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Health:
    """Is the station able to coach? camera_status as LiveCamera.status ("streaming",
    "reconnecting", "no camera", "starting", "stopped"); config_error: the problem with the
    config file as it is now (the station keeps its last good config); config_fatal: there is
    no good config at all."""

    camera_status: str = "streaming"
    camera_detail: str | None = None
    config_error: str | None = None
    config_fatal: bool = False
    config_path: str | None = None
    calibration_notice: str | None = None   # e.g. "the camera has moved: recalibrate (...)"


@dataclass(frozen=True)
class Calibration:
    """What the station measured about its set-up (floor frame, metres and degrees)."""

    floor_found: bool
    camera_height_m: float | None
    camera_pitch_deg: float | None
    expected_height_m: float
    expected_pitch_deg: float
    zone_centre_m: tuple[float, float]       # (x, y) floor frame
    zone_size_m: tuple[float, float]         # (width across, depth towards the mirror)
    person_floor_m: tuple[float, float] | None = None
    background_fraction: float | None = None  # `station calibrate`: share of the view learned
    result: str | None = None                 # `station calibrate`: saved, or why refused
    result_ok: bool | None = None


@dataclass(frozen=True)
class Presence:
    """Where the person is, for the positioning screen. offset_m: person minus zone centre,
    floor frame (x = the lifter's left when facing the mirror, y = away from the mirror)."""

    in_zone: bool | None = None
    upright: bool | None = None
    offset_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class OverlayMemory:
    """Timestamps the fades need (stream seconds), kept between frames by :func:`remember`."""

    screen: str | None = None
    screen_since_s: float = -math.inf
    cue: Cue | None = None
    cue_gone_s: float | None = None


def remember(memory: OverlayMemory, screen: str, cue: Cue | None, now_s: float) -> OverlayMemory:
    """The memory after drawing `screen` with `cue` at `now_s` (pure)."""
    m = memory
    if screen != m.screen:
        m = replace(m, screen=screen, screen_since_s=now_s)
    if cue is not None:
        if m.cue is None or m.cue.key != cue.key or m.cue.t_s != cue.t_s or m.cue_gone_s is not None:
            m = replace(m, cue=cue, cue_gone_s=None)
    elif m.cue is not None and m.cue_gone_s is None:
        m = replace(m, cue_gone_s=now_s)
    return m


@dataclass(frozen=True)
class View:
    """Everything one drawn frame depends on.

    skeleton_px: (len(SKELETON_POINTS), 2) registered display pixels (NaN = not drawable).
    skeleton_alpha: 0..1, fades a skeleton that has not been updated for a moment.
    mode: "calibration" forces the calibration screen (staff).
    """

    state: CoachState | None
    now_s: float
    skeleton_px: np.ndarray | None = None
    skeleton_alpha: float = 1.0
    health: Health = Health()
    calibration: Calibration | None = None
    presence: Presence | None = None
    mode: str | None = None
    memory: OverlayMemory = OverlayMemory()
    exercise_title: str = "Romanian deadlift"
    muscle_roles: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    show_muscles: bool = True


def choose_screen(view: View) -> str:
    h = view.health
    if h.config_fatal or h.camera_status in ("reconnecting", "no camera", "stopped"):
        return "attention"
    if view.mode == "calibration":
        return "calibration"
    if view.state is None:
        if view.calibration is not None and not view.calibration.floor_found:
            return "calibration"
        return "idle"
    return view.state.screen if view.state.screen in ("idle", "positioning", "live", "summary") else "idle"


# --------------------------------------------------------------------------- canvas


def _clamp01(x: float) -> float:
    return 0.0 if x <= 0.0 else 1.0 if x >= 1.0 else float(x)


def _dim(rgb: Rgb, a: float) -> Rgb:
    a = _clamp01(a)
    return (int(round(rgb[0] * a)), int(round(rgb[1] * a)), int(round(rgb[2] * a)))


# Advance widths of pygame's default font (freesansbold.ttf) per pixel of type size, measured
# with pygame.font.Font(None, 200).size(ch) / 200 (pure data: layout never imports pygame).
_ADVANCE: dict[str, float] = {
    ' ': 0.19, '!': 0.23, '"': 0.325, '#': 0.38, '$': 0.38, '%': 0.61, '&': 0.495, "'": 0.165, '(': 0.23,
    ')': 0.23, '*': 0.265, '+': 0.4, ',': 0.19, '-': 0.23, '.': 0.19, '/': 0.19, ':': 0.23, ';': 0.23,
    '<': 0.4, '=': 0.4, '>': 0.4, '?': 0.42, '@': 0.67, 'A': 0.495, 'B': 0.495, 'C': 0.495, 'D': 0.495,
    'E': 0.455, 'F': 0.42, 'G': 0.535, 'H': 0.495, 'I': 0.19, 'J': 0.38, 'K': 0.495, 'L': 0.42, 'M': 0.57,
    'N': 0.495, 'O': 0.535, 'P': 0.455, 'Q': 0.535, 'R': 0.495, 'S': 0.455, 'T': 0.42, 'U': 0.495,
    'V': 0.455, 'W': 0.645, 'X': 0.455, 'Y': 0.455, 'Z': 0.42, '[': 0.23, '\\': 0.21, ']': 0.23, '^': 0.4,
    '_': 0.42, '`': 0.23, 'a': 0.38, 'b': 0.42, 'c': 0.38, 'd': 0.42, 'e': 0.38, 'f': 0.23, 'g': 0.42,
    'h': 0.42, 'i': 0.19, 'j': 0.19, 'k': 0.38, 'l': 0.19, 'm': 0.61, 'n': 0.42, 'o': 0.42, 'p': 0.42,
    'q': 0.42, 'r': 0.265, 's': 0.38, 't': 0.23, 'u': 0.42, 'v': 0.38, 'w': 0.535, 'x': 0.38, 'y': 0.38,
    'z': 0.345, '{': 0.265, '|': 0.19, '}': 0.265, '~': 0.4, '\u2014': 0.695, '\u00b0': 0.415,
    '\u2019': 0.19, '\u201c': 0.345, '\u201d': 0.345, '\u00b7': 0.19, '\u2026': 0.685, '\u2013': 0.395,
    **{d: 0.38 for d in "0123456789"},
}
_WIDTH_MARGIN = 1.04          # rounding and kerning: never under-estimate


def estimate_width_px(text: str, size_px: float) -> float:
    """A line's width in pygame's default font at `size_px` (from its advance widths, a few
    per cent generous, so text laid out to fit is never shrunk by the screen)."""
    return _WIDTH_MARGIN * size_px * sum(_ADVANCE.get(ch, 0.645) for ch in text)


def _wrap_words(text: str, size_px: float, width_px: float) -> list[str]:
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and estimate_width_px(trial, size_px) > width_px:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def fit_paragraph(text: str, size_px: float, width_px: float, max_lines: int = 3,
                  min_size_px: float = 24.0) -> tuple[float, list[str]]:
    """(size, lines): `text` wrapped at one type size, the largest up to size_px at which it
    fits max_lines lines of width_px (every line, every word; never a line in another size)."""
    size = float(size_px)
    while True:
        lines = _wrap_words(text, size, width_px)
        fits = len(lines) <= max_lines and all(estimate_width_px(ln, size) <= width_px for ln in lines)
        if fits or size <= min_size_px:
            return size, lines[:max_lines] if not fits else lines
        size = max(min_size_px, size * 0.94)


def wrap(text: str, size_px: float, width_px: float, max_lines: int = 3) -> list[str]:
    """The lines of fit_paragraph (at the size it chose)."""
    return fit_paragraph(text, size_px, width_px, max_lines)[1]


class _Canvas:
    """Collects shapes designed on the 1080 x 1920 reference, scaled to the real size."""

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
            self.shapes.append(Text(s, self.box(b), self.px(size), _dim(rgb, a * self.alpha), align, valign, tag))

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
            self.shapes.append(Line(seg[0], seg[1], w, _dim(rgb, alpha * self.alpha), tag))

    def circle(self, c: Point, r: float, rgb: Rgb, width=0, tag="", alpha=1.0, ref=True):
        if ref:
            c, rr, w = self.pt(c), r * self.k, (self.px(width) if width else 0)
        else:
            rr, w = r, int(width)
        if rr <= c[0] <= self.W - rr and rr <= c[1] <= self.H - rr:
            self.shapes.append(Circle(c, rr, _dim(rgb, alpha * self.alpha), w, tag))

    def polygon(self, pts, rgb: Rgb, width=0, tag="", alpha=1.0, ref=True):
        pts = tuple(self.pt(p) for p in pts) if ref else tuple(pts)
        w = (self.px(width) if width else 0) if ref else int(width)
        self.shapes.append(Polygon(pts, _dim(rgb, alpha * self.alpha), w, tag))

    def rect(self, b: Box, rgb: Rgb, width=0, radius=0, tag="", alpha=1.0):
        self.shapes.append(Rect(self.box(b), _dim(rgb, alpha * self.alpha),
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


# --------------------------------------------------------------------------- pieces


def _figure(c: _Canvas, box: Box, view_name: str, activation: dict[str, float], roles: dict[str, str],
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
        a = base + (1.0 - base) * _clamp01(activation.get(part.muscle, 0.0))
        c.polygon(figures.to_box(part.points, rb), ROLE_RGB[role], 0, f"{tag}.{part.muscle}", a, ref=False)


SHORT_MUSCLE: dict[str, str] = {"glutes": "glutes", "hamstrings": "hamstrings", "erector_spinae": "back",
                                "abdominals": "abs", "lats": "lats"}


def _figure_label(c: _Canvas, box: Box, roles: dict[str, str], which: tuple[str, ...], tag: str) -> None:
    """The names of the muscles a figure lights, in their role colours: what the hinge works."""
    names = [(SHORT_MUSCLE[m], roles[m]) for m in figures.MUSCLES if roles.get(m) in which]
    if names:
        c.text(", ".join(n for n, _ in names), box, 40, ROLE_RGB[names[0][1]], tag=tag)


def _roles(view: View) -> dict[str, str]:
    out = {}
    for m, r in view.muscle_roles.items():
        if m in figures.MUSCLE_NAMES and r in ROLE_RGB:
            out[m] = r
    return out


def _check(c: _Canvas, centre: Point, ok: bool | None, tag: str) -> None:
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


def _staff_notice(c: _Canvas, view: View) -> None:
    err = view.health.config_error
    moved = view.health.calibration_notice
    if moved and not (err and not view.health.config_fatal):
        first, _, rest = moved.partition(" (")
        c.rect((0, 1868, 1080, 52), (0, 0, 0), tag="backing")
        c.text(f"STAFF: {first}", (10, 1872, 1060, 24), 26, AMBER, tag="staff_notice")
        if rest:
            c.text("(" + rest, (10, 1896, 1060, 22), 22, AMBER, tag="staff_notice")
    if err and not view.health.config_fatal:
        first = err.strip().splitlines()[0]
        if len(first) > 90:
            first = first[:87] + "..."
        c.rect((0, 1868, 1080, 52), (0, 0, 0), tag="backing")
        c.text("STAFF: config file has errors; running on the last good settings "
               "(station config check)", (10, 1872, 1060, 24), 26, AMBER, tag="staff_notice")
        c.text(first, (10, 1896, 1060, 22), 22, AMBER, tag="staff_notice")


# --------------------------------------------------------------------------- screens


def _idle(c: _Canvas, view: View) -> None:
    c.text("HIP HINGE", (40, 60, 1000, 130), 150, WHITE, tag="title")
    c.text(view.exercise_title, (40, 190, 1000, 70), 72, CYAN, tag="exercise")
    c.text("HOW TO USE", (70, 300, 940, 56), 52, GREY, align="left", tag="howto")
    steps = ("1   Step into the marked zone", "2   Face the mirror, stand tall",
             "3   Lift: your reps and cues show here")
    for i, s in enumerate(steps):
        c.text(s, (70, 362 + i * 78, 960, 72), 66, WHITE, align="left", tag="howto")
    roles = _roles(view)
    c.text("WHAT IT WORKS", (70, 640, 940, 56), 52, GREY, align="left", tag="muscles")
    _figure(c, (40, 710, 250, 680), "back", {m: 1.0 for m in roles}, roles, "figure_back", base=1.0)
    _figure(c, (290, 710, 250, 680), "front", {m: 1.0 for m in roles}, roles, "figure_front", base=1.0)
    c.text("BACK", (40, 1395, 250, 50), 44, GREY, tag="figure_back")
    c.text("FRONT", (290, 1395, 250, 50), 44, GREY, tag="figure_front")
    y = 745
    for role in ("drive", "hold", "brace"):
        names = [figures.MUSCLE_NAMES[m] for m in figures.MUSCLES if roles.get(m) == role]
        if not names:
            continue
        c.text(ROLE_TITLE[role], (560, y, 480, 70), 72, ROLE_RGB[role], align="left", tag=f"legend.{role}")
        c.paragraph(", ".join(names), (560, y + 72, 480, 120), 58, WHITE, align="left",
                    tag=f"legend.{role}", max_lines=2)
        y += 205
    c.paragraph("New to the hinge? Learn the pattern with light or no weight first.",
                (60, 1520, 960, 200), 72, WHITE, tag="advice", max_lines=3)
    c.paragraph("Hips back, soft knees, flat back.", (60, 1740, 960, 80), 66, CYAN,
                tag="advice", max_lines=1)


def _zone_diagram(c: _Canvas, box: Box, zone_size_m: tuple[float, float], offset_m: tuple[float, float] | None,
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


def _position_hint(p: Presence | None, zone_size_m: tuple[float, float]) -> str:
    if p is None or p.offset_m is None:
        return "Step onto the marked zone in front of the mirror"
    dx, dy = p.offset_m
    if p.in_zone and abs(dy) < GOOD_SPOT_FRACTION * zone_size_m[1] and abs(dx) < GOOD_SPOT_FRACTION * zone_size_m[0]:
        return "Good spot: stay here"
    if abs(dy) >= abs(dx):
        return f"Step {'closer' if dy > 0 else 'back'} {min(abs(dy), 9.9) * 100:.0f} cm"
    return f"Move {'right' if dx > 0 else 'left'} {min(abs(dx), 9.9) * 100:.0f} cm"


def _positioning(c: _Canvas, view: View) -> None:
    p = view.presence or Presence()
    c.text("GET IN POSITION", (40, 90, 1000, 130), 128, WHITE, tag="title")
    rows = (("Step into the marked zone", p.in_zone), ("Face the mirror", None if p.upright is None else p.upright),
            ("Stand tall, arms relaxed", p.upright))
    for i, (s, ok) in enumerate(rows):
        y = 290 + i * 120
        _check(c, (120, y + 45), ok, tag=f"check{i}")
        c.text(s, (190, y, 860, 90), 76, WHITE, align="left", tag=f"step{i}")
    zone = view.calibration.zone_size_m if view.calibration is not None else (1.6, 1.8)
    _zone_diagram(c, (190, 700, 700, 760), zone, p.offset_m, "zone", p.in_zone)
    c.paragraph(_position_hint(p, zone), (40, 1520, 1000, 110), 92, AMBER if not p.in_zone else GREEN,
                tag="hint", max_lines=1)
    c.paragraph("Your set starts when you stand still.", (60, 1680, 960, 160), 62, GREY,
                tag="note", max_lines=2)


def _skeleton(c: _Canvas, view: View, cue: Cue | None, cue_alpha: float) -> None:
    pts = view.skeleton_px
    if pts is None:
        return
    pts = np.asarray(pts, dtype=np.float64)
    a = _clamp01(view.skeleton_alpha)
    if a <= 0.0:
        return
    I = SKELETON_INDEX
    hot = set(FAULT_BONES.get(cue.rule or "", ())) if (cue is not None and cue.kind == "fault") else set()
    hot_rgb = CUE_RGB["fault"]

    def P(name: str) -> Point:
        v = pts[I[name]]
        return (float(v[0]), float(v[1]))

    def bone(a_: str, b_: str, width: float, rgb: Rgb, tag: str, alpha: float) -> None:
        c.line(P(a_), P(b_), width * c.k, rgb, tag=tag, alpha=alpha, ref=False)

    # thin context: shoulders, arms
    for a_, b_ in (("shoulder_l", "neck"), ("neck", "shoulder_r"), ("hip_l", "pelvis"), ("pelvis", "hip_r")):
        bone(a_, b_, 6, WHITE, "skeleton.context", 0.5 * a)
    # key lines: trunk (through the spine points, so rounding shows), thighs, shins; the part
    # a fault cue is about blends from cyan to the cue's colour as the cue fades in and out
    def colour(part: str) -> Rgb:
        if part not in hot:
            return CYAN
        f = _clamp01(cue_alpha)
        return tuple(int(round(c0 + (c1 - c0) * f)) for c0, c1 in zip(CYAN, hot_rgb))

    for a_, b_ in (("pelvis", "spine_low"), ("spine_low", "spine_mid"), ("spine_mid", "neck")):
        bone(a_, b_, 12, colour("trunk"), "skeleton.trunk", a)
    for side in ("l", "r"):
        bone(f"hip_{side}", f"knee_{side}", 12, colour("thigh"), "skeleton.thigh", a)
        bone(f"knee_{side}", f"ankle_{side}", 12, colour("shin"), "skeleton.shin", a)
    for name in ("neck", "shoulder_l", "shoulder_r", "pelvis", "hip_l", "hip_r", "knee_l", "knee_r",
                 "ankle_l", "ankle_r"):
        c.circle(P(name), 11 * c.k, WHITE, tag="skeleton.joint", alpha=a, ref=False)


def _hinge_meter(c: _Canvas, ratio: float | None, x: float = 925, y0: float = 870, y1: float = 1500) -> None:
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
        r = _clamp01(ratio)
        my = y1 - r * span
        rgb = GREEN if r >= 0.65 else AMBER if r < 0.45 else WHITE
        c.polygon(((x - 44, my - 26), (x - 44, my + 26), (x - 6, my)), rgb, tag="hinge_meter.marker")
        c.rect((x - 8, my - 8, w + 16, 16), rgb, tag="hinge_meter.marker")


def _cue_alpha(view: View) -> tuple[Cue | None, float]:
    st = view.state
    if st is not None and st.cue is not None:
        return st.cue, _clamp01((view.now_s - st.cue.t_s) / FADE_S)
    m = view.memory
    if m.cue is not None and m.cue_gone_s is not None:
        return m.cue, _clamp01(1.0 - (view.now_s - m.cue_gone_s) / FADE_S)
    return None, 0.0


def _backing(c: _Canvas, text: str, b: Box, size: float, max_lines: int) -> None:
    """Black behind where a paragraph will be: cuts the skeleton lines so text stays legible
    (black is invisible on the mirror, so the reflection still shows through)."""
    size, lines = fit_paragraph(text, size, b[2], max_lines)
    lh = size * 1.05 * 0.72
    for i, line in enumerate(lines):
        w = min(b[2], estimate_width_px(line, size)) + 30
        c.rect((b[0] + (b[2] - w) / 2, b[1] + i * lh - 6, w, lh + 12), (0, 0, 0), tag="backing")


def _cue(c: _Canvas, cue: Cue | None, alpha: float) -> None:
    if cue is None or alpha <= 0.0:
        return
    box = (30, 1655, 1020, 215)
    label = CUE_LABEL.get("better" if cue.key.startswith("better.") else cue.kind)
    if label:
        c.rect((340, 1596, 400, 56), (0, 0, 0), tag="backing")
        c.text(label, (40, 1600, 1000, 50), 44, GREY, tag="cue_label", a=alpha)
    _backing(c, cue.text, box, 140, 2)
    c.paragraph(cue.text, box, 140, CUE_RGB.get(cue.kind, WHITE), tag="cue", a=alpha, max_lines=2)


def _live(c: _Canvas, view: View) -> None:
    st = view.state
    cue, cue_alpha = _cue_alpha(view)
    _skeleton(c, view, cue, cue_alpha)
    c.text("REPS", (40, 30, 420, 60), 58, GREY, align="left", tag="reps_label")
    c.text(str(st.rep_count if st else 0), (40, 85, 420, 230), 300, WHITE, align="left", tag="reps")
    if st is not None and st.last_rep is not None and 0.0 <= view.now_s - st.last_rep.end_t < LAST_REP_SHOW_S:
        fade = _clamp01(min((view.now_s - st.last_rep.end_t) / FADE_S,
                            (LAST_REP_SHOW_S - (view.now_s - st.last_rep.end_t)) / FADE_S))
        if st.last_rep.faults:
            note, rgb = "last: " + FAULT_SHORT.get(st.last_rep.faults[0], st.last_rep.faults[0].replace("_", " ")), AMBER
        elif st.last_rep.verdict == "not judged":   # never shown as clean: the coach could not see
            note, rgb = "last: not judged", GREY
        else:
            note, rgb = "last: clean", GREEN
        c.text(note, (40, 320, 520, 70), 64, rgb, align="left", tag="last_rep", a=fade)
    phase = st.phase if st is not None else None
    if phase:
        c.text(PHASE_TEXT.get(phase, phase.upper()), (500, 40, 540, 100), 96,
               PHASE_RGB.get(phase, WHITE), align="right", tag="phase")
    c.text(view.exercise_title, (500, 140, 540, 56), 48, GREY, align="right", tag="exercise")
    if view.show_muscles and st is not None:
        roles = _roles(view)
        _figure(c, (855, 210, 190, 430), "back", st.muscles, roles, "muscles_back")
        _figure(c, (30, 420, 170, 400), "front", st.muscles, roles, "muscles_front")
        _figure_label(c, (770, 642, 310, 52), roles, ("drive",), "muscles_back.label")
        _figure_label(c, (0, 822, 230, 52), roles, ("brace",), "muscles_front.label")
    # the meter reads the hinge of a rep in progress: standing still, knee and hip flexion are
    # a few degrees of noise and their ratio means nothing
    in_rep = st is not None and st.phase in ("lowering", "bottom", "rising")
    _hinge_meter(c, st.hinge_ratio if in_rep else None)
    if cue_alpha <= 0.0 and st is not None and st.notice_text:
        _view_notice(c, st.notice_text)
    _cue(c, cue, cue_alpha)


def _view_notice(c: _Canvas, text: str) -> None:
    """Why the coach is quiet about form (it cannot see well enough), and what would help:
    in the cue's place, in a calm colour, never mistaken for a correction."""
    box = (30, 1675, 1020, 190)
    c.rect((290, 1596, 500, 56), (0, 0, 0), tag="backing")
    c.text("CAN'T SEE YOUR FORM", (40, 1600, 1000, 50), 44, GREY, tag="notice_label")
    _backing(c, text, box, 110, 2)
    c.paragraph(text, box, 110, CYAN, tag="notice", max_lines=2)


def _fmt_s(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.1f} s"


def _summary(c: _Canvas, view: View) -> None:
    st = view.state
    s = st.set_summary if st is not None else None
    card_bottom = 1380 if (s is None or s.pattern != "squat") else 1580
    c.rect((30, 80, 1020, card_bottom - 80), DIM, width=4, radius=30, tag="card")
    c.text("SET COMPLETE", (60, 120, 960, 120), 120, WHITE, tag="title")
    c.text(view.exercise_title, (60, 240, 960, 70), 60, GREY, tag="exercise")
    reps = s.reps if s is not None else (st.rep_count if st else 0)
    c.text(str(reps), (60, 320, 960, 280), 340, WHITE, tag="reps")
    c.text("REP" if reps == 1 else "REPS", (60, 600, 960, 70), 66, GREY, tag="reps_label")
    if s is None:
        return
    clean_rgb = GREEN if s.clean_reps == s.reps else WHITE
    c.text(f"{s.clean_reps} clean", (60, 700, 960, 110), 116, clean_rgb, tag="clean")
    if s.most_frequent_fault:
        c.text("WORK ON", (60, 850, 960, 60), 54, GREY, tag="fault_label")
        text = FAULT_TEXT.get(s.most_frequent_fault, s.most_frequent_fault.replace("_", " "))
        n = s.fault_counts.get(s.most_frequent_fault)
        if n:
            text = f"{text} ({n}x)"
        c.paragraph(text, (70, 915, 940, 200), 84, AMBER, tag="fault", max_lines=3)
    else:
        c.paragraph("No faults. Great set!", (70, 880, 940, 120), 96, GREEN, tag="fault", max_lines=1)
    c.text("TEMPO", (60, 1160, 960, 60), 54, GREY, tag="tempo_label")
    c.text(f"down {_fmt_s(s.mean_eccentric_s)}    up {_fmt_s(s.mean_concentric_s)}", (60, 1225, 960, 100), 88,
           WHITE, tag="tempo")
    if s.pattern == "squat":
        c.paragraph("That looked like a squat: push the hips back, shins stay upright.",
                    (70, 1370, 940, 180), 62, AMBER, tag="pattern", max_lines=2)
    c.paragraph("Rest, then step in for your next set.", (60, 1690, 960, 160), 70, GREY, tag="next",
                max_lines=2)


def _calibration(c: _Canvas, view: View) -> None:
    cal = view.calibration
    c.text("CALIBRATION", (40, 70, 1000, 130), 128, WHITE, tag="title")
    c.text("Staff set-up check", (40, 200, 1000, 60), 56, GREY, tag="subtitle")
    if cal is None:
        c.paragraph("No measurement yet: waiting for the camera.", (60, 400, 960, 200), 72, AMBER, tag="status")
        return
    rows = []
    rows.append(("Floor", "found" if cal.floor_found else ("not seen" if cal.result else "looking..."),
                 cal.floor_found))
    if cal.camera_height_m is not None:
        dh = cal.camera_height_m - cal.expected_height_m
        rows.append(("Camera height", f"{cal.camera_height_m:.2f} m (set {cal.expected_height_m:.2f})", abs(dh) <= 0.05))
    else:
        rows.append(("Camera height", "-", None))
    if cal.camera_pitch_deg is not None:
        dp = cal.camera_pitch_deg - cal.expected_pitch_deg
        rows.append(("Camera pitch", f"{cal.camera_pitch_deg:.1f}° (set {cal.expected_pitch_deg:.1f}°)", abs(dp) <= 3.0))
    else:
        rows.append(("Camera pitch", "-", None))
    if cal.background_fraction is not None:
        rows.append(("Empty scene", f"learned over {100 * cal.background_fraction:.0f}% of the view",
                     cal.background_fraction >= 0.5))
    zx, zy = cal.zone_centre_m
    rows.append(("Zone", f"{zy:.1f} m out, {cal.zone_size_m[0]:.1f} x {cal.zone_size_m[1]:.1f} m", None))
    for i, (label, value, ok) in enumerate(rows):
        y = 320 + i * 150
        _check(c, (90, y + 60), ok, tag=f"row{i}")
        c.text(label, (150, y, 880, 56), 54, GREY, align="left", tag=f"row{i}.label")
        c.text(value, (150, y + 55, 900, 80), 74, WHITE if ok is not False else AMBER, align="left",
               tag=f"row{i}.value")
    offset = None
    if cal.person_floor_m is not None:
        offset = (cal.person_floor_m[0] - zx, cal.person_floor_m[1] - zy)
    top = 320 + len(rows) * 150
    _zone_diagram(c, (240, top, 600, 1540 - top), cal.zone_size_m, offset, "zone")
    if cal.result is not None:
        c.paragraph(cal.result, (60, 1560, 960, 300), 52, GREEN if cal.result_ok else AMBER,
                    tag="advice", max_lines=5)
        return
    problems = []
    if any(ok is False for _, _, ok in rows[1:3]):
        problems.append("Measured and configured camera differ: check camera.mount in the "
                        "station config, or the mount itself.")
    if not cal.floor_found:
        problems.append("Keep the zone clear and the floor visible while the floor is measured.")
    text = problems[0] if problems else "All good. Keep the zone clear; press C to leave calibration."
    c.paragraph(text, (60, 1560, 960, 300), 58, AMBER if problems else GREEN, tag="advice", max_lines=4)


_CAMERA_REASON = {
    "no camera": "The depth camera is not connected.",
    "reconnecting": "The depth camera stopped sending images.",
    "stopped": "The depth camera has stopped.",
}


def _attention(c: _Canvas, view: View) -> None:
    h = view.health
    # warning triangle
    c.polygon(((540, 80), (700, 350), (380, 350)), AMBER, width=14, tag="icon")
    c.rect((531, 160, 18, 110), AMBER, tag="icon")
    c.circle((540, 305), 13, AMBER, tag="icon")
    c.paragraph("STATION NEEDS ATTENTION", (40, 400, 1000, 220), 120, AMBER, tag="title", max_lines=2)
    y = 640
    if h.config_fatal:
        c.paragraph("The configuration file has errors and there are no good settings to run on.",
                    (60, y, 960, 200), 66, WHITE, tag="reason", max_lines=3)
        y += 230
        c.text("FOR STAFF", (60, y, 960, 60), 54, GREY, align="left", tag="staff")
        y += 70
        lines = [ln.strip() for ln in (h.config_error or "").strip().splitlines() if ln.strip()]
        for ln in lines[:6]:
            y += c.paragraph(ln, (60, y, 960, 200), 46, AMBER, align="left", tag="problem", max_lines=3) + 8
        y += 20
        where = h.config_path or "/etc/station/station.toml"
        for s in (f"Fix {where}", "Check it with: station config check",
                  "The station starts by itself once the file is good."):
            y += c.paragraph(s, (60, y, 960, 160), 50, WHITE, align="left", tag="steps", max_lines=2) + 10
    else:
        c.paragraph(_CAMERA_REASON.get(h.camera_status, "The depth camera is not working."),
                    (60, y, 960, 200), 70, WHITE, tag="reason", max_lines=2)
        y += 150
        c.paragraph("Reconnecting automatically...", (60, y, 960, 80), 58, CYAN, tag="status", max_lines=1)
        y += 130
        c.text("FOR STAFF", (60, y, 960, 60), 54, GREY, align="left", tag="staff")
        y += 80
        for s in ("1. Check the camera's USB 3 cable at both ends (blue port on the Pi).",
                  "2. List cameras on the station: station cameras",
                  "3. If it stays lost: sudo systemctl restart station"):
            y += c.paragraph(s, (60, y, 960, 200), 54, WHITE, align="left", tag="steps", max_lines=3) + 18
        if h.camera_detail:
            c.paragraph(h.camera_detail, (60, y + 10, 960, 140), 36, GREY, align="left", tag="detail",
                        max_lines=3)
    c.paragraph("Coaching is paused. Please ask the staff.", (40, 1720, 1000, 150), 66, GREY, tag="lifter",
                max_lines=2)


_SCREENS = {"idle": _idle, "positioning": _positioning, "live": _live, "summary": _summary,
            "calibration": _calibration, "attention": _attention}


def layout(view: View, size_px: tuple[int, int]) -> list[Shape]:
    """The shapes of the screen for `view`, in pixels of a screen of size_px (w, h)."""
    screen = choose_screen(view)
    m = view.memory
    alpha = 1.0
    if m.screen == screen and math.isfinite(m.screen_since_s):
        # a new screen fades in from SCREEN_FADE_FROM, never from black (a black frame between
        # the last rep and the set summary reads as a flash)
        f = _clamp01((view.now_s - m.screen_since_s) / FADE_S)
        alpha = SCREEN_FADE_FROM + (1.0 - SCREEN_FADE_FROM) * f
    c = _Canvas(size_px, alpha)
    _SCREENS[screen](c, view)
    if screen != "attention":
        _staff_notice(c, view)
    return c.shapes
