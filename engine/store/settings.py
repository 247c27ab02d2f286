"""Where a workspace's results are kept: the URL of its results store.

In order of precedence: ``--db URL`` (or ``--no-db``) on the command line,
the environment variable ``EVALRUN_DB``, the key ``database`` of
``evalrun.yaml`` in the workspace, and else the SQLite file ``evalrun.db`` in
the workspace. A value is a file name (SQLite; relative to the folder the
command runs in, or for ``evalrun.yaml`` to the workspace), a
``postgresql://user@host/database`` URL, or ``off`` (record nothing).

Nothing here imports SQLAlchemy: a run without a store, and ``--help``, stay quick.
"""
from __future__ import annotations

import os
from pathlib import Path

from engine.errors import EvalrunError, Source, UsageError, did_you_mean
from engine.i18n import tr

SETTINGS_FILE = "evalrun.yaml"
DEFAULT_FILE = "evalrun.db"
ENVIRONMENT = "EVALRUN_DB"
SETTINGS_KEYS = ("database",)  # the keys evalrun.yaml may hold (other features add theirs here)
_OFF = {"off", "none", "no", "false", "0", ""}
_POSTGRES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def store_url(workspace: Path, option: str | None = None, disabled: bool = False) -> str | None:
    """The SQLAlchemy URL of the results store, or None when nothing is to be recorded."""
    if disabled:
        return None
    if option is not None:
        return to_url(option, Path.cwd(), "--db", workspace)
    if os.environ.get(ENVIRONMENT) is not None:
        return to_url(os.environ[ENVIRONMENT], Path.cwd(), ENVIRONMENT, workspace)
    setting = _setting(workspace)
    if setting is not None:
        value, where = setting
        if value is False:
            return None
        try:
            return to_url(value, workspace, str(where), workspace)
        except UsageError as exc:
            raise EvalrunError(str(exc).replace(f"{where}: ", ""), where) from None
    return to_url(str(workspace / DEFAULT_FILE), Path.cwd(), "default", workspace)


def to_url(value: str, base: Path, given_by: str, workspace: Path | None = None) -> str | None:
    """The URL for a setting's ``value``; a SQLite file inside ``workspace`` passes the workspace guard."""
    text = str(value).strip()
    if text.lower() in _OFF:
        return None
    lowered = text.lower()
    if lowered.startswith(_POSTGRES):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if lowered.startswith("sqlite:///"):
        return text
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise UsageError(tr("settings.bad_scheme", given_by=given_by, scheme=scheme))
    path = Path(text)
    if not path.is_absolute():
        path = base / path
    if workspace is not None:
        _guard_sqlite(workspace, path)
    return f"sqlite:///{path.resolve()}"


def _guard_sqlite(workspace: Path, path: Path) -> None:
    """A store file in the workspace, and the journal files SQLite writes beside it, may not be links
    that leave the workspace: SQLite would follow them and write results (or a journal) over a file
    elsewhere. A file outside the workspace was named by the user and is taken as given."""
    from engine.files.paths import LinkOutside, guard_given

    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            guard_given(workspace, path.with_name(path.name + suffix), "write")
        except LinkOutside as exc:
            what = exc.message.split(";")[0]
            raise LinkOutside(f"{what}; evalrun does not keep its results store behind a link that leaves the "
                              "workspace: put the file itself here, or name another store with --db FILE",
                              exc.source) from None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, None for a server."""
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def shown(url: str, workspace: Path | None = None) -> str:
    """The store as the user knows it: the file (relative to the workspace) or the URL without its password."""
    path = sqlite_path(url)
    if path is not None:
        if workspace is not None:
            try:
                return path.relative_to(workspace.resolve()).as_posix()
            except ValueError:
                pass
        return str(path)
    scheme, rest = url.split("://", 1)
    scheme = "postgresql" if scheme.startswith("postgresql") else scheme
    if "@" in rest.split("/", 1)[0]:
        credentials, host = rest.split("@", 1)
        if ":" in credentials and credentials.split(":", 1)[1]:
            credentials = credentials.split(":", 1)[0] + ":***"
        rest = f"{credentials}@{host}"
    return f"{scheme}://{rest}"


def _setting(workspace: Path):
    """(value, Source) of ``database`` in the workspace's evalrun.yaml; None when it does not say."""
    path = workspace / SETTINGS_FILE
    if not path.is_file():
        return None
    from engine.files.load import load_file  # only when the file exists

    data = load_file(path, SETTINGS_FILE)
    if not isinstance(data, dict):
        raise EvalrunError(tr("settings.not_a_mapping"), Source(SETTINGS_FILE, 1))
    for key in data:
        if key not in SETTINGS_KEYS:
            raise EvalrunError(tr("settings.unknown", key=key, suggestion=did_you_mean(str(key), list(SETTINGS_KEYS)),
                                  settings=", ".join(SETTINGS_KEYS)), data.key_source(key))
    if "database" not in data:
        return None
    value, where = data["database"], data.source_of("database")
    if value is False or value is None:
        return False, where
    if not isinstance(value, str):
        raise EvalrunError(tr("settings.bad_database", value=value), where)
    return value, where
