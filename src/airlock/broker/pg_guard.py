"""What the database gateway refuses whatever the policy says: the ways a session could
slip out of the decision on later statements, or out of the database it was given.

Through the gateway every statement is decided; these would make that moot — become
another role (``SET ROLE``, ``SET SESSION AUTHORIZATION``, ``set_config('role', …)``),
change the server (``ALTER SYSTEM``, ``pg_reload_conf()``), run or read things on the
server's machine (``COPY … PROGRAM``, ``COPY`` to or from a server file,
``lo_import``/``lo_export``, ``pg_read_file`` and kin, untrusted procedural languages),
load code (``CREATE EXTENSION``, ``LOAD``), reach other servers (``dblink``,
``postgres_fdw``: foreign servers, user mappings, foreign tables), or end other sessions
(``pg_terminate_backend``/``pg_cancel_backend``), or open another way in (a role's
password set or changed, LOGIN granted, ``CREATE USER``). The startup packet's own escapes
(``replication``, ``options=-c role=…``) are refused by :func:`startup_problem`.

The statement is parsed by pglast (PostgreSQL's own parser); text it cannot parse is
left to the SQL classifier, which holds what it cannot read.
"""

from __future__ import annotations

import shlex
from typing import Any

from pglast import ast, parse_sql
from pglast.enums.parsenodes import RoleStmtType, VariableSetKind
from pglast.parser import ParseError
from pglast.visitors import Visitor

ROLE_SETTINGS = frozenset({"role", "session_authorization"})
FUNCTIONS = {
    "lo_import": "reads a file on the database server",
    "lo_export": "writes a file on the database server",
    "pg_read_file": "reads a file on the database server",
    "pg_read_binary_file": "reads a file on the database server",
    "pg_ls_dir": "lists a directory on the database server",
    "pg_stat_file": "reads file metadata on the database server",
    "pg_file_write": "writes a file on the database server",
    "pg_file_rename": "renames a file on the database server",
    "pg_file_unlink": "removes a file on the database server",
    "pg_reload_conf": "reloads the server's configuration",
    "pg_rotate_logfile": "acts on the server's log files",
    "pg_promote": "promotes a standby server",
    "pg_terminate_backend": "ends another session",
    "pg_cancel_backend": "cancels another session's statement",
    "dblink": "runs SQL on another server",
    "dblink_exec": "runs SQL on another server",
    "dblink_connect": "connects to another server",
    "dblink_connect_u": "connects to another server",
    "dblink_send_query": "runs SQL on another server",
}
UNTRUSTED_LANGUAGES = frozenset({"c", "internal", "plpythonu", "plpython2u", "plpython3u",
                                 "plperlu", "pltclu", "plsh"})
STATEMENTS = {
    ast.AlterSystemStmt: "ALTER SYSTEM changes the server's configuration",
    ast.CreateExtensionStmt: "CREATE EXTENSION loads code into the server",
    ast.LoadStmt: "LOAD loads a shared library into the server",
    ast.CreateFdwStmt: "a foreign-data wrapper reaches other servers",
    ast.CreateForeignServerStmt: "a foreign server reaches another server",
    ast.AlterForeignServerStmt: "a foreign server reaches another server",
    ast.CreateUserMappingStmt: "a user mapping carries credentials for another server",
    ast.AlterUserMappingStmt: "a user mapping carries credentials for another server",
    ast.ImportForeignSchemaStmt: "IMPORT FOREIGN SCHEMA reaches another server",
    ast.CreateForeignTableStmt: "a foreign table reaches another server",
}
# startup parameters passed on to the server; anything else is refused at connect
STARTUP_PARAMS = frozenset({"application_name", "client_encoding", "datestyle", "timezone",
                            "extra_float_digits", "search_path", "intervalstyle",
                            "statement_timeout", "lock_timeout",
                            "idle_in_transaction_session_timeout", "options",
                            "standard_conforming_strings", "bytea_output", "jit",
                            "default_transaction_isolation", "default_transaction_read_only",
                            "fallback_application_name"})
OPTION_SETTINGS = STARTUP_PARAMS - {"options"}


def _const(node: Any) -> str | None:
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return str(node.val.sval).lower()
    return None


