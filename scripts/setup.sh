#!/usr/bin/env bash
# Set up the mirror station in ./.venv: the system library pyrealsense2 needs, then the
# package with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# pyrealsense2's wheel links against libusb-1.0 (Debian/Ubuntu/Raspberry Pi OS: libusb-1.0-0).
if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1\.0\.so\.0'; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        echo "setup: installing libusb-1.0-0 (needed by pyrealsense2)"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libusb-1.0-0
    else
        echo "setup: please install libusb-1.0 with your system's package manager" >&2
        exit 1
    fi
fi

# pyrealsense2 ships binary wheels only: x86_64 for CPython 3.10-3.12 (and more), aarch64
# (Raspberry Pi OS 64-bit) only for CPython 3.9, 3.10 and 3.12: NOT for Bookworm's own 3.11.
# On a Pi use hardware/provision.sh, which installs a uv-managed CPython 3.12
# (scripts/check_aarch64_wheels.py checks every dependency has an aarch64 wheel).
# Spoken cues: phrases are synthesised offline with espeak-ng (Debian/Raspberry Pi OS package)
# and cached as WAV; without it the station still runs, silently.
if ! command -v espeak-ng >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        echo "setup: installing espeak-ng (speech synthesis for the spoken cues)"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng
    else
        echo "setup: espeak-ng not found: install it for spoken cues (the station runs silently without)" >&2
    fi
fi

"$PYTHON" - <<'PY'
import platform
import sys

v = sys.version_info[:2]
machine = platform.machine().lower()
ver = sys.version.split()[0]
if machine in ("aarch64", "arm64"):
    if v not in ((3, 10), (3, 12)):
        sys.exit(f"setup: pyrealsense2 has aarch64 wheels only for CPython 3.10 and 3.12 (this "
                 f"project needs >= 3.10); this is {ver}. On a Raspberry Pi run "
                 f"`sudo bash hardware/provision.sh install`, which installs CPython 3.12, or "
                 f"give one: PYTHON=/path/to/python3.12 bash scripts/setup.sh")
elif not ((3, 10) <= v <= (3, 12)):
    sys.exit(f"setup: Python 3.10-3.12 is required (pyrealsense2 wheels); this is {ver}")
PY

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# SETUP_EXTRAS="" installs the station without the test tools (hardware/provision.sh does).
EXTRAS=${SETUP_EXTRAS-test}
.venv/bin/python -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}"
# Synthesise the cue phrases now (else the station does it in the background on first use).
if command -v espeak-ng >/dev/null 2>&1; then
    .venv/bin/station audio prepare || echo "setup: could not prepare the spoken cues (the station will retry)" >&2
fi
echo "setup: ready (.venv)"
