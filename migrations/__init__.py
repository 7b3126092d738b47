"""Alembic migrations of the otklik database; run them with `storage.migrate` (no alembic.ini)."""
