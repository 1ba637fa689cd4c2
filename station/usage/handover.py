"""A changed ``usage.log_path``: the next log waits here until the recorder can hand over.

The new file is opened as soon as the change is seen (a path that cannot be used is refused
with a message naming the key, and the current log stays in use); the recorder hands over at
the first moment no visit and no set is open, so a visit's presence, reps and sets stay in one
file; the old log is flushed and closed behind it in a thread, because flushing may wait on a
disk and the coaching must not.
"""
from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path

from station.fileio import same_file
from station.usage.store import UsageLog, UsageLogError

log = logging.getLogger(__name__)


class LogHandover:
    """The usage.log_path last configured, the log opened for it, and the old logs closing.

    Only a change of usage.log_path moves the log: a log opened elsewhere on purpose (the
    demo's --usage-log) stays where it is. The recorder holds its lock around every call
    except :meth:`open`, which may wait on a disk.
    """

    def __init__(self, configured_path: Path | None):
        self.configured_path = configured_path
        self.next_log: UsageLog | None = None
        self._closers: list[threading.Thread] = []

    def reconfigure(self, path: Path) -> tuple[bool, UsageLog | None]:
        """(changed, dropped): whether `path` is a new usage.log_path, and a next log that
        was still waiting and is now superseded (the caller closes it outside the lock)."""
        if self.configured_path is not None and same_file(path, self.configured_path):
            return False, None
        self.configured_path = path
        dropped, self.next_log = self.next_log, None
        return True, dropped

    @staticmethod
    def open(path: Path, cfg, current: Path) -> UsageLog | str:
        """The new log at `path`, or the message refusing it (naming the key and the log that
        stays)."""
        try:
            new = UsageLog(path, cfg.station.id, strictness=cfg.exercise.strictness)
        except UsageLogError as e:
            return (f"usage.log_path = {str(path)!r} refused: {e}. The usage log stays {current}; "
                    "fix the path (the station user must be able to create the file) and reload")
        atexit.register(new.close)       # a normal exit commits what is still queued
        return new

    def refused(self, path: Path) -> None:
        if self.configured_path == path:
            self.configured_path = None      # tried again at the next reload

    def offer(self, path: Path, new: UsageLog) -> bool:
        """Keep `new` for the hand-over unless another reload came meanwhile (False: close it)."""
        if self.configured_path != path:
            return False
        self.next_log = new
        return True

    def take(self) -> UsageLog | None:
        new, self.next_log = self.next_log, None
        return new

    def close_behind(self, old: UsageLog) -> None:
        th = threading.Thread(target=old.close, name="usage-log-close")
        th.start()
        self._closers.append(th)

    def close(self) -> tuple[list[UsageLog], list[threading.Thread]]:
        """What is left to close and join: the waiting log, the closing threads."""
        logs = [self.next_log] if self.next_log is not None else []
        closers, self._closers = self._closers, []
        return logs, closers
