"""Alembic migrations of the results store, run by evalrun itself (engine.store.database)."""
