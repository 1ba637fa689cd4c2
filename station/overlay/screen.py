"""The only module that imports pygame: windows, fonts, drawing shapes, PNG snapshots.

:meth:`Screen.draw` draws the shape records of :mod:`station.overlay.layout`; the older
helpers (:meth:`Screen.text`, :meth:`Screen.blit_rgb`) serve the engineer's debug view.
Headless (SDL's "dummy" driver) everything is drawn to an offscreen surface, so tests and
snapshots need no display.
"""
from __future__ import annotations

import os
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from station.overlay.layout import Circle, Line, Polygon, Rect, Shape, Text


def display_available() -> bool:
    """True when a window can be opened (an X11/Wayland display, or SDL told otherwise)."""
    if os.environ.get("SDL_VIDEODRIVER") not in (None, "", "dummy", "offscreen"):
        return True
    if os.environ.get("SDL_VIDEODRIVER") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def desktop_size() -> tuple[int, int] | None:
    """The first display's size in pixels, or None when there is none (call before Screen)."""
    if not display_available():
        return None
    import pygame

    pygame.display.init()
    sizes = pygame.display.get_desktop_sizes()
    return tuple(sizes[0]) if sizes else None


class Screen:
    """A pygame surface shown in a window (or fullscreen), or drawn offscreen when headless.

    Everything is drawn on ``surface`` (size_px); :meth:`present` copies it to the window
    and flips, returning the time of the flip (``time.monotonic()``), or None when the user
    closed the window or pressed Esc/q. :attr:`keys` collects other key presses (as names,
    e.g. "c") since the last present.
    """

    _TEXT_CACHE_SIZE = 256

    def __init__(self, size_px: tuple[int, int], headless: bool, fullscreen: bool = False,
                 title: str = "Mirror station", display_index: int = 0, rotate_deg: int = 0):
        if headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self._pg = pygame
        pygame.display.init()
        pygame.font.init()
        self.headless = headless
        size_px = (int(size_px[0]), int(size_px[1]))
        if rotate_deg not in (0, 90, 180, 270):
            raise ValueError(f"rotate_deg must be 0, 90, 180 or 270, got {rotate_deg!r}")
        # Software rotation for a panel mounted turned (a landscape HDMI panel used portrait):
        # the layout stays in the lifter's (portrait) pixels and every shape is mapped into the
        # panel's native pixels as it is drawn (text surfaces are rotated once and cached), so
        # rotating costs no more than drawing: no full-frame rotate per frame.
        self.rotate_deg = int(rotate_deg)
        native = (size_px[1], size_px[0]) if self.rotate_deg in (90, 270) else size_px
        flags = 0
        if fullscreen and not headless:
            flags = pygame.FULLSCREEN
            pygame.mouse.set_visible(False)
        try:
            self.window = pygame.display.set_mode(native, flags, display=display_index, vsync=0)
        except pygame.error:
            self.window = pygame.display.set_mode(native, flags)
        pygame.display.set_caption(title)
        self.surface = pygame.Surface(native)
        self.size_px = size_px          # the lifter's (logical) pixels the layout uses
        self.native_px = native
        self.keys: list[str] = []
        self._fonts: dict[int, object] = {}
        self._text_cache: OrderedDict = OrderedDict()

    # ------------------------------------------------------------------ text

    def font(self, px: int):
        px = max(6, int(px))
        if px not in self._fonts:
            self._fonts[px] = self._pg.font.Font(None, px)
        return self._fonts[px]

    def _render_text(self, s: str, px: int, rgb, max_w: float, max_h: float):
        key = (s, px, tuple(rgb), int(max_w), int(max_h))
        surf = self._text_cache.get(key)
        if surf is not None:
            self._text_cache.move_to_end(key)
            return surf
        surf = self.font(px).render(s, True, rgb)
        w, h = surf.get_size()
        if w > max_w or h > max_h * 1.25:  # shrink to fit the box (text never overflows it)
            f = min(max_w / max(w, 1), max_h * 1.25 / max(h, 1))
            surf = self.font(max(6, int(px * f))).render(s, True, rgb)
            if surf.get_width() > max_w:
                surf = self._pg.transform.smoothscale(surf, (int(max_w), max(1, int(surf.get_height() * max_w / surf.get_width()))))
        self._text_cache[key] = surf
        if len(self._text_cache) > self._TEXT_CACHE_SIZE:
            self._text_cache.popitem(last=False)
        return surf

    def _rotated_text(self, s: str, px: int, rgb, max_w: float, max_h: float):
        surf = self._render_text(s, px, rgb, max_w, max_h)
        if not self.rotate_deg:
            return surf
        key = ("rot", self.rotate_deg, s, px, tuple(rgb), int(max_w), int(max_h))
        rot = self._text_cache.get(key)
        if rot is None:
            rot = self._pg.transform.rotate(surf, self.rotate_deg)
            self._text_cache[key] = rot
            if len(self._text_cache) > self._TEXT_CACHE_SIZE:
                self._text_cache.popitem(last=False)
        return rot

    def to_native(self, x: float, y: float) -> tuple[float, float]:
        """A point in the lifter's pixels → the panel's native pixels (rotate_deg counter-clockwise)."""
        W, H = self.size_px
        r = self.rotate_deg
        if r == 0:
            return (x, y)
        if r == 90:
            return (y, W - x)
        if r == 180:
            return (W - x, H - y)
        return (H - y, x)

    def _box_native(self, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        if not self.rotate_deg:
            return (x, y, w, h)
        (ax, ay), (bx, by) = self.to_native(x, y), self.to_native(x + w, y + h)
        return (min(ax, bx), min(ay, by), abs(bx - ax), abs(by - ay))

    def text(self, s: str, pos_px: tuple[int, int], px: int = 32, rgb=(255, 255, 255)) -> None:
        self.surface.blit(self.font(px).render(s, True, rgb), pos_px)

    # ------------------------------------------------------------------ shapes

    def draw(self, shapes: list[Shape], clear: bool = True) -> None:
        """Draw layout shapes on the surface (black first, unless clear=False)."""
        pg, surf = self._pg, self.surface
        N = self.to_native if self.rotate_deg else (lambda x, y: (x, y))
        if clear:
            surf.fill((0, 0, 0))
        for s in shapes:
            if isinstance(s, Line):
                if s.rgb == (0, 0, 0) and s.width_px < 1:
                    continue
                w = max(1, int(s.width_px))
                a, b = N(*s.a), N(*s.b)
                pg.draw.line(surf, s.rgb, a, b, w)
                if w >= 4:  # round caps
                    pg.draw.circle(surf, s.rgb, a, w / 2)
                    pg.draw.circle(surf, s.rgb, b, w / 2)
            elif isinstance(s, Circle):
                pg.draw.circle(surf, s.rgb, N(*s.centre), s.radius_px, int(s.width_px))
            elif isinstance(s, Polygon):
                if len(s.points) >= 3:
                    pts = [N(*p) for p in s.points] if self.rotate_deg else s.points
                    if s.width_px:
                        pg.draw.lines(surf, s.rgb, True, pts, int(s.width_px))
                    else:
                        pg.draw.polygon(surf, s.rgb, pts)
            elif isinstance(s, Rect):
                pg.draw.rect(surf, s.rgb, pg.Rect(*(int(round(v)) for v in self._box_native(*s.box))),
                             int(s.width_px), border_radius=int(s.radius_px))
            elif isinstance(s, Text):
                x, y, w, h = s.box
                tw, th = self._render_text(s.text, s.size_px, s.rgb, w, h).get_size()
                tx = x if s.align == "left" else x + w - tw if s.align == "right" else x + (w - tw) / 2
                ty = y if s.valign == "top" else y + h - th if s.valign == "bottom" else y + (h - th) / 2
                ts = self._rotated_text(s.text, s.size_px, s.rgb, w, h)
                bx, by, _, _ = self._box_native(tx, ty, tw, th)
                surf.blit(ts, (int(round(bx)), int(round(by))))

    def upright(self):
        """What is drawn as the lifter sees it (portrait), for tests and snapshots (a rotated
        panel's surface turned back: not for the frame loop)."""
        if not self.rotate_deg:
            return self.surface
        return self._pg.transform.rotate(self.surface, -self.rotate_deg)

    def pixels(self) -> np.ndarray:
        """(H, W, 3) uint8 copy of what is drawn, as the lifter sees it (for tests and snapshots)."""
        return np.array(self._pg.surfarray.array3d(self.upright()).swapaxes(0, 1))

    def clear(self, rgb=(0, 0, 0)) -> None:
        self.surface.fill(rgb)

    def blit_rgb(self, rgb: np.ndarray, pos_px: tuple[int, int], scale_to: tuple[int, int] | None = None) -> None:
        surf = self._pg.surfarray.make_surface(np.ascontiguousarray(rgb.swapaxes(0, 1)))
        if scale_to is not None:
            surf = self._pg.transform.smoothscale(surf, scale_to)
        self.surface.blit(surf, pos_px)

    # ------------------------------------------------------------------ output

    def present(self, pos_px: tuple[int, int] = (0, 0)) -> float | None:
        """Show the frame; returns the flip time (time.monotonic()), or None when the user
        closed the window or pressed Esc/q."""
        pg = self._pg
        self.window.blit(self.surface, pos_px)
        pg.display.flip()
        t_flip = time.monotonic()
        for ev in pg.event.get():
            if ev.type == pg.QUIT or (ev.type == pg.KEYDOWN and ev.key in (pg.K_ESCAPE, pg.K_q)):
                return None
            if ev.type == pg.KEYDOWN:
                self.keys.append(pg.key.name(ev.key))
        return t_flip

    def save_png(self, path: str | Path, extra: np.ndarray | None = None) -> None:
        """Write the surface as PNG; with `extra` (H, W, 3) uint8, side by side on its right.
        Written beside `path` and renamed into place (station.fileio)."""
        from station.fileio import StagedFile

        out = upright = self.upright()
        if extra is not None:
            w, h = self.size_px
            eh, ew = extra.shape[:2]
            out = self._pg.Surface((w + ew, max(h, eh)))
            out.fill((0, 0, 0))
            out.blit(upright, (0, 0))
            out.blit(self._pg.surfarray.make_surface(np.ascontiguousarray(extra.swapaxes(0, 1))), (w, 0))
        staged = StagedFile(path)
        with staged as tmp:
            self._pg.image.save(out, str(tmp))
            staged.commit()

    def close(self) -> None:
        self._pg.display.quit()


def write_contact_sheet(paths: list, captions: list[str], out_path: str | Path, title: str = "",
                        max_frames: int = 48, columns: int = 8, thumb_w: int = 180) -> Path:
    """One PNG of a whole run: up to `max_frames` snapshots as thumbnails in time order, each
    with its caption, chosen so every change of screen, phase, rep count or cue is kept first
    (then evenly spaced frames fill the rest). Written via a temporary file and renamed."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    pygame.font.init()
    paths = [Path(p) for p in paths]
    captions = list(captions) + [""] * (len(paths) - len(captions))
    n = len(paths)
    if n == 0:
        raise ValueError("no snapshots for a contact sheet")

    def key(c: str) -> str:
        return c.split("s  ", 1)[-1]

    changes = [i for i in range(n) if i == 0 or key(captions[i]) != key(captions[i - 1])]
    if len(changes) > max_frames:
        keep = sorted(set(int(round(v)) for v in np.linspace(0, len(changes) - 1, max_frames)))
        chosen = [changes[k] for k in keep]
    else:
        chosen = list(changes)
        rest = [i for i in np.linspace(0, n - 1, max_frames).round().astype(int) if i not in chosen]
        chosen = sorted(set(chosen + rest[:max_frames - len(chosen)]))
    first = pygame.image.load(str(paths[chosen[0]]))
    fw, fh = first.get_size()
    th = int(round(thumb_w * fh / fw))
    cap_h, head_h, pad = 44, 56 if title else 8, 8
    rows = (len(chosen) + columns - 1) // columns
    sheet = pygame.Surface((columns * (thumb_w + pad) + pad, head_h + rows * (th + cap_h + pad) + pad))
    sheet.fill((24, 24, 24))
    font = pygame.font.Font(None, 22)
    if title:
        sheet.blit(pygame.font.Font(None, 40).render(title, True, (230, 230, 230)), (pad, 14))
    for k, i in enumerate(chosen):
        r, c = divmod(k, columns)
        x, y = pad + c * (thumb_w + pad), head_h + r * (th + cap_h + pad)
        img = pygame.image.load(str(paths[i]))
        sheet.blit(pygame.transform.smoothscale(img, (thumb_w, th)), (x, y))
        pygame.draw.rect(sheet, (70, 70, 70), pygame.Rect(x - 1, y - 1, thumb_w + 2, th + 2), 1)
        words, lines, cur = captions[i].split(), [], ""
        for w in words:
            trial = (cur + " " + w).strip()
            if cur and font.size(trial)[0] > thumb_w:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        lines.append(cur)
        for j, ln in enumerate(lines[:2]):
            sheet.blit(font.render(ln, True, (220, 220, 220)), (x, y + th + 3 + j * 19))
    from station.fileio import StagedFile

    staged = StagedFile(out_path)
    with staged as tmp:
        pygame.image.save(sheet, str(tmp))
        return staged.commit()
