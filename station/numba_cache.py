"""Where numba keeps its compiled kernels: a writable directory, always.

The kernels are compiled with ``cache=True``. numba looks for a cache directory in turn:
$NUMBA_CACHE_DIR, the ``__pycache__`` beside the source, then ``~/.cache/numba``; if none
is writable it refuses to even define the function ("cannot cache function ..."), which
is what a station installed read-only in /opt/station and run by a system user without a
home directory would hit. :func:`ensure_writable_cache` runs before numba is imported
(from ``station/__init__.py``) and, when numba would find nothing writable (or the
$NUMBA_CACHE_DIR given is not writable), points $NUMBA_CACHE_DIR at the first writable
fallback with one warning on stderr.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# the subpackages holding cache=True kernels (their __pycache__ is numba's in-tree cache)
_KERNEL_DIRS = ("fit", "segment", "sim")


def writable_dir(path: str | Path) -> bool:
    """Whether files can be created in `path` (made if missing), as numba itself checks."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _user_wide_dir() -> Path:
    # numba's appdirs: $XDG_CACHE_HOME or ~/.cache, then "numba"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "numba"


def _fallbacks() -> list[Path]:
    out = []
    if os.environ.get("CACHE_DIRECTORY"):   # systemd's CacheDirectory=
        out.append(Path(os.environ["CACHE_DIRECTORY"].split(":")[0]) / "numba")
    out.append(Path("/var/cache/station/numba"))
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    out.append(Path(tempfile.gettempdir()) / f"station-numba-{uid}")
    return out


def ensure_writable_cache(stream=None) -> str | None:
    """Make sure numba will find a writable cache. Returns the directory chosen when
    $NUMBA_CACHE_DIR had to be set (a warning was printed), else None."""
    given = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    if given:
        if writable_dir(given):
            return None
        problem = f"NUMBA_CACHE_DIR={given} is not writable"
    else:
        if all(writable_dir(_PACKAGE_DIR / d / "__pycache__") for d in _KERNEL_DIRS):
            return None
        if writable_dir(_user_wide_dir()):
            return None
        problem = (f"neither {_PACKAGE_DIR}/*/__pycache__ nor {_user_wide_dir()} is writable "
                   "(numba's cache for the compiled kernels)")
    for d in _fallbacks():
        if writable_dir(d):
            os.environ["NUMBA_CACHE_DIR"] = str(d)
            numba_config = sys.modules.get("numba.core.config")
            if numba_config is not None:   # numba already imported: tell it too
                numba_config.CACHE_DIR = str(d)
            print(f"station: warning: {problem}; caching compiled kernels in {d} instead",
                  file=stream or sys.stderr)
            return str(d)
    print(f"station: warning: {problem}, and no fallback directory is writable; the kernels "
          "cannot be cached", file=stream or sys.stderr)
    return None
