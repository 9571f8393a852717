"""The decision socket of a system install: ``check`` and ``hook run``, answered by the
service for callers on this machine.

``airlock serve`` running as the service user listens on the pin's socket
(``/run/airlock/airlock.sock``, in a directory only the service user can create files
in). The agent's client (``client.py``) forwards its argv, working directory, stdin and a
few environment variables, and checks with ``SO_PEERCRED`` that the answer comes from
the service's uid. Here the call is answered with the service's own configuration:

- of the caller's environment only ``AIRLOCK_TOKEN``, ``HOME`` and ``CLAUDE_PROJECT_DIR``
  are used — ``AIRLOCK_CONFIG``, ``AIRLOCK_HOME``, ``AIRLOCK_SERVER``, ``AIRLOCK_AGENT``
  and the rest are dropped, so nothing the agent sets moves the decision elsewhere;
- the token decides who the agent is and binds its scope (an invalid or missing token:
  the config's ``[agent]``);
- a project ``airlock.toml`` only tightens (``config.py``), and what it tried that would
  have loosened is recorded in the ledger once (``config-refused``).

Holds go to this same service over its HTTP API (the pin's URL), as from any client.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airlock.instance import Instance

# What the service takes from a caller's environment.
CALLER_ENV = ("AIRLOCK_TOKEN", "HOME", "CLAUDE_PROJECT_DIR")


def home_of(uid: int | None) -> str:
    if uid is not None:
        try:
            return pwd.getpwuid(uid).pw_dir
        except KeyError:
            pass
    return "/nonexistent"


class ServiceHandler:
    """Answers one forwarded call (see :class:`airlock.daemon.Daemon`)."""

    def __init__(self, ctx: Instance) -> None:
        self.ctx = ctx
        self._recorded: set[str] = set()
        self._lock = threading.Lock()

    def caller_env(self, env: dict[str, str], uid: int | None) -> dict[str, str]:
        """What the service uses of a caller's environment, and who the caller is."""
        out = {k: env[k] for k in CALLER_ENV if k in env}
        token = out.get("AIRLOCK_TOKEN", "").strip()
        out["AIRLOCK_TOKEN"] = token  # present, maybe empty: the service reads no file
        # holds go to this very server (a system install: the pin's URL, whatever is set)
        out["AIRLOCK_SERVER"] = self.ctx.service.base_url
        if not out.get("HOME"):
            out["HOME"] = home_of(uid)
        if token:
            from airlock.broker import tokens

            principal = tokens.lookup_cached(self.ctx.store, token)
            if principal is not None:
                out["AIRLOCK_AGENT"] = principal.agent.agent
                if principal.scope:
                    out["AIRLOCK_SCOPE"] = principal.scope
        return out

    def __call__(self, argv: list[str], cwd: str, env: dict[str, str], stdin: bytes,
                 uid: int) -> tuple[int, str, str]:
        env = self.caller_env(env, uid)
        out, err = io.StringIO(), io.StringIO()
        if argv and argv[0] == "check":
            from airlock.cli.check import run_check

            code = run_check(argv[1:], io.StringIO(stdin.decode("utf-8", "replace")), out,
                             err, cwd, env)
        elif argv[:2] == ["hook", "run"]:
            from airlock.intake.hook_runner import run_hook

            code = run_hook(argv[2:], stdin, out, err, cwd, env)
        else:
            return 2, "", f"airlock: the service cannot run {' '.join(argv[:2])!r}\n"
        self.record_refusals(cwd, env, uid)
        return code, out.getvalue(), err.getvalue()

    def http_hook(self, tool: str, body: bytes, token: str, home: str) -> tuple[int, str]:
        """``POST /v1/hooks/TOOL`` (Claude Code's HTTP hooks): the payload a command hook
        would read on stdin, answered with what it would print. (status, body)."""
        from airlock.intake.hook_runner import ANSWER_DEADLINE_SECONDS, answer_within
        from airlock.intake.hooks import adapter

        try:
            ad = adapter(tool)
        except KeyError as exc:
            return 404, json.dumps({"error": exc.args[0]})
        cwd = _payload_cwd(body)
        uid = None
        if not home and cwd:
            try:
                uid = os.stat(cwd).st_uid  # the workspace's owner: the agent's user
            except OSError:
                uid = None
        env = self.caller_env({"AIRLOCK_TOKEN": token, "HOME": home}, uid)
        got = answer_within(ad, ad.TOOL, body, cwd or "/", env, ANSWER_DEADLINE_SECONDS - 2)
        try:
            text, _code = ad.render(got.outcome, got.user, agent_message=got.agent)
        except Exception as exc:  # noqa: BLE001 - a refusal, whatever happened
            text = json.dumps({"error": f"cannot answer ({type(exc).__name__})"})
            return 500, text
        if cwd:
            self.record_refusals(cwd, env, uid if uid is not None else -1)
        return 200, text

    def record_refusals(self, cwd: str, env: dict[str, str], uid: int) -> None:
        """Put what a project config tried that would have loosened on the record, once
        per distinct warning."""
        try:
            from airlock.pipeline import checker_for

            warnings = checker_for(None, cwd, env).config.warnings
        except Exception:  # noqa: BLE001 - a broken config was answered already
            return
        with self._lock:
            new = [w for w in warnings if w not in self._recorded]
            self._recorded.update(new)
        if not new:
            return
        agent = env.get("AIRLOCK_AGENT") or f"uid:{uid}"
        with self.ctx.store.write() as conn:
            for warning in new:
                self.ctx.ledger.append(conn, "config-refused", agent, None,
                                       {"warning": warning[:2000], "cwd": cwd, "uid": uid})


def _payload_cwd(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    return cwd if isinstance(cwd, str) and os.path.isabs(cwd) else ""
