"""The plain, typed records handed from pipeline stage to stage.

intake builds an :class:`Action`; classify turns it into :class:`Target` records (what
the action would touch, how badly) and :class:`Flag` records (things about the action
itself: an unparsable part, a raw credential); resolve fills in each target's real
environment; decide returns a :class:`Decision`.

Only the standard library is imported here: this module is on the hook fast path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal

ActionKind = Literal["shell", "sql", "http", "mcp"]
ACTION_KINDS: tuple[str, ...] = ("shell", "sql", "http", "mcp")
DecisionKind = Literal["allow", "hold", "deny"]


class Risk(IntEnum):
    """How bad it is if the action does what it says. Ordered: max() is the worst."""

    READ = 0
    WRITE = 1
    DESTRUCTIVE = 2
    CATASTROPHIC = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Risk:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown risk {text!r}; expected one of read, write, destructive, catastrophic"
            ) from None


@dataclass(frozen=True, slots=True)
class Action:
    """One thing an agent wants to do, in the form a surface handed it to us."""

    command: str
    kind: str = "shell"
    scope: str | None = None  # the environment the agent was given, if any
    dialect: str | None = None  # SQL dialect for kind == "sql"
    cwd: str | None = None
    agent: str = "agent"
    database: str | None = None  # connection URL the SQL runs against, when known
    # the agent's home directory (what ``~`` means to it); None: this process's. Not part
    # of the fingerprint: the service fills it in from who is asking.
    home: str | None = None


@dataclass(slots=True)
class Target:
    """One thing the action would touch, and how.

    ``locator`` is what resolve matches against the inventory (a path, a URL, a
    volume id, ``kube:context/namespace``…); ``name`` is what a human calls it.
    """

    kind: str  # file, directory, repository, git-remote, database, table, volume, bucket, ...
    name: str
    verb: str  # dotted: "fs.delete", "git.reset.hard", "sql.drop_table", "railway.volumeDelete"
    risk: Risk
    reversible: bool = False
    tool: str = ""  # the pack (or parser) that recognised it
    locator: str = ""
    detail: str = ""
    unresolved: bool = False  # name came from a variable, glob or command output we cannot see
    # Filled in by resolve:
    env: str = ""
    resource: str = ""  # inventory resource name, "" when nothing matched
    protected: bool = False
    production: bool = True
    sandbox: bool = False
    local: bool = False  # the agent's own workspace or a temp dir: not subject to scope
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "verb": self.verb,
            "risk": self.risk.label,
            "reversible": self.reversible,
            "env": self.env or "unknown",
        }
        if self.tool:
            out["tool"] = self.tool
        if self.resource:
            out["resource"] = self.resource
        if self.protected:
            out["protected"] = True
        if self.unresolved:
            out["unresolved"] = True
        if self.detail:
            out["detail"] = self.detail
        return out


FlagKind = Literal["unparsed", "credential", "secret-read", "guard-tamper"]


@dataclass(frozen=True, slots=True)
class Flag:
    """Something about the action as a whole that policy must weigh.

    - ``unparsed``: part of the action could not be understood (it is held, never allowed)
    - ``credential``: a raw credential literal appears in the action (never the secret itself)
    - ``secret-read``: the action reads a file that holds live credentials
    - ``guard-tamper``: the action writes Airlock's own config, data dir or an agent's hook settings
    """

    kind: FlagKind
    detail: str


@dataclass(slots=True)
class Assessment:
    """classify's output: every target and flag of one action."""

    action: Action
    targets: list[Target] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # files read to classify it

    @property
    def risk(self) -> Risk:
        worst = max((t.risk for t in self.targets), default=Risk.READ)
        if any(f.kind in ("unparsed", "guard-tamper") for f in self.flags):
            worst = max(worst, Risk.DESTRUCTIVE)
        return worst

    def flag(self, kind: FlagKind, detail: str) -> None:
        f = Flag(kind, detail)
        if f not in self.flags:
            self.flags.append(f)


@dataclass(slots=True)
class Decision:
    """decide's output. ``policies`` names the Cedar policies that determined it."""

    decision: DecisionKind
    risk: Risk
    targets: list[Target]
    reasons: list[str]
    flags: list[Flag] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    undo_point: str = ""  # allowed because this undo point was taken first (u-…)
    # the files the decision read (a script, a Makefile, a request body) → sha256 of what
    # they held then ("" when unreadable): an approval is bound to these contents too
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return {"allow": 0, "hold": 3, "deny": 4}[self.decision]

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "risk": self.risk.label,
            "targets": [t.to_json() for t in self.targets],
            "reasons": list(self.reasons),
            "flags": [{"kind": f.kind, "detail": f.detail} for f in self.flags],
            "policies": list(self.policies),
            **({"undo_point": self.undo_point} if self.undo_point else {}),
            **({"inputs": dict(self.inputs)} if self.inputs else {}),
        }
