"""Portrait on a landscape panel: the Screen turns the drawn frame in software (KMS/DRM on
the Pi cannot rotate by 90°)."""
from __future__ import annotations

import numpy as np
import pytest

from station.overlay.layout import Rect
from station.overlay.screen import Screen


def _window_pixels(screen: Screen) -> np.ndarray:
    import pygame

    return np.array(pygame.surfarray.array3d(screen.window).swapaxes(0, 1))


@pytest.mark.parametrize("rotate_deg, corner", [(0, "top_left"), (90, "bottom_left"),
                                                (180, "bottom_right"), (270, "top_right")])
def test_the_portrait_frame_is_turned_onto_the_panel(rotate_deg, corner):
    screen = Screen((108, 192), headless=True, rotate_deg=rotate_deg)
    try:
        assert screen.window.get_size() == ((192, 108) if rotate_deg in (90, 270) else (108, 192))
        screen.draw([Rect((0, 0, 20, 10), (255, 0, 0))])      # a red mark at the portrait top-left
        assert screen.present() is not None
        px = _window_pixels(screen)
        h, w = px.shape[:2]
        red = np.argwhere(px[..., 0] > 200)
        (y0, x0), (y1, x1) = red.min(0), red.max(0)
        at = {"top_left": (y0 == 0 and x0 == 0), "bottom_left": (y1 == h - 1 and x0 == 0),
              "bottom_right": (y1 == h - 1 and x1 == w - 1), "top_right": (y0 == 0 and x1 == w - 1)}
        assert at[corner], (rotate_deg, (y0, x0, y1, x1), (h, w))
        # the mark keeps its size, turned with the picture
        assert sorted((y1 - y0 + 1, x1 - x0 + 1)) == [10, 20]
        assert len(red) == 200
    finally:
        screen.close()


def test_rotation_must_be_a_quarter_turn():
    with pytest.raises(ValueError, match="0, 90, 180 or 270"):
        Screen((108, 192), headless=True, rotate_deg=45)
