"""systemd's notify protocol: READY=1, STATUS=... and the watchdog's WATCHDOG=1 pings.

Used by the live station (station.live) under systemd/station.service (Type=notify,
WatchdogSec); outside systemd (no $NOTIFY_SOCKET, no $WATCHDOG_USEC) every call is a no-op.

Public API::

    sd_notify(message) -> bool
    Watchdog(clock=time.monotonic): .ready(status), .maybe_ping(healthy) -> bool
"""
from __future__ import annotations

import logging
import math
import os
import socket
import time
from typing import Callable

log = logging.getLogger(__name__)


def sd_notify(message: str) -> bool:
    """Send a message ("READY=1", "WATCHDOG=1", "STATUS=...") to systemd's $NOTIFY_SOCKET.

    The sd_notify protocol: one datagram on an AF_UNIX socket; a leading '@' means the
    abstract namespace. Returns False when not run by systemd (no socket) or on failure.
    """
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(addr)
            s.sendall(message.encode("utf-8"))
        return True
    except OSError as e:
        log.debug("sd_notify %r failed: %s", message, e)
        return False


class Watchdog:
    """Pings systemd's watchdog at half of $WATCHDOG_USEC (no-op when not configured)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        usec = os.environ.get("WATCHDOG_USEC", "")
        self.interval_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._clock = clock
        self._last = -math.inf
        self.pings = 0

    def ready(self, status: str = "running") -> None:
        sd_notify(f"READY=1\nSTATUS={status}")

    def maybe_ping(self, healthy: bool = True) -> bool:
        if self.interval_s is None or not healthy:
            return False
        now = self._clock()
        if now - self._last < self.interval_s:
            return False
        self._last = now
        self.pings += 1
        return sd_notify("WATCHDOG=1")
