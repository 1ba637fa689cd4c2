"""Check that every dependency of the station has a binary wheel for the Pi's Python.

The Pi (Raspberry Pi OS Bookworm, 64-bit: aarch64, glibc 2.36) runs the station on the
Python that hardware/provision.sh installs: a uv-managed CPython 3.12, because pyrealsense2
publishes aarch64 wheels only for CPython 3.9, 3.10 and 3.12 (none for Bookworm's own 3.11).
This resolves the project's dependencies (pyproject.toml) for that platform with

    pip download --platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.12 ...

(nothing is built from source), prints each wheel with its tags, and exits non-zero if any
requirement has no wheel. `--python-version 3.11` shows why 3.11 is not used.

    python scripts/check_aarch64_wheels.py [--python-version 3.12] [--keep DIR]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
# manylinux2014 (glibc 2.17) and the newer tags a Bookworm glibc (2.36) also runs
PLATFORMS = ["manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64",
             "manylinux_2_35_aarch64", "manylinux_2_36_aarch64"]


def requirements(extras: list[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for e in extras:
        reqs += project.get("optional-dependencies", {}).get(e, [])
    return reqs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python-version", default="3.12")
    ap.add_argument("--extras", nargs="*", default=[], help="optional dependency groups too (e.g. test)")
    ap.add_argument("--keep", metavar="DIR", help="keep the downloaded wheels here")
    args = ap.parse_args()
    reqs = requirements(args.extras)
    dest = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="aarch64-wheels-"))
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--only-binary=:all:", "--python-version", args.python_version, "--implementation", "cp",
           "--dest", str(dest)]
    for p in PLATFORMS:
        cmd += ["--platform", p]
    cmd += reqs
    print(f"requirements ({len(reqs)}): {', '.join(reqs)}")
    print(f"target: CPython {args.python_version}, {', '.join(PLATFORMS)}")
    print("$ " + " ".join(cmd[2:6]) + " ... " + " ".join(f"'{r}'" for r in reqs))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    for w in wheels:
        m = re.match(r"(?P<name>[^-]+)-(?P<ver>[^-]+)-(?:\d[^-]*-)?(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>.+)\.whl", w.name)
        if m:
            print(f"  {m['name']:<22} {m['ver']:<12} {m['py']:<8} {m['abi']:<8} {m['plat']}")
        else:
            print(f"  {w.name}")
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "WARNING" not in ln]
        print(f"FAIL: no complete set of aarch64 wheels for CPython {args.python_version}:")
        for ln in lines[-6:]:
            print(f"  {ln}")
        return 1
    native = [w.name for w in wheels if not w.name.endswith("-none-any.whl")]
    print(f"OK: {len(wheels)} wheels ({len(native)} with compiled code), all binary, for CPython "
          f"{args.python_version} on aarch64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
