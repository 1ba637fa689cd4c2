"""A plain progress bar on a terminal (nothing when stderr is not a terminal)."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int | None, label: str, stream=None, enabled: bool | None = None):
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.n = 0
        self._t0 = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or (self.total and self.n >= self.total)):
            self._last = now
            rate = self.n / max(now - self._t0, 1e-9)
            if self.total:
                frac = min(self.n / self.total, 1.0)
                bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
                self.stream.write(f"\r{self.label} [{bar}] {self.n}/{self.total} {rate:5.1f}/s")
            else:
                self.stream.write(f"\r{self.label} {self.n} {rate:5.1f}/s")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
