"""Writing whole files: never in place, never half, never over the wrong file.

Every file the station writes whole (analysis output, recordings, ground truth, and any
other document) goes through this module:

- :func:`check_output` runs *before* the work: the directory exists and takes a file, the
  target is not a directory, not one of the inputs, and not an existing file unless
  overwriting is allowed; optionally that enough space is free.
- :class:`StagedFile` gives a temporary path beside the target (same directory, so the
  final rename cannot cross file systems). The caller (or a library such as the RealSense
  recorder) writes it; :meth:`StagedFile.commit` fsyncs it, renames it over the target with
  ``os.replace`` (atomic) and fsyncs the directory. Until then the old file is untouched;
  leaving the ``with`` block without committing deletes the temporary file.
- :func:`write_bytes` / :func:`write_text` / :func:`write_json` do all of that for data in
  memory. A short write (disk full, I/O error) raises :class:`FileWriteError` naming the
  file; the old file stays as it was.

Temporary files are hidden and named ``.<stem>.partial-<pid>-<random><suffix>`` (the suffix
is kept because the RealSense recorder insists on ``.db3``), so a process killed mid-write
leaves at most a hidden partial file that never passes for the real one; the next write of
the same target removes partial files whose process is gone.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Iterable

__all__ = ["FileWriteError", "OutputError", "check_output", "StagedFile", "write_bytes",
           "write_text", "write_json", "fsync_dir", "partial_files"]


class OutputError(Exception):
    """An output path that cannot or must not be written (checked before the work starts)."""


class FileWriteError(Exception):
    """Writing a file failed part way (disk full, I/O error); the previous file is intact."""


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def fsync_dir(directory: str | Path) -> None:
    """Make a rename in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(str(directory), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:  # some file systems refuse fsync on a directory
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file; for a path not (yet) there, compared as resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        try:
            return Path(a).resolve() == Path(b).resolve()
        except OSError:          # e.g. a symlink loop: compare as written
            return os.path.abspath(a) == os.path.abspath(b)


def check_output(path: str | Path, *, inputs: Iterable[str | Path] = (), overwrite: bool = True,
                 exists_hint: str = "", need_bytes: int | None = None) -> Path:
    """Refuse, before any work, an output that cannot or must not be written.

    Raises :class:`OutputError` naming the path when: it is a directory or a symlink loop;
    its directory is missing, not a directory or not writable (a read-only mount is found
    by creating and deleting a probe file, since root ignores permission bits); it is one
    of `inputs`; it exists and `overwrite` is False (`exists_hint` is appended, e.g. "use
    --force"); or fewer than `need_bytes` are free on its file system.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"{path}: cannot write here: {_reason(e)}") from None
    if st is not None and os.path.isdir(path):
        raise OutputError(f"{path}: is a directory; give a file name")
    if os.path.islink(path) and st is None:
        raise OutputError(f"{path}: is a dangling symbolic link; remove it or choose another name")
    for inp in inputs:
        if same_file(path, Path(inp)):
            raise OutputError(f"{path}: is the input {inp}; choose another output file")
    if st is not None and not overwrite:
        raise OutputError(f"{path}: already exists" + (f"; {exists_hint}" if exists_hint else ""))
    parent = path.parent
    if not parent.exists():
        raise OutputError(f"{path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a directory")
    probe = parent / f".{path.name}.probe-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{path}: cannot write to the directory {parent}: {_reason(e)}") from None
    if need_bytes is not None:
        free = shutil.disk_usage(parent).free
        if free < need_bytes:
            raise OutputError(f"{path}: needs about {need_bytes / 1e6:.1f} MB but only "
                              f"{free / 1e6:.1f} MB are free in {parent}")
    return path


def partial_files(target: str | Path) -> list[Path]:
    """Partial files of `target` left beside it (by any process), with SQLite side files."""
    target = Path(target)
    return sorted(target.parent.glob(f".{target.stem}.partial-*{target.suffix}*"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale_partials(target: Path) -> None:
    """Delete partial files of `target` whose writing process is gone (killed mid-write)."""
    prefix = f".{target.stem}.partial-"
    for p in partial_files(target):
        try:
            pid = int(p.name[len(prefix):].split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            try:
                p.unlink()
            except OSError:
                pass


class StagedFile:
    """A temporary file beside `target` that replaces it only on :meth:`commit`.

    ``with StagedFile(target) as tmp: write tmp ...; staged.commit()``. ``tmp`` (also
    :attr:`tmp_path`) does not exist yet; whoever writes it creates it. Leaving the block
    without a commit (an exception, a failed check) deletes the temporary file and its
    SQLite side files; the target is never touched. A target that already exists keeps
    its permission bits.
    """

    def __init__(self, target: str | Path):
        self.target = Path(target)
        _sweep_stale_partials(self.target)
        self.tmp_path = self.target.with_name(
            f".{self.target.stem}.partial-{os.getpid()}-{secrets.token_hex(4)}{self.target.suffix}")
        self.committed = False

    def __enter__(self) -> Path:
        return self.tmp_path

    def __exit__(self, *exc) -> None:
        if not self.committed:
            self.discard()

    def discard(self) -> None:
        for p in [self.tmp_path, *self.tmp_path.parent.glob(self.tmp_path.name + "-*")]:
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    def _failed(self, e: OSError) -> FileWriteError:
        """Discard the temporary file; the error to raise (the target is unchanged)."""
        self.discard()
        return FileWriteError(f"{self.target}: could not be written ({_reason(e)}); "
                              "the previous file, if any, is unchanged")

    def write(self, data: bytes) -> None:
        """Write `data` as the temporary file's whole content (not yet committed)."""
        try:
            fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        except OSError as e:
            raise self._failed(e) from None

    def commit(self) -> Path:
        """fsync the temporary file, rename it over the target, fsync the directory."""
        try:
            try:
                mode = os.stat(self.target).st_mode & 0o7777
            except FileNotFoundError:
                mode = None
            fd = os.open(self.tmp_path, os.O_RDONLY)
            try:
                os.fsync(fd)
                if mode is not None:
                    os.fchmod(fd, mode)
            finally:
                os.close(fd)
            os.replace(self.tmp_path, self.target)
        except OSError as e:
            raise self._failed(e) from None
        self.committed = True
        fsync_dir(self.target.parent)
        return self.target


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:  # a short write that did not raise: treat it as a full disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[n:]


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` as the whole new content of `path`, atomically (see module docs)."""
    staged = StagedFile(path)
    with staged:
        staged.write(data)
        return staged.commit()


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, doc: Any, **dumps_kw: Any) -> Path:
    return write_text(path, json.dumps(doc, **dumps_kw))
