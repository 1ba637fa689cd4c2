"""Text that fits its box: advance widths of the overlay's font, word wrap at one type size.

Pure data and arithmetic (no pygame): the layout decides line breaks and sizes itself, so a
cue wraps inside its box at one size and the screen never has to shrink a line.
"""
from __future__ import annotations

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
