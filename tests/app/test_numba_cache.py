"""A non-writable numba cache falls back to a writable directory with one warning.

Reproduced as on a station: the package installed read-only and a system user whose home
cannot be written. Each case runs in a private mount namespace (``unshare -m``), where the
package directory is bind-mounted read-only over itself, so nothing outside the test sees
the mounts. Skipped (this test only) where unshare or mount is not permitted.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import station

PACKAGE = Path(station.__file__).resolve().parent
PY = sys.executable

CHILD = textwrap.dedent("""
    import os, numpy as np
    import station.segment._kernels as k
    depth = np.full((8, 8), 1000, np.uint16)
    out = np.zeros((4, 4), np.float64)
    k.decimate_min_valid(depth, 0.001, 2, 1, out)      # compiled, then cached
    assert abs(out[0, 0] - 1.0) < 1e-9
    print("NUMBA_CACHE_DIR=" + os.environ.get("NUMBA_CACHE_DIR", ""))
""")


def _namespace_run(script: str, env: dict) -> subprocess.CompletedProcess:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"mount namespaces or mounts are not permitted here ({probe.stderr.decode().strip()})")
    return subprocess.run(["unshare", "-m", "bash", "-ec", script], capture_output=True, text=True,
                          env=env, timeout=300)


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE") and k != "XDG_CACHE_HOME"}
    env.update(HOME=str(tmp_path / "home"), CACHE_DIRECTORY=str(tmp_path / "systemd-cache"),
               PYTHONPATH=str(PACKAGE.parent), **extra)
    return env


def test_read_only_package_and_home_fall_back_with_one_warning(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "child.py").write_text(CHILD)
    script = f"""
        mount --bind {PACKAGE} {PACKAGE}; mount -o remount,bind,ro {PACKAGE}
        mount --bind {tmp_path}/home {tmp_path}/home; mount -o remount,bind,ro {tmp_path}/home
        {PY} {tmp_path}/child.py
    """
    r = _namespace_run(script, _env(tmp_path))
    assert r.returncode == 0, r.stderr
    fallback = tmp_path / "systemd-cache" / "numba"
    assert f"NUMBA_CACHE_DIR={fallback}" in r.stdout
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "is writable" in warnings[0] and str(fallback) in warnings[0], r.stderr
    assert "cannot cache function" not in r.stderr
    assert list(fallback.rglob("*decimate_min_valid*.nbi")), "the kernel was not cached in the fallback"


def test_a_read_only_numba_cache_dir_falls_back_with_one_warning(tmp_path):
    ro = tmp_path / "ro-cache"
    ro.mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "child.py").write_text(CHILD)
    script = f"""
        mount --bind {ro} {ro}; mount -o remount,bind,ro {ro}
        {PY} {tmp_path}/child.py
    """
    r = _namespace_run(script, _env(tmp_path, NUMBA_CACHE_DIR=str(ro)))
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and f"NUMBA_CACHE_DIR={ro} is not writable" in warnings[0], r.stderr
    assert f"NUMBA_CACHE_DIR={tmp_path / 'systemd-cache' / 'numba'}" in r.stdout


def test_stale_kernels_are_dropped_when_a_kernel_source_changes(tmp_path):
    # numba keys a cached kernel on its own file only: a kernel inlining one from another file
    # would keep the old code (numba#1833). Any kernel source change drops the caches.
    from station.numba_cache import STAMP_NAME, drop_stale_kernels, kernel_fingerprint

    pkg = tmp_path / "pkg"
    for d in ("fit", "segment", "sim"):
        (pkg / d).mkdir(parents=True)
    (pkg / "fit" / "_k.py").write_text("@nb.njit(cache=True)\ndef f(): return 1\n")
    (pkg / "fit" / "plain.py").write_text("x = 1\n")
    fp = kernel_fingerprint(pkg)
    (pkg / "fit" / "plain.py").write_text("x = 2\n")              # no kernel in it
    assert kernel_fingerprint(pkg) == fp
    (pkg / "fit" / "_k.py").write_text("@nb.njit(cache=True)\ndef f(): return 2\n")
    assert kernel_fingerprint(pkg) != fp

    stale, fresh, unstamped = tmp_path / "stale", tmp_path / "fresh", tmp_path / "unstamped"
    for d in (stale, fresh, unstamped):
        d.mkdir()
        for name in ("_k.f-2.py311.nbi", "_k.f-2.py311.1.nbc", "mod.cpython-311.pyc"):
            (d / name).write_bytes(b"x")
    (stale / STAMP_NAME).write_text("0" * 64 + "\n")
    (fresh / STAMP_NAME).write_text("ab" * 32 + "\n")
    new_dir, no_root = tmp_path / "new", tmp_path / "absent" / "fit_0"
    dropped = drop_stale_kernels([stale, fresh, unstamped, new_dir, no_root], "ab" * 32)
    assert dropped == 4                                            # stale's and unstamped's kernels
    for d in (stale, unstamped):
        assert sorted(p.name for p in d.iterdir()) == ["mod.cpython-311.pyc", STAMP_NAME]
        assert (d / STAMP_NAME).read_text().strip() == "ab" * 32
    assert len(list(fresh.glob("*.nb[ic]"))) == 2                 # stamped with these sources: kept
    assert (new_dir / STAMP_NAME).read_text().strip() == "ab" * 32  # made, for numba to fill
    assert not no_root.parent.exists()                             # a root not in use: untouched
    assert drop_stale_kernels([stale, fresh, unstamped, new_dir], "ab" * 32) == 0
