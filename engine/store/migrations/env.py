"""Alembic's environment for the results store: evalrun passes the open connection.

evalrun runs migrations itself (``evalrun db upgrade``, or on its own for a
SQLite file); there is no alembic.ini. A developer adding a migration writes
a new file in versions/ whose ``down_revision`` is the current head, and sets
``HEAD`` in engine/store/schema.py; tests/test_store.py checks that the
migrations build exactly the tables of schema.py.
"""
from alembic import context

from engine.store.schema import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
