"""templatecache: the report templates compiled once, kept between runs in the user's own cache folder.

Compiling a Jinja template to Python is most of what `evalrun validate` and
the first report of a run spend on templates. Jinja's bytecode cache keeps
the compiled code and uses it only while the template's text is unchanged
(it compares a checksum of the source), so an edited template is compiled
again. The folder is the user's own, beside the parse cache's key
(``~/.cache/evalrun/``, or ``$XDG_CACHE_HOME``/``%LOCALAPPDATA%``), made
readable and writable by the user alone, and never the workspace: compiled
code runs as it is, so it must not come from a folder others can write (a
shared workspace). The folder's name carries the sha256 of evalrun's code,
so a change to the sandbox compiles every template anew; the folders of
earlier versions are removed. Any trouble with the folder only means
compiling again.
"""
from __future__ import annotations

import os
import shutil
import stat
import time

import jinja2

from engine.files.cache import code_digest, key_file


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja's file cache in the user's folder for this version of evalrun, or None when it cannot be trusted."""
    base = key_file().parent
    folder = base / f"templates-{code_digest()[:16]}"
    try:
        if not folder.exists():
            base.mkdir(mode=0o700, parents=True, exist_ok=True)
            for old in base.glob("templates-*"):  # an earlier evalrun's, unused for a week (another checkout may run)
                if old.is_dir() and not old.is_symlink() and time.time() - old.stat().st_mtime > _WEEK:
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(mode=0o700)
        if not _private(folder):
            return None
    except OSError:
        return None
    return _QuietCache(str(folder))


_WEEK = 7 * 24 * 3600


class _QuietCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, where a file that cannot be read or written only means compiling (again)."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _private(folder) -> bool:
    """A real folder (not a link), the user's own, that no one else may write."""
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        return False
    if os.name == "nt":
        return True  # the user's own profile folder
    return info.st_uid == os.getuid() and not info.st_mode & 0o022
