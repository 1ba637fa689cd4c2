"""The RealSense SDK's own usage report, kept off the station's disks.

pyrealsense2 (2.59 and later, built with ``ENABLE_STATS``, as the PyPI wheels are) keeps
"Real User Monitoring" statistics and writes them, each time an ``rs.context`` closes, to
``$HOME/.rum/rum.json`` (``rs.rum.get_report_path()``): a random installation id and a
per-run session id, the OS and CPU architecture, the camera model and firmware, the stream
modes opened and how long they ran, options set and filters used. Nothing about people, but
the station promises staff that it stores nothing beyond its usage log and what they record.

What the SDK offers (librealsense doc/rum.md, src/rum/): ``RS2_RUM_CLOUD_ENABLED=0`` is the
documented kill switch for *uploading* the report (the SDK never uploads by itself; the
RealSense Viewer does, with consent). There is no switch for the local file: the collector
writes it whenever a context closes. So:

- ``RS2_RUM_CLOUD_ENABLED=0`` is set for this process before the SDK is used (and in the
  systemd units), so no tool can ever upload a report from a station;
- the service unit mounts an empty, read-only tmpfs over the service user's ``~/.rum``
  (systemd/station.service), so the report is never written to the station's disk;
- a station command run by hand (``station record``, ``analyze``, ``demo`` ...) removes, when
  it exits, the report the SDK wrote into that user's home during the run, unless a report
  was there before it started (another RealSense program's; left alone). A run that is
  killed leaves it behind; docs/privacy.md tells staff where it is.

Imported by this package before any other module of it touches the SDK.
"""
from __future__ import annotations

import atexit
import gc
import logging
import os
from pathlib import Path

CLOUD_SWITCH = "RS2_RUM_CLOUD_ENABLED"

# never upload: set before the SDK reads it (it reads it on every consent check)
os.environ[CLOUD_SWITCH] = "0"

import pyrealsense2 as rs  # noqa: E402  (after the switch above)

log = logging.getLogger(__name__)


def report_path() -> Path:
    """Where the SDK writes its usage report for this process (``$HOME/.rum/rum.json``)."""
    return Path(rs.rum.get_report_path())


def remove_report(path: Path) -> bool:
    """Remove the SDK's report at `path` and its folder if that is then empty; True if a
    report was removed."""
    removed = False
    try:
        path.unlink()
        removed = True
    except FileNotFoundError:
        pass
    except OSError as e:
        log.warning("cannot remove the RealSense SDK's usage report %s: %s", path, e)
    try:
        path.parent.rmdir()
    except OSError:
        pass       # not there, or holds something not ours
    return removed


def _at_exit(path: Path) -> None:
    # contexts still alive (garbage not yet collected) would write the report again as they
    # close: close them first, then remove what they wrote
    gc.collect()
    remove_report(path)
    # a context that outlives this (a module global torn down later) finds no home to write
    # into: the process is ending, nothing else here needs HOME
    os.environ["HOME"] = str(path.parent / "station-exited")


_REPORT = report_path()
if not _REPORT.exists():
    atexit.register(_at_exit, _REPORT)
