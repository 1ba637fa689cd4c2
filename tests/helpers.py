"""Small test doubles shared by several test folders."""
from __future__ import annotations

import threading


class SilentSource:
    """A depth source that yields nothing until stopped (a camera that is not there)."""

    def __init__(self):
        self._stop = threading.Event()

    def __iter__(self):
        self._stop.wait(30.0)
        return iter(())

    def stop(self):
        self._stop.set()
