"""write: outputs go to a staging folder and are moved into place only at the end.

A run that fails, or is interrupted, before ``commit`` leaves every earlier
output as it was. Each file is replaced with ``os.replace``, which is atomic
on one file system, so no reader ever sees a half-written report.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .errors import EvalrunError, Source

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
    cleaned = cleaned.rstrip(". ")  # Windows drops trailing dots and spaces
    if not cleaned:
        cleaned = "_"
    if cleaned.split(".")[0].rstrip(" ").upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


_held = False


def _hold_for_tests() -> None:
    """Test-only: with EVALRUN_TEST_HOLD=FILE set, pause after the first staged file.

    Creates FILE, then waits until a test deletes it (or kills the process),
    so that tests can interrupt a run halfway without guessing at timing.
    """
    global _held
    marker = os.environ.get("EVALRUN_TEST_HOLD")
    if not marker or _held:
        return
    _held = True
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while os.path.exists(marker):
        time.sleep(0.02)


def cannot_write(path, exc: OSError) -> EvalrunError:
    return EvalrunError(f"cannot write the reports here: {exc.strerror or exc}", Source(str(path)))


class Staging:
    """Collects a run's outputs, then moves them into ``target`` in one step.

    Use it while holding the output folder's RunLock: entering removes the
    staging folders that killed runs left behind.
    """

    def __init__(self, target: Path):
        self.target = target
        self.files: list[Path] = []
        self._names: set[str] = set()  # casefolded: Windows and macOS ignore case
        self._dir: Path | None = None

    def __enter__(self) -> "Staging":
        try:
            self.target.mkdir(parents=True, exist_ok=True)
            for leftover in self.target.glob(STAGING_PREFIX + "*"):
                shutil.rmtree(leftover, ignore_errors=True)
            self._dir = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.target))
        except OSError as exc:
            raise cannot_write(self.target, exc) from None
        return self

    def __exit__(self, *exc) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def write(self, relative: Path, content) -> Path:
        """Stage one output file (text, bytes or an open binary file); ``relative`` is under the target folder."""
        assert self._dir is not None, "use Staging as a context manager"
        staged = self._dir / relative
        if not inside(self._dir, staged) or relative.is_absolute():
            raise EvalrunError(f"refusing to write outside the output folder: {relative}", Source(str(relative)))
        key = relative.as_posix().casefold()
        if key in self._names:
            raise EvalrunError(
                f"two projects would write the same report {relative.as_posix()}; "
                "give them different file or department names", Source(str(relative)))
        if isinstance(content, str):
            content = content.encode("utf-8")
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            if hasattr(content, "read"):  # a file made elsewhere (the year workbook): copied, never all in memory
                with content, open(staged, "wb") as handle:
                    shutil.copyfileobj(content, handle, 1 << 20)
            else:
                staged.write_bytes(content)
        except OSError as exc:
            raise cannot_write(self.target / relative, exc) from None
        self.files.append(relative)
        self._names.add(key)
        _hold_for_tests()
        return self.target / relative

    def commit(self) -> list[Path]:
        """Move every staged file into place; earlier outputs are replaced whole."""
        assert self._dir is not None
        done = []
        for relative in self.files:
            final = self.target / relative
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._dir / relative, final)
            except OSError as exc:
                raise cannot_write(final, exc) from None
            done.append(final)
        return done
