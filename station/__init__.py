"""Mirror station: a gym mirror that coaches the hip hinge from a RealSense depth camera."""

__version__ = "0.1.0"

# Before anything imports numba: its kernel cache must be writable, and hold no kernel compiled
# from other kernel sources than these (station/numba_cache.py).
from station.numba_cache import drop_stale_kernels as _drop_stale_kernels  # noqa: E402
from station.numba_cache import ensure_writable_cache as _ensure_writable_cache  # noqa: E402

_ensure_writable_cache()
_drop_stale_kernels()
