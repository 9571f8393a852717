"""Alembic migrations for Airlock's schema, run by ``airlock serve`` on start."""
