"""Where numba keeps its compiled kernels: a writable directory, always.

The kernels are compiled with ``cache=True``. numba looks for a cache directory in turn:
$NUMBA_CACHE_DIR, the ``__pycache__`` beside the source, then ``~/.cache/numba``; if none
is writable it refuses to even define the function ("cannot cache function ..."), which
is what a station installed read-only in /opt/station and run by a system user without a
home directory would hit. :func:`ensure_writable_cache` runs before numba is imported
(from ``station/__init__.py``) and, when numba would find nothing writable (or the
$NUMBA_CACHE_DIR given is not writable), points $NUMBA_CACHE_DIR at the first writable
fallback with one warning on stderr.

numba keys a cached kernel on its own source file only (numba issue #1833, documented in its
"Cache Notes"): a kernel that calls, and so inlines, a kernel of another file keeps running
the old code after that other file changes. A station updated in place (a new
station/fit/_kernels_geometry.py beside an unchanged _kernels_lm.py) would silently fit with
a mix of versions. :func:`drop_stale_kernels`, also run before numba is imported, removes the
station's cached kernels wherever numba keeps them when the kernel sources (every file of the
kernel directories that caches a kernel) differ from those the cache was written from, a
stamp kept beside it.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from station import fileio   # (standard library only: safe before numba)

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


STAMP_NAME = "station-kernels.sha256"


def kernel_sources(package_dir: Path = _PACKAGE_DIR) -> list[tuple[str, Path, bytes]]:
    """(kernel directory, file, content) of every kernel directory's files that cache a numba
    kernel, in a fixed order (directory, then file name)."""
    out = []
    for d in _KERNEL_DIRS:
        for p in sorted((package_dir / d).glob("*.py")):
            data = p.read_bytes()
            if b"cache=True" in data:
                out.append((d, p, data))
    return out


def kernel_fingerprint(package_dir: Path = _PACKAGE_DIR) -> str:
    """Hash of every kernel directory's files that cache a numba kernel (name and content)."""
    h = hashlib.sha256()
    for _, p, data in kernel_sources(package_dir):
        h.update(p.name.encode() + b"\0" + data)
    return h.hexdigest()


def kernel_cache_dirs(package_dir: Path = _PACKAGE_DIR) -> list[Path]:
    """Where numba may keep the kernel directories' cached kernels: beside the source
    (__pycache__), and under $NUMBA_CACHE_DIR and the user-wide cache in numba's own
    per-directory layout (numba.core.caching's get_suitable_cache_subpath)."""
    roots = [r for r in (os.environ.get("NUMBA_CACHE_DIR", "").strip(), str(_user_wide_dir())) if r]
    out = []
    for d in _KERNEL_DIRS:
        src = os.path.abspath(package_dir / d)
        out.append(Path(src) / "__pycache__")
        sub = f"{d}_{hashlib.sha1(src.encode()).hexdigest()}"
        out += [Path(r) / sub for r in roots]
    return out


def drop_stale_kernels(cache_dirs: list[Path] | None = None, fingerprint: str | None = None) -> int:
    """Remove the cached kernels (*.nbi, *.nbc) of every cache directory whose stamp is not
    the kernel sources' fingerprint, and stamp it (made when missing under an existing root:
    numba then fills it from these sources). Returns the files removed. A directory that
    cannot be written is left alone (ensure_writable_cache has sent numba elsewhere)."""
    fingerprint = fingerprint or kernel_fingerprint()
    dropped = 0
    for cache in kernel_cache_dirs() if cache_dirs is None else cache_dirs:
        stamp = cache / STAMP_NAME
        try:
            if stamp.read_text().strip() == fingerprint:
                continue
        except OSError:
            pass
        if not cache.is_dir() and not cache.parent.is_dir():
            continue       # that cache root is not in use: nothing to stamp
        try:
            cache.mkdir(exist_ok=True)
            for f in sorted(cache.glob("*.nb[ic]")):
                f.unlink()
                dropped += 1
            fileio.write_text(stamp, fingerprint + "\n")
        except (OSError, fileio.FileWriteError):
            continue
    return dropped
