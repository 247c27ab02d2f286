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
from pathlib import Path

from .errors import EvalrunError, Source

# Characters Windows refuses in file names, and names it reserves.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(name: str) -> str:
    """A file or folder name that stays inside its folder on every system."""
    cleaned = _UNSAFE.sub("_", str(name)).strip().rstrip(". ")
    if not cleaned or cleaned in (".", "..") or set(cleaned) <= {"."}:
        cleaned = "_"
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned[:120]


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


class Staging:
    """Collects a run's outputs, then moves them into ``target`` in one step."""

    def __init__(self, target: Path):
        self.target = target
        self.files: list[Path] = []
        self._dir: Path | None = None

    def __enter__(self) -> "Staging":
        self.target.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix=".evalrun-staging-", dir=self.target))
        return self

    def __exit__(self, *exc) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def write(self, relative: Path, content: str | bytes) -> Path:
        """Stage one output file; ``relative`` is under the target folder."""
        assert self._dir is not None, "use Staging as a context manager"
        staged = self._dir / relative
        if not inside(self._dir, staged):
            raise EvalrunError(f"refusing to write outside the output folder: {relative}", Source(str(relative)))
        staged.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        staged.write_bytes(content)
        self.files.append(relative)
        return self.target / relative

    def commit(self) -> list[Path]:
        """Move every staged file into place; earlier outputs are replaced whole."""
        assert self._dir is not None
        done = []
        for relative in self.files:
            final = self.target / relative
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._dir / relative, final)
            done.append(final)
        return done
