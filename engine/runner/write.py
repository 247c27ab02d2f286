"""write: outputs go to a staging folder and are moved into place only at the end.

A run that fails, or is interrupted, before ``commit`` leaves every earlier
output as it was. Each file is replaced with ``os.replace``, which is atomic
on one file system, so no reader ever sees a half-written report.

Every folder and file goes through the workspace guard (engine/files/paths.py):
no link that leaves the root is followed, staged files are created new
with ``O_NOFOLLOW``, and the replace swaps a directory entry, never writing
through a link. A full or read-only disk is an EvalrunError: the staged
files are removed and nothing is replaced.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Iterator

from engine.errors import EvalrunError, Source
from engine.i18n import tr
from engine.files.paths import cannot_write, guard_path, shown, write_new

# Characters Windows refuses in file names, and names it reserves.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
    *(f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]),
}
MAX_NAME_BYTES = 200  # UTF-8 bytes; leaves room for an extension under the usual 255
STAGING_PREFIX = ".evalrun-staging-"


def safe_name(name: str) -> str:
    """A file or folder name that stays inside its folder on every system."""
    cleaned = _UNSAFE.sub("_", str(name)).strip()
    cleaned = re.sub(r"^\.", "_", cleaned)  # no hidden names, no `.` or `..`
    cleaned = cleaned.encode("utf-8")[:MAX_NAME_BYTES - 1].decode("utf-8", "ignore")
    # Windows drops trailing dots and spaces; any space (a no-break space before a dot too), since the
    # strip above takes every kind and the name must come out the same when made safe again
    cleaned = re.sub(r"[.\s]+\Z", "", cleaned)
    if not cleaned:
        cleaned = "_"
    if cleaned.split(".")[0].rstrip(" ").upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned


_held: set = set()  # the variables whose pause has been taken, once a process


def hold_for_tests(variable: str = "EVALRUN_TEST_HOLD") -> None:
    """Test-only: with ``variable``=FILE set, pause here once (a run's first staged file; the results
    store's open transaction) until FILE is deleted.

    Creates FILE (holding the pid), then waits until a test deletes it (or kills the process),
    so that tests can interrupt a run halfway without guessing at timing.
    """
    marker = os.environ.get(variable)
    if not marker or variable in _held:
        return
    _held.add(variable)
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while os.path.exists(marker):
        time.sleep(0.02)


class Staging:
    """Collects a run's outputs, then moves them into ``target`` in one step.

    Use it while holding the output folder's RunLock: entering removes the
    staging folders that killed runs left behind. ``root`` is the folder no
    link may lead out of (the workspace, or the folder given with --output);
    ``workspace`` is what paths in messages are shown relative to.
    """

    def __init__(self, target: Path, root: Path | None = None, workspace: Path | None = None,
                 what: str = "the reports"):
        self.target = target
        self.root = root if root is not None else target
        self.workspace = workspace if workspace is not None else self.root
        self.what = what
        self.label = "the workspace" if os.path.abspath(self.root) == os.path.abspath(self.workspace) \
            else "the output folder"
        # The staged files' names, in order, casefolded too (Windows and macOS ignore case): in a private
        # temporary database on disk, not in memory, for a run may stage hundreds of thousands.
        # (one user at a time, not always in one thread: the web page stages and commits in its worker threads)
        self._names = sqlite3.connect("", check_same_thread=False)
        self._names.execute("CREATE TABLE staged (key TEXT PRIMARY KEY, relative TEXT NOT NULL)")
        self._dir: Path | None = None
        self._made: list[Path] = []  # folders entering made, removed again if nothing is committed
        self._committed = False

    def _error(self, path: Path, exc: OSError) -> EvalrunError:
        return cannot_write(shown(path, self.workspace), exc, self.what)

    def __enter__(self) -> "Staging":
        try:
            real = self._folder(self.target, self._made)
            for leftover in real.glob(STAGING_PREFIX + "*"):
                shutil.rmtree(leftover, ignore_errors=True)  # never follows a link: it refuses one
            self._dir = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=real))
        except OSError as exc:
            _remove_folders(self._made)
            raise self._error(self.target, exc) from None
        except EvalrunError:
            _remove_folders(self._made)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if not self._committed:
            _remove_folders(self._made)  # only the empty ones: a folder with anything in it stays

    def write(self, relative: Path, content) -> Path:
        """Stage one output file (text, bytes or an open binary file); ``relative`` is under the target folder."""
        assert self._dir is not None, "use Staging as a context manager"
        staged = self._dir / relative
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise EvalrunError(tr("write.outside", path=relative), Source(str(relative)))
        key = relative.as_posix().casefold()
        if self._names.execute("SELECT 1 FROM staged WHERE key = ?", (key,)).fetchone():
            raise EvalrunError(tr("write.same_report", path=relative.as_posix()), Source(str(relative)))
        if isinstance(content, str):
            content = content.encode("utf-8")
        try:
            # inside the private folder mkdtemp made (mode 0700), created new, never through a link;
            # a file made elsewhere (the year workbook) is copied in chunks, never all in memory
            os.makedirs(staged.parent, exist_ok=True)
            write_new(staged, content)
        except OSError as exc:
            raise self._error(self.target / relative, exc) from None
        self._names.execute("INSERT INTO staged VALUES (?, ?)", (key, relative.as_posix()))
        hold_for_tests()
        return self.target / relative

    @property
    def files(self) -> "StagedFiles":
        """The staged files, relative to the target folder, in the order they were staged."""
        return StagedFiles(self._names, Path())

    def commit(self) -> list[Path]:
        """Move every staged file into place; earlier outputs are replaced whole.

        The folders are made (and every path checked) first, so that a full
        disk or a link found there stops the commit before any file is replaced.
        """
        assert self._dir is not None
        made: list[Path] = []
        folders: dict = {}  # each folder checked and made once (a run's reports are in a folder per department)
        try:
            for relative in self.files:
                final = self.target / relative
                folder = folders.get(final.parent)
                if folder is None:
                    folder = folders[final.parent] = self._folder(final.parent, made)
                guard_path(self.root, folder / final.name, "write", self.label)
                real = folder / final.name  # the entry itself: a link there is replaced, not followed
                if real.is_dir() and not real.is_symlink():
                    raise EvalrunError(tr("write.folder_in_the_way", path=relative.as_posix()),
                                       Source(shown(final, self.workspace)))
        except OSError as exc:
            _remove_folders(made)
            raise self._error(final, exc) from None
        except EvalrunError:
            _remove_folders(made)
            raise
        for relative in self.files:
            final = self.target / relative
            try:  # swaps the entry: a link there is replaced, not followed
                os.replace(self._dir / relative, folders[final.parent] / final.name)
            except OSError as exc:
                raise self._error(final, exc) from None
        self._committed = True
        return StagedFiles(self._names, self.target)

    def _folder(self, folder: Path, made: list) -> Path:
        """The real folder, checked and made (parents first) if missing; what was made goes into ``made``."""
        real = guard_path(self.root, folder, "write", self.label)
        missing = []
        while not os.path.lexists(real):
            missing.append(real)
            real = real.parent
        for path in reversed(missing):
            os.mkdir(path)
            made.append(path)
        return guard_path(self.root, folder, "write", self.label)


class StagedFiles(Sequence):
    """The files a Staging staged (``base`` / each relative path), in order, read from its database."""

    def __init__(self, names: sqlite3.Connection, base: Path):
        self._names, self._base = names, base

    def __len__(self) -> int:
        return self._names.execute("SELECT count(*) FROM staged").fetchone()[0]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        found = self._names.execute("SELECT relative FROM staged WHERE rowid = ?", (index + 1,)).fetchone()
        if index < 0 or found is None:
            raise IndexError("staged file index out of range")
        return self._base / found[0]

    def __iter__(self) -> Iterator[Path]:
        last = 0
        while True:  # a page at a time: the files can be staged while they are gone through
            page = self._names.execute("SELECT rowid, relative FROM staged WHERE rowid > ? ORDER BY rowid LIMIT 512",
                                       (last,)).fetchall()
            if not page:
                return
            for last, relative in page:
                yield self._base / relative


def _remove_folders(made: list) -> None:
    for path in reversed(made):
        try:
            os.rmdir(path)
        except OSError:
            pass
