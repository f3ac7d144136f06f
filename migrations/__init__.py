"""Alembic migrations; run them with `matchmaker db upgrade`."""
