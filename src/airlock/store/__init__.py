"""Airlock's persistent state: SQLite by default, PostgreSQL for replicas."""

from airlock.store.db import Store, database_url, open_store

__all__ = ["Store", "database_url", "open_store"]
