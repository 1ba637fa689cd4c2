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
import sys
if not ((3, 10) <= sys.version_info[:2] <= (3, 12)):
    sys.exit(f"setup: Python 3.10-3.12 is required (pyrealsense2 wheels); this is {sys.version.split()[0]}")
PY

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# Synthesise the cue phrases now (else the station does it in the background on first use).
if command -v espeak-ng >/dev/null 2>&1; then
    .venv/bin/station audio prepare || echo "setup: could not prepare the spoken cues (the station will retry)" >&2
fi
echo "setup: ready (.venv)"