class _Escapes(Visitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_VariableSetStmt(self, _anc: Any, node: Any) -> None:
        if (node.name or "").lower() in ROLE_SETTINGS and \
                node.kind not in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_RESET_ALL):
            self.found.append(f"SET {node.name.upper()} would act as another role")

    def visit_FuncCall(self, _anc: Any, node: Any) -> None:
        name = str(node.funcname[-1].sval).lower()
        if name in FUNCTIONS:
            self.found.append(f"{name}() {FUNCTIONS[name]}")
        elif name == "set_config":
            first = _const(node.args[0]) if node.args else None
            if first is None or first in ROLE_SETTINGS:
                self.found.append("set_config() of the role (or of a setting Airlock cannot "
                                  "read) would act as another role")

    def visit_CopyStmt(self, _anc: Any, node: Any) -> None:
        if node.is_program:
            self.found.append("COPY … PROGRAM runs a program on the database server")
        elif node.filename:
            self.found.append("COPY to or from a file on the database server")

    def visit_CreateFunctionStmt(self, _anc: Any, node: Any) -> None:
        for opt in node.options or ():
            if opt.defname == "language" and str(opt.arg.sval).lower() in UNTRUSTED_LANGUAGES:
                self.found.append(f"a function in language {opt.arg.sval} runs outside "
                                  "the database's sandbox")

    def visit_DoStmt(self, _anc: Any, node: Any) -> None:
        for opt in node.args or ():
            if opt.defname == "language" and str(opt.arg.sval).lower() in UNTRUSTED_LANGUAGES:
                self.found.append(f"a DO block in language {opt.arg.sval} runs outside "
                                  "the database's sandbox")

    def __call__(self, tree: Any) -> None:  # the statements the visitor does not dispatch
        for raw in tree:
            for cls, why in STATEMENTS.items():
                if isinstance(raw.stmt, cls):
                    self.found.append(why)
            if isinstance(raw.stmt, (ast.CreateRoleStmt, ast.AlterRoleStmt)):
                login = _login(raw.stmt)
                if login:
                    self.found.append(login)
        super().__call__(tree)


def _login(stmt: Any) -> str | None:
    """A role the agent could log in as directly, bypassing the gateway: a password set or
    changed (the gateway's own upstream role's included), LOGIN granted, CREATE USER."""
    for opt in stmt.options or ():
        if opt.defname == "password":
            return ("setting a role's password would give a way in that does not pass "
                    "through the gateway")
        if opt.defname == "canlogin" and getattr(opt.arg, "boolval", True):
            return "a role that can log in would give a way in that does not pass the gateway"
    if isinstance(stmt, ast.CreateRoleStmt) and stmt.stmt_type == RoleStmtType.ROLESTMT_USER:
        return "CREATE USER makes a role that can log in, around the gateway"
    return None


def escapes(sql: str) -> list[str]:
    """Why this SQL is refused at the gateway whatever the policy ([] when it is not)."""
    try:
        tree = parse_sql(sql)
    except ParseError:
        return []  # the classifier holds what it cannot parse
    return escapes_in(tree)


def escapes_in(tree: Any) -> list[str]:
    """:func:`escapes` of statements already parsed (``parse_sql``)."""
    found = _Escapes()
    found(tree)
    return list(dict.fromkeys(found.found))


def startup_problem(params: dict[str, str]) -> str | None:
    """Why a startup packet is refused: replication, or a parameter that is not a plain
    session setting (``options`` may carry only ``-c`` settings of the same list)."""
    for key, value in params.items():
        low = key.lower()
        if low == "replication":
            return "the replication protocol is not available through the gateway"
        if low in ("user", "database"):
            continue
        if low not in STARTUP_PARAMS:
            return f"the startup parameter {key!r} is not passed on by the gateway"
        if low == "options":
            why = _options_problem(value)
            if why:
                return why
    return None


def _options_problem(value: str) -> str | None:
    try:
        words = shlex.split(value)
    except ValueError:
        return "options Airlock cannot read"
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            setting, i = words[i + 1], i + 2
        elif word.startswith("-c") or word.startswith("--"):
            setting, i = word[2:], i + 1
        else:
            return f"options {word!r}: only -c NAME=VALUE session settings are passed on"
        name = setting.partition("=")[0].strip().lower().replace("-", "_")
        if name not in OPTION_SETTINGS:
            return f"options: the setting {name!r} is not passed on by the gateway"
    return None
