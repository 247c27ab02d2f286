"""cache: each project's loaded and checked form, kept between runs in ``.evalrun-cache/``.

Staff run the same year many times a day, and most files have not changed
since the last run. For each project file a run keeps what ``load_project``
made of it (the file read, checked against the schema and built into a
``Project`` with every target read) in ``.evalrun-cache/projects.sqlite`` in
the workspace (the folder tells git and backup tools to leave it alone). The
next run uses an entry only if the file's bytes and place, the ruleset the
project is scored by (its sha256, department variants included), the project
schema and evalrun itself (the sha256 of its code, Python's and PyYAML's
versions) are all unchanged; anything else is read again and the entry
replaced. A run that keeps only each project's results (``--json``) keeps
those instead, in a second table (engine.runner.kept says what and by which
key). One SQLite file, not a file per project: thousands of small files
cost more to create than the parsing they save, and SQLite commits whole
transactions or nothing, so an entry is never half-written, and several
processes (``--jobs``) can write at once.

The workspace is often a shared folder, so an entry is trusted only if it
carries an HMAC-SHA256 made with a key that never leaves the user's own
cache folder (``~/.cache/evalrun/cache.key``, readable by the user alone;
``$XDG_CACHE_HOME`` or ``%LOCALAPPDATA%`` where set). An entry someone else
wrote or edited, one cut short, or one from another machine fails the check
and is read again: no one who cannot already run programs as the user can
make evalrun use scores that are not in the project files. Entries are
pickles compressed by lz4, read with an unpickler that builds only evalrun's
model classes, Decimal and plain containers (results: Decimal and containers
alone), so even a stolen key could not make one run code. The cache never
fails a run: a read-only workspace, a full disk, a damaged database or a
missing key only means the run reads every file (a damaged database is
replaced).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import os
import pickle
import sqlite3
import sys
from functools import lru_cache
from pathlib import Path

import yaml

from engine import model
import engine.rules.targets as targets
from engine.errors import EvalrunError, Source
from engine.files.cachekey import key_file, secret  # noqa: F401 - the key, as this module has always named it
from engine.files.located import Places
from engine.files.paths import guard_path, write_new
from engine.files.resources import data_path

FOLDER = ".evalrun-cache"
DATABASE = "projects.sqlite"
FORMAT = b"evalrun cache 2\n"  # 2: compressed by lz4
COMMIT_EVERY = 200  # entries per transaction
_DIGEST = 32  # bytes of an HMAC-SHA256
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# evalrun's cache of parsed project files: safe to delete\n"


class ParseCache:
    """The projects of one ruleset, by project file (``get``/``put``; ``close`` at the end)."""

    def __init__(self, workspace: Path, ruleset_name: str):
        self.workspace = workspace
        self.root = workspace / FOLDER
        self.path = self.root / DATABASE
        self.ruleset_name = ruleset_name
        self.key = secret()
        self.readable = self.writable = self.key is not None
        self._mac = hmac.new(self.key, digestmod="sha256") if self.key else None  # copied for each entry
        self.hits = self.misses = self.writes = 0
        self._db = None
        self._pending: dict = {}  # table -> [(name, entry)] made since the last commit, written together
        self._ahead: dict = {}  # name -> entry: results stored after the last one read (read in the order written)
        self._stored: set | None = None  # hash() of every results entry's name when the run began (see _row)
        self._replaced = False  # a damaged database was replaced in this run
        self.keep_projects = True  # False: no Project is kept or read (a run that keeps its results: engine.runner.kept)

    # An entry's name says which project file of which ruleset it is for (and, for results, for which
    # kind of run); what it must have been made from (the stamp) is inside it, signed with it.
    def _name(self, shown: str, ruleset: model.Ruleset, run: str = "") -> str:
        text = f"{self.ruleset_name}\0{ruleset.variant}\0{shown}" + (f"\0{run}" if run else "")
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]

    def _stamp(self, digest: str, shown: str, ruleset: model.Ruleset, run: str = "") -> bytes:
        """What an entry must have been made from: the file, where it is, its ruleset, the schema, evalrun."""
        return "\0".join((digest, shown, self.ruleset_name, ruleset.variant, ruleset.sha256, schema_digest(),
                          code_digest(), run)).encode("utf-8")

    def get(self, digest: str, shown: str, ruleset: model.Ruleset) -> model.Project | None:
        """The project made before from exactly the bytes whose sha256 is ``digest``, or None."""
        if not self.keep_projects:
            return None
        project = self._get(_PROJECTS, self._name(shown, ruleset), self._stamp(digest, shown, ruleset))
        return project if isinstance(project, model.Project) else None

    def put(self, digest: str, shown: str, ruleset: model.Ruleset, project: model.Project) -> None:
        """Keep ``project`` as made from the bytes whose sha256 is ``digest``; quietly does nothing where the
        cache cannot be written."""
        if self.keep_projects:
            self._put(_PROJECTS, self._name(shown, ruleset), self._stamp(digest, shown, ruleset), project)

    def get_results(self, digest: str, shown: str, ruleset: model.Ruleset, run: str):
        """What ``put_results`` kept for the file whose bytes have the sha256 ``digest``, in a run of the kind
        ``run`` names (engine.runner.kept), or None. Plain data only: texts, numbers, Decimals, containers."""
        return self._get(_RESULTS, self._name(shown, ruleset, run), self._stamp(digest, shown, ruleset, run))

    def put_results(self, digest: str, shown: str, ruleset: model.Ruleset, run: str, results) -> None:
        self._put(_RESULTS, self._name(shown, ruleset, run), self._stamp(digest, shown, ruleset, run), results)

    def _get(self, table, name: str, stamp: bytes):
        found = None
        if self.readable and self._open(create=False):
            try:
                entry = self._row(table, name)
                found = None if entry is None else self._read(table, entry, stamp)
            except sqlite3.Error as exc:
                self._trouble(exc, reading=True)
            except Exception:  # noqa: BLE001 - a broken entry is read again, never trusted
                found = None
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def _row(self, table, name: str) -> bytes | None:
        """The entry stored as ``name``. A run reads the results in the order an earlier run wrote them: the
        entries after one read are read with it, 64 at a time (one query, not one each), and a name the table
        did not hold when the run first asked is not looked up (the names are read once; a hash that only
        seems known costs a query, never a wrong entry)."""
        if table is not _RESULTS:
            row = self._db.execute(table.select, (name,)).fetchone()
            return None if row is None else row[0]
        entry = self._ahead.pop(name, None)
        if entry is None:
            if self._stored is None:  # one query for every name, not one for each project the cache lacks
                self._stored = {hash(known) for (known,) in self._db.execute("SELECT name FROM result")}
            if hash(name) not in self._stored:
                return None
            row = self._db.execute("SELECT rowid, body FROM result WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            entry = row[1]
            self._ahead = dict(self._db.execute(
                "SELECT name, body FROM result WHERE rowid > ? ORDER BY rowid LIMIT 64", (row[0],)))
        return entry

    def _read(self, table, entry: bytes, stamp: bytes):
        head = len(table.format) + _DIGEST
        if not entry.startswith(table.format) or len(entry) <= head:
            return None
        body = entry[head:]
        if not hmac.compare_digest(entry[len(table.format):head], self._sign(body)):
            return None  # written by someone else, edited, or cut short
        from lz4.block import decompress  # imported once the cache is used: not for `validate` without one

        made_from, value = table.unpickler(io.BytesIO(decompress(body))).load()
        return value if made_from == stamp else None  # None: the file, ruleset, schema or evalrun changed since

    def _put(self, table, name: str, stamp: bytes, value) -> None:
        if not self.writable or not self._open(create=True):
            return
        try:
            from lz4.block import compress

            body = compress(pickle.dumps((stamp, value), protocol=5))
            self._pending.setdefault(table, []).append((name, table.format + self._sign(body) + body))
            self.writes += 1
            if sum(map(len, self._pending.values())) >= COMMIT_EVERY:
                self._commit()
        except Exception:  # noqa: BLE001 - the cache never fails a run
            self._stop_writing()

    def _sign(self, body: bytes) -> bytes:
        """HMAC-SHA256 of ``body`` with the key (the keyed state copied: cheaper than keying each time)."""
        mac = self._mac.copy()
        mac.update(body)
        return mac.digest()

    def close(self) -> None:
        """Commit what was written (entries of a run cut short are simply not there next time)."""
        if self._db is not None:
            try:
                self._commit()
                self._db.close()
            except Exception:  # noqa: BLE001
                pass
            self._db = None

    def _commit(self) -> None:
        """Write the entries made since the last commit, in one transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            self._db.execute("BEGIN")
            for table, rows in pending.items():
                self._db.executemany(table.insert, rows)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:  # a read-only workspace, a full disk, a busy or damaged cache
            self._trouble(exc, reading=False)

    def _stop_writing(self) -> None:
        self.writable = False
        self._pending = {}
        try:
            if self._db is not None and self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except Exception:  # noqa: BLE001
            pass

    def _open(self, create: bool) -> bool:
        """The database, opened (and made, with ``create``) on first use; False if there is none to use."""
        if self._db is not None:
            return True
        if not create and not self.path.is_file():
            return False
        try:
            guard_path(self.workspace, self.path, "write")  # never through a link out of the workspace
        except EvalrunError:
            self.readable = self.writable = False  # a cache: the run goes without it
            return False
        try:
            if create and not self.root.is_dir():
                self.root.mkdir(parents=True)
                _write(self.root / ".gitignore", b"*\n")  # git and backup tools leave the folder alone
                _write(self.root / "CACHEDIR.TAG", _TAG.encode("ascii"))
            self._db = _connect(self.path)
        except sqlite3.Error as exc:
            self._trouble(exc, reading=True)
        except Exception:  # noqa: BLE001 - cannot be made here: this run goes without
            self.readable = self.writable = False
        return self._db is not None

    def _trouble(self, exc: sqlite3.Error, reading: bool) -> None:
        """A damaged database is replaced by an empty one (once a run); one that cannot be used
        now (read-only, locked, a full disk) is left alone for the rest of the run."""
        self._stop_writing()
        if self._db is not None:
            try:
                self._db.close()
            except Exception:  # noqa: BLE001
                pass
            self._db = None
        damaged = not isinstance(exc, sqlite3.OperationalError)  # "not a database", "malformed"
        if damaged and not self._replaced:
            self._replaced = True
            try:
                self.path.unlink()
                self._db = _connect(self.path)
                self.readable = self.writable = True
                return
            except Exception:  # noqa: BLE001
                self._db = None
        self.writable = False
        if reading or damaged:
            self.readable = False


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=2, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous = OFF")  # a cache: an entry lost in a crash is read again
    db.execute("PRAGMA page_size = 16384")  # for a new file: an entry of a few KB fits a page (half the time of 4 KB)
    for table in (_PROJECTS, _RESULTS):
        db.execute(f"CREATE TABLE IF NOT EXISTS {table.name} (name TEXT PRIMARY KEY, body BLOB NOT NULL){table.layout}")
    return db


