"""reading: the files users give evalrun, opened without waiting and refused unless plain files; a YAML file within
the size limit, never through a link out of the workspace; why the system refused one, in the user's language."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from engine.errors import EvalrunError, Source
from engine.files.paths import O_BINARY, O_NOFOLLOW
from engine.i18n import tr

MAX_FILE_BYTES = 5 * 1024 * 1024


def os_reason(exc: OSError) -> str:
    """Why the system refused a file, in the user's language where evalrun knows the reason, else the system's."""
    number = exc.errno
    if number == errno.ENOENT:
        return tr("load.os.missing")
    if number == errno.ELOOP:
        return tr("load.os.loop")
    if number in (errno.EACCES, errno.EPERM):
        return tr("load.os.denied")
    if number == errno.EISDIR:
        return tr("load.os.folder")
    return exc.strerror or str(exc)


def read_file(path: Path, name: str) -> bytes:
    """The bytes of a YAML file, refusing one larger than the limit, or one that is not a plain file."""
    try:
        handle = os.open(path, _OPEN)  # without waiting: a FIFO would hold the run (refused below)
    except OSError as exc:
        raise EvalrunError(tr("load.cannot_read_file", detail=os_reason(exc)), Source(name)) from None
    return _read_and_close(handle, name)


_OPEN = os.O_RDONLY | O_BINARY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_A_LINK = {errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP)}  # O_NOFOLLOW met a link (EMLINK: the BSDs)


def read_guarded(guard, path: Path, name: str) -> bytes:
    """``read_file(guard(path), name)`` for a run's project file (``guard``: the run's FolderGuard), in one
    open relative to its folder, opened link by link once (FolderGuard.folder_fd): the file is opened without
    following a link, so a file that is no link (nearly all) needs no check of its own, and neither the file
    nor its folder replaced by a link after the check can be read through. A link goes the guarded way
    (where it leads decides)."""
    descriptor = guard.folder_fd(path)  # the folder itself pinned: a name swapped for a link later is not followed
    if descriptor is None:  # no such walk here (Windows), or it met a link: the path checked afresh, then read
        return read_file(guard.afresh(path), name)
    try:
        handle = os.open(path.name, _OPEN | O_NOFOLLOW, dir_fd=descriptor)
    except OSError as exc:
        if exc.errno in _A_LINK:
            return read_file(guard(path), name)
        raise EvalrunError(tr("load.cannot_read_file", detail=os_reason(exc)), Source(name)) from None
    return _read_and_close(handle, name)


def open_plain(path: Path):
    """``open(path, "rb")`` for a file a user gave, refusing what is not a plain file (a FIFO would hold the run
    until something wrote to it) with an OSError whose ``strerror`` says what it is, in the user's language."""
    handle = os.open(path, _OPEN)
    try:
        refused = _not_a_file(os.fstat(handle).st_mode)
        if refused:
            raise OSError(errno.EINVAL, refused)
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def kind_of(mode: int) -> str:
    """'' for a plain file, else what it is, in the user's language (a folder, a pipe, a device or socket)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return tr("load.kind.folder")
    return tr("load.kind.pipe") if stat.S_ISFIFO(mode) else tr("load.kind.other")


def _not_a_file(mode: int) -> str:
    """'' for a plain file, else the message saying what it is."""
    kind = kind_of(mode)
    return tr("load.not_a_file", kind=kind) if kind else ""


def _read_and_close(handle: int, name: str) -> bytes:
    """The bytes of the open file ``handle``, which is then closed: at most the limit, even if the file grew
    since its size was read."""
    try:
        status = os.fstat(handle)
        refused = _not_a_file(status.st_mode)
        if refused:
            raise EvalrunError(refused, Source(name))
        if status.st_size > MAX_FILE_BYTES:
            raise EvalrunError(
                tr("load.file_too_big", size=f"{status.st_size / 1024 / 1024:.1f}",
                   limit=MAX_FILE_BYTES // 1024 // 1024),
                Source(name),
            )
        parts, got, want = [], 0, status.st_size + 1  # a byte past the size: a file that grew since is seen
        while got < MAX_FILE_BYTES + 1:
            chunk = os.read(handle, (want if got < want else MAX_FILE_BYTES + 1) - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise EvalrunError(tr("load.cannot_read_file", detail=os_reason(exc)), Source(name)) from None
    finally:
        os.close(handle)
    raw = b"".join(parts)  # one part: that part itself
    if len(raw) > MAX_FILE_BYTES:
        raise EvalrunError(tr("load.file_larger", limit=MAX_FILE_BYTES // 1024 // 1024), Source(name))
    return raw
