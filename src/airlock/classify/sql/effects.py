"""What SQL statements do, collected: :class:`Effects` gathers the targets (deduplicated
per statement) and the problems of one :func:`~airlock.classify.sql.classify_sql` call;
the dialect modules add to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from airlock.action import Risk, Target
from airlock.classify import limits

READ, WRITE, DESTRUCTIVE, CATASTROPHIC = (
    Risk.READ,
    Risk.WRITE,
    Risk.DESTRUCTIVE,
    Risk.CATASTROPHIC,
)

# What the SQL scanners skip. Not str.strip()'s idea of whitespace: "\x1f" or U+00A0 are
# errors to PostgreSQL, so text made of them is not "empty".
SQL_WHITESPACE = " \t\n\r\f\v"


def has_sql(text: str, out: Effects) -> bool:
    """Whether there is SQL to parse: not for empty, whitespace-only text (nothing to do),
    nor for text with a NUL byte (a problem: the C parsers stop at NUL, so what follows
    it would be invisible to us)."""
    if not text or not text.strip(SQL_WHITESPACE):
        return False
    if "\x00" in text:
        out.problem("SQL contains a NUL byte")
        return False
    too_large = limits.oversize(text, "the SQL text")
    if too_large:
        out.problem(too_large)
        return False
    return True


class Effects:
    """Collects targets (deduplicated) and problems for one classify_sql call."""

    def __init__(self, database: str, locator: str, tool: str, dialect: str = "") -> None:
        self.dialect = dialect
        self.database = database
        self.locator = locator
        self.tool = tool
        self.targets: list[Target] = []
        self.problems: list[str] = []
        self.prepared: set[str] = set()
        self._seen: set[tuple[Any, ...]] = set()
        self.adds = 0  # add() calls, duplicates included: did a statement yield anything?

    def next_statement(self) -> None:
        """Deduplicate within one statement only: every statement keeps its own targets."""
        self._seen.clear()

    def child(self) -> Effects:
        sub = Effects(self.database, self.locator, self.tool, self.dialect)
        sub.prepared = self.prepared
        return sub

    @property
    def db_name(self) -> str:
        return f"database {self.database}" if self.database else "database"

    def use_database(self, name: str) -> None:
        """MySQL ``USE db``: later statements run against ``name``."""
        self.database = name
        self.locator = with_database(self.locator, name)

    def add(
        self,
        kind: str,
        name: str,
        verb: str,
        risk: Risk,
        detail: str = "",
        *,
        locator: str | None = None,
        reversible: bool | None = None,
    ) -> None:
        self.adds += 1
        if name.startswith(kind + " "):
            name = name[len(kind) + 1 :]  # the kind is its own field: "users", not "table users"
        loc = self.locator if locator is None else locator
        rev = (risk <= WRITE) if reversible is None else reversible
        rev = rev and risk < DESTRUCTIVE
        key = (kind, name, verb, int(risk), loc, detail, rev)
        if key in self._seen:
            return
        self._seen.add(key)
        self.targets.append(
            Target(
                kind=kind,
                name=name,
                verb=verb,
                risk=risk,
                reversible=rev,
                tool=self.tool,
                locator=loc,
                detail=detail,
            )
        )

    def add_db(self, verb: str, risk: Risk, detail: str = "", **kw: Any) -> None:
        self.add("database", self.db_name, verb, risk, detail, **kw)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    @property
    def worst(self) -> Risk:
        return max((t.risk for t in self.targets), default=READ)


def snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_database(locator: str, dbname: str) -> str:
    """``postgresql://u@h:5432/a`` with the database replaced: ``postgresql://u@h:5432/b``.

    Locators that are not URLs (``sqlite:/path``) are returned unchanged.
    """
    if "://" not in locator:
        return locator
    try:
        parts = urlsplit(locator)
    except ValueError:
        return locator
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname, safe=""), parts.query, ""))
