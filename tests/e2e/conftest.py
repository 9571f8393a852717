"""Fixtures of the end-to-end tests."""

from tests.conftest_pg import postgres_url  # noqa: F401 - the session fixture
