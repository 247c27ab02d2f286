"""The key that signs evalrun's cache entries: this user's, kept outside the workspace (engine.files.cache).

A module of its own, with nothing heavy imported, so that a command can look at a cache before it loads
the engine (engine.files.runcache).
"""
from __future__ import annotations

import os
from pathlib import Path


def key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else "")
    return (Path(base) if base else Path.home() / ".cache") / "evalrun" / "cache.key"


def secret() -> bytes | None:
    """This user's key for signing cache entries, made on first use; None where there is none to be had."""
    path = key_file()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
    except FileExistsError:  # another run made it at the same moment
        pass
    except OSError:
        return None
    try:
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    with open(path, "rb") as handle:
        if os.name == "posix":
            status = os.fstat(handle.fileno())
            if status.st_uid != os.getuid() or status.st_mode & 0o077:
                return None  # someone else's, or others can read it: not a secret
        key = handle.read(64)
    return key if len(key) >= 32 else None
