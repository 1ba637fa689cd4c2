"""The cue box at the bottom of the live screen: a cue fading in and out in its kind's colour, with
its label, or in its place the notice saying why the coach cannot see well enough; a black
backing behind each line keeps the text legible over the skeleton."""
from __future__ import annotations

from station.model import Cue
from station.overlay.canvas import Canvas, clamp01
from station.overlay.layout import CUE_LABEL, CUE_RGB, CYAN, FADE_S, GREY, WHITE, Box
from station.overlay.text import estimate_width_px, fit_paragraph
from station.overlay.view import View


def fading_cue(view: View) -> tuple[Cue | None, float]:
    st = view.state
    if st is not None and st.cue is not None:
        return st.cue, clamp01((view.now_s - st.cue.t_s) / FADE_S)
    m = view.memory
    if m.cue is not None and m.cue_gone_s is not None:
        return m.cue, clamp01(1.0 - (view.now_s - m.cue_gone_s) / FADE_S)
    return None, 0.0


def backing(c: Canvas, text: str, b: Box, size: float, max_lines: int) -> None:
    """Black behind where a paragraph will be: cuts the skeleton lines so text stays legible
    (black is invisible on the mirror, so the reflection still shows through)."""
    size, lines = fit_paragraph(text, size, b[2], max_lines)
    lh = size * 1.05 * 0.72
    for i, line in enumerate(lines):
        w = min(b[2], estimate_width_px(line, size)) + 30
        c.rect((b[0] + (b[2] - w) / 2, b[1] + i * lh - 6, w, lh + 12), (0, 0, 0), tag="backing")


def cue_box(c: Canvas, cue: Cue | None, alpha: float) -> None:
    if cue is None or alpha <= 0.0:
        return
    box = (30, 1655, 1020, 215)
    label = CUE_LABEL.get("better" if cue.key.startswith("better.") else cue.kind)
    if label:
        c.rect((340, 1596, 400, 56), (0, 0, 0), tag="backing")
        c.text(label, (40, 1600, 1000, 50), 44, GREY, tag="cue_label", a=alpha)
    backing(c, cue.text, box, 140, 2)
    c.paragraph(cue.text, box, 140, CUE_RGB.get(cue.kind, WHITE), tag="cue", a=alpha, max_lines=2)


def view_notice_box(c: Canvas, text: str) -> None:
    """Why the coach is quiet about form (it cannot see well enough), and what would help:
    in the cue's place, in a calm colour, never mistaken for a correction."""
    box = (30, 1675, 1020, 190)
    c.rect((290, 1596, 500, 56), (0, 0, 0), tag="backing")
    c.text("CAN'T SEE YOUR FORM", (40, 1600, 1000, 50), 44, GREY, tag="notice_label")
    backing(c, text, box, 110, 2)
    c.paragraph(text, box, 110, CYAN, tag="notice", max_lines=2)
