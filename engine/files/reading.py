"""reading: a YAML file's bytes, within the size limit, never through a link out of the workspace."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from engine.errors import EvalrunError, Source
from engine.files.paths import O_BINARY, O_NOFOLLOW
from engine.i18n import tr

MAX_FILE_BYTES = 5 * 1024 * 1024


def read_file(path: Path, name: str) -> bytes:
    """The bytes of a YAML file, refusing one larger than the limit."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise EvalrunError(tr("load.cannot_read_file", detail=exc.strerror), Source(name)) from None
    _check_size(size, name)
    with path.open("rb") as handle:  # read at most the limit, even if the file grew since stat
        raw = handle.read(size + 1)  # not read(limit): that sets aside the limit's 5 MB for every file (40 us)
        if len(raw) > size:  # it grew
            raw += handle.read(MAX_FILE_BYTES + 1 - len(raw))
    if len(raw) > MAX_FILE_BYTES:
        raise EvalrunError(tr("load.file_larger", limit=MAX_FILE_BYTES // 1024 // 1024), Source(name))
    return raw


_OPEN_PLAIN = os.O_RDONLY | O_NOFOLLOW | O_BINARY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_A_LINK = {errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP)}  # O_NOFOLLOW met a link (EMLINK: the BSDs)


def read_guarded(guard, path: Path, name: str) -> bytes:
    """``read_file(guard(path), name)`` for a run's project file (``guard``: the run's FolderGuard), in one
    open: the file is opened without following a link, so a file that is no link (nearly all) needs no check
    of its own, and one replaced by a link after the check cannot be read through it. A link, or anything
    that is not a plain file (a FIFO would hold the run: opened without waiting), goes the guarded way."""
    folder = guard.folder(path) if O_NOFOLLOW else None
    if folder is None:
        return read_file(guard(path), name)
    try:
        handle = os.open(os.path.join(folder, path.name), _OPEN_PLAIN)
    except OSError as exc:
        if exc.errno in _A_LINK:
            return read_file(guard(path), name)  # where the link leads decides
        raise EvalrunError(tr("load.cannot_read_file", detail=exc.strerror), Source(name)) from None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            return read_file(guard(path), name)
        _check_size(status.st_size, name)
        parts, got, want = [], 0, status.st_size + 1  # a byte past the size: a file that grew since is seen
        while got < MAX_FILE_BYTES + 1:
            chunk = os.read(handle, (want if got < want else MAX_FILE_BYTES + 1) - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise EvalrunError(tr("load.cannot_read_file", detail=exc.strerror), Source(name)) from None
    finally:
        os.close(handle)
    raw = b"".join(parts)  # one part: that part itself
    if len(raw) > MAX_FILE_BYTES:
        raise EvalrunError(tr("load.file_larger", limit=MAX_FILE_BYTES // 1024 // 1024), Source(name))
    return raw


def _check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise EvalrunError(
            tr("load.file_too_big", size=f"{size / 1024 / 1024:.1f}", limit=MAX_FILE_BYTES // 1024 // 1024),
            Source(name),
        )
