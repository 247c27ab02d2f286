"""Opening the results store: the engine, its locks, and its schema kept at the migrations' head.

SQLite: a write transaction starts with ``BEGIN IMMEDIATE``, so two runs
writing at once take turns (the second waits up to ``BUSY_SECONDS``) rather
than interleave or fail halfway; the journal makes a killed run's transaction
vanish. PostgreSQL: a write transaction first takes an advisory lock for the
same effect. A new store is created from schema.py and stamped with the
migrations' head; an older one is migrated by Alembic (by itself for a SQLite
file; a shared server with ``evalrun db upgrade``, so that one person's new
evalrun does not change the store under the others' feet).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from engine.files.reading import kind_of
from engine.i18n import tr
from engine.store import schema
from engine.store.failures import BUSY_SECONDS, StoreError, describe_failure, first_line
from engine.store.settings import shown, sqlite_path

_ADVISORY_KEY = 0x65766C72  # "evlr": one lock for every writer of a PostgreSQL store
MIGRATIONS = Path(__file__).with_name("migrations")


def connect(url: str, workspace: Path | None = None, create: bool = True) -> Engine:
    """An engine for the store at ``url``, its schema at the head (created or migrated when allowed)."""
    engine = _engine(url, workspace)
    try:
        ensure_schema(engine, url, workspace, create=create)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _engine(url: str, workspace: Path | None) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        if not path.parent.is_dir():
            raise StoreError(tr("store.no_folder", store=shown(url, workspace), folder=path.parent))
        kind = _not_a_file(path)
        if kind:  # SQLite would say "disk I/O error" of a pipe (or wait on it), "unable to open" of a folder
            raise StoreError(tr("store.not_a_file", store=shown(url, workspace), kind=kind))
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        import psycopg  # noqa: F401 - only to say what is missing
    except ImportError:
        raise StoreError(tr("store.needs_psycopg", store=shown(url))) from None
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 15})
    event.listen(engine, "begin", _postgres_begin)
    return engine


def _not_a_file(path: Path) -> str:
    """What the store's path is when it is there and not a plain file (a folder, a pipe...), else ''."""
    try:
        return kind_of(path.stat().st_mode)
    except OSError:  # not there (a new store), or not to be looked at: SQLite says why
        return ""


def _sqlite_connect(dbapi_connection, record) -> None:
    dbapi_connection.isolation_level = None  # evalrun says BEGIN itself (below), not the driver
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("evalrun_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_begin(connection: Connection) -> None:
    if connection.get_execution_options().get("evalrun_write", False):
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{BUSY_SECONDS}s'")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY})")


def writing(engine: Engine) -> Connection:
    """A connection whose transactions write: one writer at a time (see the module's text)."""
    return engine.connect().execution_options(evalrun_write=True)


def revision(connection: Connection) -> str | None:
    """The schema revision stamped in the store; None for a store with no evalrun tables yet."""
    if not inspect(connection).has_table(schema.VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {schema.VERSION_TABLE}")).scalar()


def ensure_schema(engine: Engine, url: str, workspace: Path | None, create: bool = True) -> None:
    where = shown(url, workspace)
    try:
        with engine.connect() as connection:
            current = revision(connection)
        if current == schema.HEAD:
            return
        if current is None and not create:
            empty = StoreError(tr("store.empty", store=where))
            empty.empty = True  # engine.store.history adds what to do
            raise empty
        with writing(engine) as connection, connection.begin():
            current = revision(connection)  # again, now that this run holds the write lock
            if current is None:
                present = set(inspect(connection).get_table_names())  # one query, not one a table
                if any(t.name in present for t in schema.TABLES):
                    raise StoreError(tr("store.no_revision", store=where))
                schema.metadata.create_all(connection, checkfirst=False)  # none is there: nothing to ask again
                _stamp(connection)
            elif current != schema.HEAD:
                known = revisions()
                if current not in known:
                    raise StoreError(tr("store.newer", store=where, revision=current, head=schema.HEAD))
                if sqlite_path(url) is None:
                    raise StoreError(tr("store.needs_upgrade", store=where, revision=current, head=schema.HEAD))
                upgrade(connection)
    except SQLAlchemyError as exc:
        raise failure(exc, url, workspace) from None


def _stamp(connection: Connection) -> None:
    connection.exec_driver_sql(
        f"CREATE TABLE {schema.VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
        f"CONSTRAINT {schema.VERSION_TABLE}_pkc PRIMARY KEY (version_num))")
    connection.execute(text(f"INSERT INTO {schema.VERSION_TABLE} (version_num) VALUES (:v)"), {"v": schema.HEAD})


def _config(connection: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def revisions() -> list[str]:
    """Every revision of the shipped migrations, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def upgrade(connection: Connection, target: str = "head") -> None:
    """Run the migrations on an open connection, inside its transaction."""
    from alembic import command

    command.upgrade(_config(connection), target)


def failure(exc: Exception, url: str, workspace: Path | None) -> StoreError:
    """A database error as one line a user can act on."""
    return describe_failure(first_line(exc), isinstance(exc, (OperationalError, DatabaseError)), url, workspace)


def upgrade_store(url: str, workspace: Path | None) -> tuple[str | None, str, str]:
    """`evalrun db upgrade`: (revision before, after, the store as shown); creates a new store."""
    where = shown(url, workspace)
    engine = _engine(url, workspace)
    try:
        with engine.connect() as connection:
            before = revision(connection)
        if before == schema.HEAD:
            return before, before, where
        if before is not None and before not in revisions():
            raise StoreError(tr("store.newer_short", store=where, revision=before))
        with writing(engine) as connection, connection.begin():
            if revision(connection) is None:
                if any(inspect(connection).has_table(t.name) for t in schema.TABLES):
                    raise StoreError(tr("store.no_revision", store=where))
            upgrade(connection)
            after = revision(connection)
    except SQLAlchemyError as exc:
        raise failure(exc, url, workspace) from None
    finally:
        engine.dispose()
    return before, after, where
