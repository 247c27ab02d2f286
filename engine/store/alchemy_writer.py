"""Writing a run through SQLAlchemy: PostgreSQL, and a SQLite store being made or migrated.

The same four steps as engine.store.direct's writer (a run row, the ids of
results already stored, rows inserted in bulk, the run finished), on a
connection whose transaction takes database.py's write lock.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from engine.store import schema
from engine.store.database import connect, failure, writing
from engine.store.tables import given_columns, insert_sql, sqlite_rows


class AlchemyStore:
    def __init__(self, url: str, workspace: Path | None):
        self.url, self.workspace = url, workspace
        self.engine = connect(url, workspace)  # made or migrated here; fails now if it cannot be used

    @contextmanager
    def writing(self):
        try:
            with writing(self.engine) as connection, connection.begin():
                yield _Write(connection)
        except SQLAlchemyError as exc:
            raise failure(exc, self.url, self.workspace) from None

    def close(self) -> None:
        self.engine.dispose()


class _Write:
    def __init__(self, connection):
        self.connection = connection

    def add_run(self, values: dict) -> int:
        return self.connection.execute(insert(schema.run).returning(schema.run.c.id), values).scalar_one()

    def result_ids(self, hashes: list) -> dict:
        if not hashes:
            return {}
        table = schema.result
        return {digest: result_id for result_id, digest in
                self.connection.execute(select(table.c.id, table.c.hash).where(table.c.hash.in_(hashes)))}

    def insert(self, table: str, rows: list) -> None:
        """Rows (tuples in the table's column order) through the driver: COPY on PostgreSQL, executemany on SQLite.

        The indicator rows are most of what a run writes; SQLAlchemy's per-row
        parameter handling would cost more than the database does.
        """
        if not rows:
            return
        connection = self.connection
        dialect = connection.dialect
        if dialect.name != "postgresql":
            columns, rows = sqlite_rows(table, rows)
            connection.exec_driver_sql(insert_sql(table, columns), rows)
            return
        columns, rows = given_columns(table, rows)
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:  # in the transaction SQLAlchemy holds open; Decimals as they are
                copy.write_row(row)

    def finish_run(self, run_id: int, new: int, finished_at) -> None:
        run = schema.run
        self.connection.execute(update(run).where(run.c.id == run_id).values(new_results=new, finished_at=finished_at))
