"""Fixtures: real ``airlock serve`` subprocesses (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest_pg import postgres_url  # noqa: F401 - the session fixture
from tests.server.harness import Airlock

FAST = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 1
cooldown_default = 1
cooldown_sandbox = 0
approval_ttl = 30
"""


@pytest.fixture
def make_airlock(tmp_path: Path) -> Iterator[object]:
    made: list[Airlock] = []

    def make(config: str = FAST, database: str | None = None, name: str = "home") -> Airlock:
        airlock = Airlock(tmp_path / name, config, database)
        made.append(airlock)
        return airlock

    yield make
    for airlock in made:
        airlock.stop_all()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airlock]:
    """One server for the many short refusal tests: humans alice and bob, agent bot."""
    airlock = Airlock(tmp_path_factory.mktemp("shared"), FAST)
    airlock.human("alice")
    airlock.human("bob")
    airlock.start()
    yield airlock
    airlock.stop_all()


_counter = [0]


@pytest.fixture
def pg_database(postgres_url: str) -> str:  # noqa: F811
    """A fresh, empty database on the session's PostgreSQL cluster."""
    _counter[0] += 1
    name = f"airlock_t{_counter[0]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + "/" + name
