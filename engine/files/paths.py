"""paths: the workspace guard, which every path evalrun reads or writes goes through.

The rule is one: a path may pass through links (symlinks, junctions) only
while they stay inside the workspace. A link that leaves it, anywhere on
the way (a department folder under ``projects/<year>/``, a template or a
template folder, a report folder under ``reports/out/``, the run lock), is
refused with a message naming the link and where it points. Files are
opened for writing without following a link at all (``O_NOFOLLOW``), and
new files are created exclusively, so a link planted between the check
and the write still cannot redirect it.

The root is the workspace, or a folder the user named on the command line
(``--output DIR``): that folder itself may be anywhere, but links inside it
may not lead out of it. The files that ship with evalrun (default templates,
schemas) are not user paths and are read without the guard.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

from engine.errors import EvalrunError, Source
from engine.i18n import tr

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # 0 on Windows: is_symlink is checked before opening instead
O_BINARY = getattr(os, "O_BINARY", 0)
# Errors of a disk that cannot take more data: full, over quota, read-only.
DISK_FULL = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG") if hasattr(errno, name)}
READ_ONLY = {errno.EROFS}


class LinkOutside(EvalrunError):
    """A link on the way to a path leads out of the workspace (or of the folder given on the command line)."""


def shown(path: Path, root: Path) -> str:
    """``path`` as the user knows it: relative to the root when inside it, with / separators."""
    for base in (Path(os.path.abspath(root)), Path(os.path.realpath(root))):
        try:
            return Path(os.path.abspath(path)).relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def words(key: str) -> str:
    """The words for a purpose ("read", "write") or a place ("the workspace", "the reports") in messages."""
    table = {
        "read": tr("paths.word.read"), "write": tr("paths.word.write"), "the workspace": tr("paths.word.workspace"),
        "the output folder": tr("paths.word.output_folder"), "the reports": tr("paths.word.reports"),
        "the forms": tr("paths.word.forms"), "the project files": tr("paths.word.project_files"),
        "the file": tr("paths.word.file"), "folder": tr("paths.word.folder_kind"), "file": tr("paths.word.file_kind"),
    }
    return table.get(key, key)


def guard_path(root: Path, path: Path, purpose: str = "read", label: str = "the workspace") -> Path:
    """The real path of ``path`` (inside ``root``), or LinkOutside naming the link that leaves ``root``.

    ``purpose`` is "read" or "write", and ``label`` what the root is ("the
    workspace", "the output folder"), for the message. A path that is not
    under ``root`` at all is refused too (evalrun builds every path from the
    root and plain names, so that would be a bug or a hostile name).
    """
    root_real = os.path.realpath(root)
    absolute = os.path.abspath(path)
    real = os.path.realpath(absolute)
    if _inside(real, root_real):
        return Path(real)
    relative = _relative(absolute, root)
    if relative is None:
        raise LinkOutside(tr("paths.outside", purpose=words(purpose), path=absolute, label=words(label), root=root),
                          Source(str(path)))
    current = root_real
    for part in relative.parts:
        step = os.path.join(current, part)
        if os.path.islink(step):
            target = os.readlink(step)
            resolved = os.path.realpath(step)
            if not _inside(resolved, root_real):
                raise _link_error(Path(step), target, root, purpose, label)
            current = resolved
        else:
            current = step
    # realpath saw a link this walk did not (a race, or `..` after a link): refuse rather than guess
    raise LinkOutside(tr("paths.leads_outside", purpose=words(purpose), path=shown(Path(absolute), root),
                         label=words(label), real=real), Source(shown(Path(absolute), root)))


class FolderGuard:
    """``guard_path(root, file, purpose)`` for the many files of a few folders (a run's project files), each
    folder resolved once: a file that is not a link is where its folder really is. A file that is a link, or
    one whose folder is refused, goes through ``guard_path`` itself (and its message)."""

    def __init__(self, root: Path, purpose: str = "read"):
        self.root, self.purpose = root, purpose
        self._folders: dict = {}
        self._opened: tuple = ("", -1)  # (folder, descriptor): the folder files are being read from

    def folder_fd(self, path: Path) -> int | None:
        """A descriptor of ``path``'s real folder, opened folder by folder from the workspace without following
        any link, or None (no such walk on this system, the folder refused, or it changed since it was resolved).
        Files opened relative to it stay in that folder even if its name is swapped for a link meanwhile; it
        stays open until a file of another folder is asked for (a run reads folder by folder) or ``close``."""
        folder = self.folder(path) if _WALK else None
        if folder is None:
            return None
        if self._opened[0] != folder:
            self.close()
            descriptor = _walk(os.path.realpath(self.root), folder)
            if descriptor is None:
                return None
            self._opened = (folder, descriptor)
        return self._opened[1]

    def afresh(self, path: Path) -> Path:
        """``self(path)`` where the folder walk is not possible (Windows); where it is but failed (a name on the
        way became a link since it was resolved), ``guard_path`` again: such a link is judged now."""
        return guard_path(self.root, path, self.purpose) if _WALK else self(path)

    def close(self) -> None:
        if self._opened[1] >= 0:
            os.close(self._opened[1])
        self._opened = ("", -1)

    def __del__(self):
        self.close()

    def __call__(self, path: Path) -> Path:
        folder = self.folder(path)
        if folder is None or os.path.islink(path):
            return guard_path(self.root, path, self.purpose)
        return Path(folder, path.name)

    def folder(self, path: Path) -> str | None:
        """The real folder of ``path`` (resolved once a run), or None where ``path`` needs ``guard_path``
        itself: its folder is refused, or its name is not a plain name."""
        if path.name in ("", ".", ".."):
            return None
        key = os.path.dirname(path)  # text: a Path's parent is a new Path, hashed afresh each time
        folder = self._folders.get(key, False)
        if folder is False:
            try:
                folder = str(guard_path(self.root, path.parent, self.purpose))
            except EvalrunError:
                folder = None
            self._folders[key] = folder
        return folder


_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_WALK = bool(O_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd  # POSIX; not Windows
_FOLDER = os.O_RDONLY | _DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _walk(root_real: str, folder: str) -> int | None:
    """``folder`` (a real path inside ``root_real``) opened name by name from the root, following no link."""
    try:
        descriptor = os.open(root_real, _FOLDER)
    except OSError:
        return None
    try:
        for name in Path(os.path.relpath(folder, root_real)).parts:
            if name in (".", ".."):
                continue
            inner = os.open(name, _FOLDER | O_NOFOLLOW, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    except OSError:  # a name that became a link, or went: the caller takes the guarded way
        os.close(descriptor)
        return None
    return descriptor


def guard_given(root: Path, path: Path, purpose: str = "read") -> Path:
    """``guard_path`` for a path a caller gave (a library call naming a file): guarded when it lies in the
    workspace, taken as given when it lies elsewhere (that place is the caller's own choice)."""
    if _relative(os.path.abspath(path), root) is None:
        return path
    return guard_path(root, path, purpose)


def _relative(absolute: str, root: Path) -> Path | None:
    for base in (os.path.abspath(root), os.path.realpath(root)):
        if _inside(absolute, base):
            return Path(os.path.relpath(absolute, base))
    return None


def _link_error(link: Path, target: str, root: Path, purpose: str, label: str) -> LinkOutside:
    name = shown(link, root)
    if label != "the workspace":  # a folder from the command line: the link in full
        name = os.path.join(os.path.abspath(root), name)
    kind = "folder" if os.path.isdir(link) else "file"
    return LinkOutside(
        tr("paths.link_outside", target=target, label=words(label), root=os.path.abspath(root), purpose=words(purpose),
           kind=words(kind), hint=tr("paths.link_outside.output") if purpose == "write" else ""),
        Source(name))


def guard_dir(root: Path, path: Path, purpose: str = "write", label: str = "the workspace") -> Path:
    """``guard_path`` for a folder that is then created (with its parents) if missing; OSError as it comes."""
    real = guard_path(root, path, purpose, label)
    os.makedirs(real, exist_ok=True)
    # the folders just made are real folders; check again in case a link appeared meanwhile
    return guard_path(root, path, purpose, label)


def open_new(path: Path, mode: int = 0o644) -> int:
    """A descriptor for writing a new file at ``path``, never through a link and never an existing file."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_BINARY, mode)


def write_new(path: Path, content, mode: int = 0o644) -> None:
    """Write ``content`` (bytes, or an open binary file, copied in chunks and closed) to a new file
    (see ``open_new``); the partial file is removed if it fails."""
    fd = open_new(path, mode)
    try:
        if hasattr(content, "read"):
            with content:
                for chunk in iter(lambda: content.read(1 << 20), b""):
                    _write_all(fd, chunk)
        else:
            _write_all(fd, content)
    except BaseException:
        os.close(fd)
        _unlink(path)
        raise
    os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_file(root: Path, path: Path, content: str | bytes) -> Path:
    """Write one file whole, inside ``root``: a new temporary file beside it, then an atomic replace.

    The replace swaps the directory entry, so a link at ``path`` is replaced,
    never followed. Errors (a full disk included) are EvalrunErrors; on
    error nothing is left behind.
    """
    if isinstance(content, str):
        content = content.encode("utf-8")
    try:
        folder = guard_dir(root, path.parent, "write")
    except OSError as exc:
        raise cannot_write(shown(path, root), exc, "the file") from None
    guard_path(root, folder / path.name, "write")
    final = folder / path.name  # the entry itself: a link there is replaced, not followed
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        _unlink(temporary)
        write_new(temporary, content)
        os.replace(temporary, final)
    except OSError as exc:
        _unlink(temporary)
        raise cannot_write(shown(path, root), exc, "the file") from None
    return final


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def describe_os_error(exc: OSError) -> str:
    """What went wrong writing, in words a user can act on."""
    if exc.errno in DISK_FULL:
        return tr("paths.disk_full", detail=exc.strerror)
    if exc.errno in READ_ONLY:
        return tr("paths.read_only", detail=exc.strerror)
    if exc.errno == errno.ELOOP:
        return tr("paths.is_link")
    return exc.strerror or str(exc)


def cannot_write(where, exc: OSError, what: str = "the reports") -> EvalrunError:
    return EvalrunError(tr("paths.cannot_write", what=words(what), detail=describe_os_error(exc)),
                        Source(str(where)))
