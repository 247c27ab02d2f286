"""A command's whole output, kept while nothing it reads has changed (``evalrun validate``).

Staff validate the same workspace many times a day; when not one file that
validate reads has changed since it last ran, it prints the same lines and
ends the same way. The command then takes them from here before it loads
the engine. What it reads, and so the fingerprint an entry is kept under:
every file under the workspace's ``rulesets/``, ``projects/`` and
``reports/templates/`` (names and bytes), the results store's file
(``evalrun.db``: its size and time; review rules read last year's values
there), evalrun itself (every file of the package and of the shipped schemas
and templates), the libraries installed (their names and versions), Python's
version, the language, the command's arguments, and where the workspace and
the current folder are. A workspace holding a link, or one whose store is
set elsewhere (``evalrun.yaml``, ``EVALRUN_DB``), is never kept.

Kept in the parse cache's file (``.evalrun-cache/projects.sqlite``), only
once the command has made that file, and signed with the same key
(engine.files.cachekey): an entry someone else wrote, or a damaged one, is
not used. Entries are JSON, never code.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import sys
from pathlib import Path

from engine.errors import EvalrunError
from engine.files.cachekey import secret
from engine.files.paths import guard_path
from engine.files.resources import data_dir

FORMAT = b"evalrun output 1\n"
_FOLDERS = ("rulesets", "projects", os.path.join("reports", "templates"))
_ENGINE = Path(__file__).resolve().parent.parent  # engine/, seen from engine/files/


class _Unkept(Exception):
    """Something the fingerprint cannot vouch for: the output is not kept."""


def fingerprint(workspace: Path, command: tuple, language: str) -> str | None:
    """What the output of ``command`` in ``workspace`` is made from, as one sha256; None: never keep it."""
    if os.environ.get("EVALRUN_DB") is not None or (workspace / "evalrun.yaml").exists():
        return None
    digest = hashlib.sha256()
    for part in (sys.version, language, os.path.abspath(workspace), os.getcwd(), *command):
        digest.update(str(part).encode("utf-8", "surrogateescape") + b"\0")
    try:
        for folder in _FOLDERS:
            _add_tree(digest, workspace / folder, folder)
        for name in ("evalrun.db", "evalrun.db-wal"):
            path = workspace / name
            if path.is_symlink():
                raise _Unkept
            if path.exists():
                status = path.stat()
                digest.update(f"{name}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
        _add_tree(digest, _ENGINE, "engine", skip="__pycache__")
        for kind in ("schemas", "templates"):
            _add_tree(digest, data_dir(kind), kind)
        digest.update("\0".join(_installed()).encode("utf-8", "surrogateescape"))
    except (_Unkept, OSError):
        return None
    return digest.hexdigest()


def _add_tree(digest, root: Path, shown: str, skip: str = "") -> None:
    if root.is_symlink():
        raise _Unkept
    if not root.is_dir():
        digest.update(f"{shown}: none\0".encode())
        return
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f != skip)
        for name in folders:
            if os.path.islink(os.path.join(folder, name)):
                raise _Unkept  # where a link leads is the workspace guard's to judge: not kept
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.islink(path):
                raise _Unkept
            with open(path, "rb") as handle:
                content = handle.read()
            relative = os.path.relpath(path, root)
            digest.update(f"{shown}/{relative}\0{len(content)}\0".encode("utf-8", "surrogateescape") + content)


def _installed() -> list[str]:
    """The distributions Python can import from (``name-version.dist-info``)."""
    found = set()
    for entry in sys.path:
        try:
            found.update(name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return sorted(found)


def _database(workspace: Path) -> Path | None:
    path = workspace / ".evalrun-cache" / "projects.sqlite"
    try:
        guard_path(workspace, path, "write")  # never through a link out of the workspace
    except EvalrunError:
        return None
    return path if path.is_file() else None


def _name(command: tuple, workspace: Path) -> str:
    return hashlib.sha256("\0".join(map(str, (os.path.abspath(workspace), *command))).encode()).hexdigest()[:40]


def kept_output(workspace: Path, command: tuple, fingerprint_: str | None) -> tuple | None:
    """(standard output, standard error, exit code) kept for exactly this fingerprint, or None."""
    key = secret() if fingerprint_ else None
    path = _database(workspace) if key else None
    if path is None:
        return None
    try:
        with sqlite3.connect(path, timeout=2) as db:
            row = db.execute("SELECT body FROM output WHERE name = ?", (_name(command, workspace),)).fetchone()
        db.close()
    except sqlite3.Error:
        return None
    if row is None or not row[0].startswith(FORMAT):
        return None
    entry = row[0][len(FORMAT):]
    signature, body = entry[:32], entry[32:]
    if not hmac.compare_digest(signature, hmac.digest(key, body, "sha256")):
        return None
    try:
        kept = json.loads(body)
        if kept["fingerprint"] != fingerprint_:
            return None
        return str(kept["out"]), str(kept["err"]), int(kept["code"])
    except (ValueError, KeyError, TypeError):
        return None


def keep_output(workspace: Path, command: tuple, fingerprint_: str | None, out: str, err: str, code: int) -> None:
    """Keep what the command printed; nothing where there is no cache file (the command made none) or key."""
    key = secret() if fingerprint_ else None
    path = _database(workspace) if key else None
    if path is None:
        return
    body = json.dumps({"fingerprint": fingerprint_, "out": out, "err": err, "code": code},
                      ensure_ascii=False).encode("utf-8", "surrogateescape")
    try:
        with sqlite3.connect(path, timeout=2) as db:
            db.execute("CREATE TABLE IF NOT EXISTS output (name TEXT PRIMARY KEY, body BLOB NOT NULL)")
            db.execute("INSERT OR REPLACE INTO output (name, body) VALUES (?, ?)",
                       (_name(command, workspace), FORMAT + hmac.digest(key, body, "sha256") + body))
        db.close()
    except sqlite3.Error:
        pass  # a cache: the next validate runs in full
