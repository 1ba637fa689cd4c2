"""File-system helpers for the bad-input tests: hashes of a tree, and real mounts (tmpfs
with a size limit, read-only bind mounts). The tests run as root in CI, where chmod alone
stops no write; a mount that is not permitted skips only the test that needs it."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest


def tree_hashes(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under root (symlinks recorded by target)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
                continue
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            out[rel] = h.hexdigest()
    return out


class Mounts:
    """Mounts made by one test, unmounted (innermost first) at teardown."""

    def __init__(self):
        self.points: list[Path] = []

    def _mount(self, args: list[str], point: Path) -> None:
        r = subprocess.run(["mount", *args], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"mount {' '.join(args)} is not permitted here ({r.stderr.strip()}); "
                        "this row needs a real mount (CI runs as root)")
        self.points.append(point)

    def tmpfs(self, point: Path, size: str, ro: bool = False) -> Path:
        point.mkdir(parents=True, exist_ok=True)
        self._mount(["-t", "tmpfs", "-o", f"size={size}" + (",ro" if ro else ""), "tmpfs", str(point)], point)
        return point

    def read_only(self, point: Path) -> Path:
        """Make an existing directory (with its files) a read-only bind mount of itself."""
        self._mount(["--bind", str(point), str(point)], point)
        self._mount(["-o", "remount,bind,ro", str(point)], point)
        return point

    def unmount_all(self) -> None:
        for p in reversed(self.points):
            subprocess.run(["umount", "-l", str(p)], capture_output=True)
        self.points.clear()


@pytest.fixture
def mounts():
    m = Mounts()
    yield m
    m.unmount_all()
