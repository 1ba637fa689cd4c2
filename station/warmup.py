"""`station warm-up`: compile the station's numba kernels into its cache before anyone steps up.

The kernels are compiled with ``cache=True`` the first time they run. Compiling all of them
takes about a minute and a half of CPU on this project's x86 machine, longer on a Raspberry
Pi 5, so without a warm cache the first lifter after an install, an update or a rollback stands
in front of a mirror that does not track them for that long. ``hardware/provision.sh`` runs
this command as the service's user, with the service's ``NUMBA_CACHE_DIR``, before it starts a
release.

It runs the built-in synthetic visit (walk in, a set, walk out) unpaced through the same runtime
as ``station demo --headless``: pyrealsense2's software device, the pipeline, the evaluator and
the overlay, drawn offscreen at a small size, and nothing written but the kernels. Then it
lists the station's kernels that the visit did not compile: those compile when first used.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field

from station.numba_cache import kernel_sources

WARM_SCENARIO = "session_walk_in_out"
SCREEN_PX = (270, 480)      # small: the overlay's code paths, not its pixels, are what is warmed


@dataclass
class WarmUpReport:
    """What a warm-up compiled (or found in the cache): kernel names as module.function."""

    seconds: float
    frames: int
    compiled: list[str] = field(default_factory=list)
    not_compiled: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = (f"station warm-up: {len(self.compiled)} of {len(self.compiled) + len(self.not_compiled)} "
                f"kernels compiled or loaded from the cache in {self.seconds:.0f} s ({self.frames} frames)")
        if self.not_compiled:
            line += "; not used by the visit (compiled when first needed): " + ", ".join(self.not_compiled)
        return line


def station_kernels() -> dict[str, object]:
    """Every numba dispatcher defined in the modules that cache kernels
    (station.numba_cache.kernel_sources), by module.function."""
    from numba.core.registry import CPUDispatcher

    found: dict[str, object] = {}
    for folder, path, _ in kernel_sources():
        mod = importlib.import_module(f"station.{folder}.{path.stem}")
        for name, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == mod.__name__:
                found[f"{mod.__name__}.{name}"] = obj
    return found


def warm_up(scenario: str = WARM_SCENARIO, cfg=None, seconds: float | None = None) -> WarmUpReport:
    """Run the synthetic visit (its first `seconds`, default all) through the station, unpaced
    and headless; report the kernels."""
    from station.demo import run_demo

    t0 = time.monotonic()
    stats = run_demo(scenario, headless=True, cfg=cfg, size_px=SCREEN_PX, real_time=False, quiet=True,
                     seconds=seconds, tail_s=0.0, contact_sheet=False, audio=False)
    elapsed_s = time.monotonic() - t0
    if stats.worker_error:
        raise RuntimeError(f"the pipeline stopped during the warm-up: {stats.worker_error}")
    kernels = station_kernels()
    done = sorted(n for n, d in kernels.items() if d.signatures)
    return WarmUpReport(seconds=elapsed_s, frames=stats.ticks_made, compiled=done,
                        not_compiled=sorted(set(kernels) - set(done)))
