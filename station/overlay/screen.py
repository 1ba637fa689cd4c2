"""The only module that imports pygame: windows, fonts, blitting, PNG snapshots."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def display_available() -> bool:
    """True when a window can be opened (an X11/Wayland display, or SDL told otherwise)."""
    if os.environ.get("SDL_VIDEODRIVER") not in (None, "", "dummy", "offscreen"):
        return True
    if os.environ.get("SDL_VIDEODRIVER") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class Screen:
    """A pygame surface shown in a window, or drawn offscreen when headless."""

    def __init__(self, size_px: tuple[int, int], headless: bool, fullscreen: bool = False,
                 title: str = "Mirror station"):
        if headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self._pg = pygame
        pygame.display.init()
        pygame.font.init()
        self.headless = headless
        flags = pygame.FULLSCREEN if (fullscreen and not headless) else 0
        self.window = pygame.display.set_mode(size_px, flags)
        pygame.display.set_caption(title)
        self.surface = pygame.Surface(size_px)
        self.size_px = size_px
        self._fonts: dict[int, object] = {}

    def font(self, px: int):
        if px not in self._fonts:
            self._fonts[px] = self._pg.font.Font(None, px)
        return self._fonts[px]

    def clear(self, rgb=(0, 0, 0)) -> None:
        self.surface.fill(rgb)

    def blit_rgb(self, rgb: np.ndarray, pos_px: tuple[int, int], scale_to: tuple[int, int] | None = None) -> None:
        surf = self._pg.surfarray.make_surface(np.ascontiguousarray(rgb.swapaxes(0, 1)))
        if scale_to is not None:
            surf = self._pg.transform.smoothscale(surf, scale_to)
        self.surface.blit(surf, pos_px)

    def text(self, s: str, pos_px: tuple[int, int], px: int = 32, rgb=(255, 255, 255)) -> None:
        self.surface.blit(self.font(px).render(s, True, rgb), pos_px)

    def present(self) -> bool:
        """Show the frame; False when the user closed the window or pressed Esc/q."""
        pg = self._pg
        self.window.blit(self.surface, (0, 0))
        pg.display.flip()
        for ev in pg.event.get():
            if ev.type == pg.QUIT or (ev.type == pg.KEYDOWN and ev.key in (pg.K_ESCAPE, pg.K_q)):
                return False
        return True

    def save_png(self, path: str | Path) -> None:
        self._pg.image.save(self.surface, str(path))

    def close(self) -> None:
        self._pg.display.quit()
