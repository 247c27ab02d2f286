"""A real PostgreSQL server for the results store's tests, and a fresh database per test.

The server, in order of preference: the one at EVALRUN_TEST_POSTGRES_URL (a
URL whose user may create databases); one started from the pgserver wheel
(a PostgreSQL build on PyPI, in the `test` extra); one started from the
machine's own PostgreSQL programs (Debian's `postgresql` package: initdb and
pg_ctl under /usr/lib/postgresql/*/bin, run as the `postgres` user when the
tests run as root). Without any, the PostgreSQL tests are skipped with the
reason; under CI (CI=true) they fail instead, since CI must run them.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from pathlib import Path

import pytest


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server for the results store's tests: {reason}")


def _from_pgserver(root: Path):
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is not set, on import
        warnings.simplefilter("ignore")
        import pgserver  # noqa: the test extra installs it where a wheel exists

    server = pgserver.get_server(root / "pgserver", cleanup_mode="stop")
    return server.get_uri("postgres"), server.cleanup


def _from_system(root: Path):
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    folder = next((Path(b) for b in binaries if (Path(b) / "initdb").exists()), None)
    if folder is None and shutil.which("initdb"):
        folder = Path(shutil.which("initdb")).parent
    if folder is None:
        raise RuntimeError("neither pgserver nor PostgreSQL's initdb is installed (apt-get install postgresql)")
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir(parents=True)
    prefix = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        prefix = ["runuser", "-u", "postgres", "--"]
        for path in (root, sockets):
            shutil.chown(path, "postgres")
        # (the folder is theirs now; its parent, the system's temporary folder, is left as it is)
    subprocess.run(prefix + [str(folder / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                             "--encoding=UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run(prefix + [str(folder / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
                             "-o", f"-k {sockets} -h ''", "start"], check=True, capture_output=True)

    def stop():
        subprocess.run(prefix + [str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)

    return f"postgresql://postgres@/postgres?host={sockets}", stop


@pytest.fixture(scope="session")
def postgres_server():
    """The admin URL of a running server (see the module's text), for the session."""
    given = os.environ.get("EVALRUN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        import psycopg
    except ImportError:
        _unavailable("the driver psycopg is not installed (pip install -e '.[test]')")
    root = Path(tempfile.mkdtemp(prefix="evalrun-pg-"))
    stop, errors = None, []
    for start in (_from_pgserver, _from_system):
        try:
            url, stop = start(root)
            break
        except Exception as exc:  # noqa: BLE001 - try the next way, say why at the end
            detail = getattr(exc, "stderr", b"") or b""
            errors.append(f"{start.__name__}: {type(exc).__name__}: {exc} {detail.decode(errors='replace')[-300:]}")
    if stop is None:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable("; ".join(errors))
    with psycopg.connect(url, autocommit=True) as connection:  # a throwaway server: speed over durability
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            connection.execute(f"ALTER SYSTEM SET {setting}")
        connection.execute("SELECT pg_reload_conf()")
    try:
        yield url
    finally:
        stop()
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str) -> tuple[str, callable]:
    """A new empty database on the server: (its SQLAlchemy URL, a function that drops it)."""
    import psycopg

    name = f"evalrun_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.replace("postgresql://", "postgresql+psycopg://", 1), drop