def _write(path: Path, content: bytes) -> None:
    """The whole file or none of it: written beside, then renamed into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_new(temporary, content)  # created new, never through a link
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------- what an entry may hold


def _allowed() -> dict:
    classes = {(cls.__module__, cls.__name__): cls for cls in vars(model).values()
               if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__}
    for cls in (targets.Measure, Source, Places):
        classes[(cls.__module__, cls.__name__)] = cls
    from decimal import Decimal

    classes[("decimal", "Decimal")] = Decimal
    return classes


_ALLOWED = _allowed()
_DECIMAL = {("decimal", "Decimal"): _ALLOWED[("decimal", "Decimal")]}


class _Unpickler(pickle.Unpickler):
    """Builds evalrun's model classes, Decimal and plain containers; refuses anything else."""

    allowed = _ALLOWED

    def find_class(self, module: str, name: str):
        found = self.allowed.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in evalrun's cache")
        return found


class _PlainUnpickler(_Unpickler):
    """Results are plain data: Decimal and containers only."""

    allowed = _DECIMAL


@dataclasses.dataclass(frozen=True)
class _Table:
    name: str
    format: bytes  # what every entry begins with
    unpickler: type
    layout: str = ""  # results (a few KB each) are quicker to write and read in a rowid table

    @property
    def select(self) -> str:
        return f"SELECT body FROM {self.name} WHERE name = ?"

    @property
    def insert(self) -> str:
        return f"INSERT OR REPLACE INTO {self.name} (name, body) VALUES (?, ?)"


_PROJECTS = _Table("entry", FORMAT, _Unpickler, " WITHOUT ROWID")  # a project file's Project
_RESULTS = _Table("result", b"evalrun results 2\n", _PlainUnpickler)  # what a run made of it (engine.runner.kept)


# ---------------------------------------------------------------- the key and the versions


@lru_cache(maxsize=None)
def code_digest() -> str:
    """evalrun's version, as the sha256 of its code and its messages (a checkout being edited changes it too)."""
    digest = hashlib.sha256(f"{sys.version}\0{yaml.__version__}\0".encode())
    engine = Path(__file__).resolve().parent.parent  # engine/, seen from engine/files/
    for path in sorted([*engine.rglob("*.py"), *engine.rglob("*.po")]):  # results hold messages (engine/i18n)
        digest.update(path.relative_to(engine).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=None)
def schema_digest() -> str:
    return hashlib.sha256(data_path("schemas", "project.schema.json").read_bytes()).hexdigest()
