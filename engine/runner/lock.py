"""lock: one run at a time writes to an output folder.

The lock is an OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows)
on ``<output>/.evalrun.lock``. The OS drops it when the process ends, even
when killed, so a lock left by a crashed run is simply taken over; the file
itself only tells a waiting user who holds it.

The lock file is opened without following a link (``O_NOFOLLOW``), inside
a folder the workspace guard has checked: a lock that is a link is refused
with a message naming it, and the file it points to is never touched. A
disk too full to record the holder is an error, and leaves no lock file.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

from engine.errors import EvalrunError, Source, WorkspaceBusy
from engine.i18n import tr
from engine.files.paths import O_NOFOLLOW, cannot_write, guard_dir, guard_path

LOCK_NAME = ".evalrun.lock"

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _OFFSET = 1 << 20  # lock a byte past the holder's note, so others can still read it

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, _OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, _OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class RunLock:
    """``with RunLock(folder):`` holds the folder's lock or raises WorkspaceBusy."""

    def __init__(self, folder: Path, shown: str | None = None, root: Path | None = None,
                 label: str = "the workspace"):
        self.folder = folder
        self.root = root if root is not None else folder  # no link on the way may leave it
        self.label = label
        self.shown = shown or str(folder)
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> "RunLock":
        try:
            self.path = guard_dir(self.root, self.folder, "write", self.label) / LOCK_NAME
        except OSError as exc:
            raise cannot_write(self.shown, exc) from None
        guard_path(self.root, self.path, "write", self.label)  # a link leaving the workspace: named with its target
        for _ in range(10):  # retries only when another run removed the file under us
            if os.path.islink(self.path):  # O_NOFOLLOW refuses it too, where the system has it
                raise self._link_error()
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | O_NOFOLLOW, 0o644)
            except OSError as exc:
                if os.path.islink(self.path):
                    raise self._link_error() from None
                raise cannot_write(self.shown, exc) from None
            if not _try_lock(fd):
                holder = _read(fd)
                os.close(fd)
                raise WorkspaceBusy(self._busy_message(holder))
            if _same_file(fd, self.path):
                try:
                    _write(fd, _holder())
                except OSError as exc:  # a full disk: no lock file is left behind
                    _remove(self.path)
                    _unlock(fd)
                    os.close(fd)
                    raise cannot_write(self.shown, exc) from None
                self._fd = fd
                return self
            _unlock(fd)
            os.close(fd)
        raise WorkspaceBusy(self._busy_message({}))

    def _link_error(self) -> EvalrunError:
        try:
            target = os.readlink(self.path)
        except OSError:
            target = "?"
        return EvalrunError(tr("lock.is_link", name=LOCK_NAME, target=target), Source(f"{self.shown}/{LOCK_NAME}"))

    def __exit__(self, *exc) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if os.name == "nt":  # pragma: no cover - an open file cannot be removed on Windows
            os.ftruncate(fd, 0)
            _unlock(fd)
            os.close(fd)
            _remove(self.path)
        else:  # remove while still locked, so no one can lock a file that is no longer there
            _remove(self.path)
            _unlock(fd)
            os.close(fd)

    def _busy_message(self, holder: dict) -> str:
        who = ", ".join(f"{k} {holder[k]}" for k in ("pid", "host", "started", "command") if holder.get(k))
        return tr("lock.busy", folder=self.shown, who=who or tr("lock.holder_unknown"))


def _holder() -> dict:
    return {
        "pid": os.getpid(), "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(["evalrun", *sys.argv[1:]]),
    }


def _write(fd: int, info: dict) -> None:
    data = json.dumps(info, ensure_ascii=False).encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


def _read(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return {}


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
