"""``airlock hook run <tool>``: answer one agent tool call in that tool's own hook protocol.

The tool's adapter (:mod:`airlock.intake.hooks`) parses the payload into a
:class:`~airlock.intake.hooks.HookRequest`; this module turns it into an Airlock decision
and the adapter renders the answer.

- **shell** → ``Action(kind="shell")`` through the Checker (classify → resolve → decide);
  a destructive action inside the workspace may be allowed with an undo point taken
  first (:mod:`airlock.protect.undo_gate`), and the answer names it.
- **file_write** → a write to a guard file (Airlock's config, policy files and data dir,
  the agent tools' hook settings) is denied; a write inside the workspace or a temp dir is
  allowed; anything else is classified as ``tee PATH…`` would be.
- **file_read** → denied when the file holds live credentials
  (:func:`airlock.classify.guards.is_secret_file`, the config's ``secret_files`` and the
  ``airlock scan --write-denylist`` list) or lies in Airlock's data dir; allowed otherwise.
  A content search (Claude Code's ``Grep``) reads every file it would search: the tree is
  walked as the tool would (:mod:`airlock.classify.secret_search`, bounded; a tree too
  large to finish is refused) and a secret file in it, unless the search's ``glob`` or
  ``type`` leaves it out, denies the search.
  This is the one answer that needs neither the config nor the policy engine, so it
  stays available when they are broken.
- **mcp** → ``Action(kind="mcp", command=<canonical JSON of server, tool, arguments>)``;
  the classifier holds MCP calls until the MCP proxy classifies them.
- **other** (a tool Airlock installs no matcher for, e.g. Claude Code's TodoWrite) →
  allow. Every adapter's "allow" is "no objection": it never widens what the agent
  tool's own permission rules would have asked about.

**Hold.** When an Airlock server is reachable (``AIRLOCK_SERVER``, default
``http://127.0.0.1:8750``; agent token from ``AIRLOCK_TOKEN`` or ``$AIRLOCK_HOME/agent-token``)
the held action is submitted to it (``POST /v1/actions``), and the agent is told the
request id and the approval URL. The service binds an approval to the action's
fingerprint: once a human approved (and the cooldown passed), the identical action
submitted again comes back ``allow`` exactly once; this module passes that through.
Without a server a hold is refused with instructions. A hold is always rendered as the
tool's *deny* with a message, never as ``ask``: Claude Code auto-approves ``ask`` in
``bypassPermissions`` mode, Codex ignores it and runs the call, Cursor ignores it in
Auto-review, Gemini CLI has none (see the adapters' docstrings) — and even where ``ask``
would be honoured it turns the approval into a click in the agent's own UI, which is not
the authenticated, out-of-band second key Airlock promises (DESIGN.md, G1).

**Fail closed.** Any exception, a payload that is not what the tool promises, or no
answer within the deadline (:data:`~airlock.intake.hooks.ANSWER_DEADLINE_SECONDS`, well
before the hook timeout after which some tools let the call through) renders ``error``:
a refusal that says how to recover. An unknown tool name exits 2 (every supported tool
reads exit 2 as "block").

Runs both in a plain process and inside the resident daemon, so it takes its streams,
working directory and environment as arguments. Standard library only at import time;
the Checker is imported when a decision needs it.
"""

from __future__ import annotations

import json
import os
import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from airlock.hold.client import (
    DEFAULT_SERVER,
    ServiceClient,
    ServiceError,
    ServiceUnavailable,
    agent_token,
    airlock_home,
)
from airlock.intake.hooks import (
    ANSWER_DEADLINE_SECONDS,
    TOOLS,
    HookAdapter,
    HookPayloadError,
    HookRequest,
)
from airlock.intake.hooks import adapter as get_adapter

if TYPE_CHECKING:
    from airlock.action import Action, Decision
    from airlock.pipeline import Checker

__all__ = ["DEFAULT_SERVER", "Answer", "ServiceClient", "ServiceError", "ServiceUnavailable",
           "agent_token", "airlock_home", "run_hook", "submit_hold"]

EXIT_USAGE = 2
# Seconds kept in hand between our own deadline and the tool's hook timeout.
_MARGIN = 2.0
_MAX_GLOB = 5000
_NO_WORKAROUND = ("Do not look for other credentials or other ways to do this, and do not "
                  "retry it in another form.")

USAGE = f"""usage: airlock hook run TOOL < payload.json

Answer one agent tool call, read from stdin in TOOL's hook protocol, in that protocol.
TOOL is one of: {", ".join(TOOLS)}. Installed by `airlock hook install TOOL`.
"""


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: str  # allow | hold | deny | error
    user: str = ""  # shown to the human
    agent: str = ""  # shown to the agent (the reason it reads)


# --------------------------------------------------------------------------- entry point


def run_hook(argv: list[str], stdin: bytes, out: IO[str], err: IO[str], cwd: str,
             env: Mapping[str, str]) -> int:
    """``airlock hook run <tool>``: read the payload (``stdin``), write the answer to
    ``out`` in the tool's protocol, return the exit code the tool expects."""
    started = time.monotonic()
    if argv and argv[0] in ("-h", "--help"):
        out.write(USAGE)
        return 0
    if len(argv) != 1:
        err.write("airlock hook run: name exactly one agent tool\n" + USAGE)
        return EXIT_USAGE
    tool = argv[0]
    try:
        adapter = get_adapter(tool)
    except KeyError as exc:
        err.write(f"airlock hook run: {exc.args[0]}\n")
        return EXIT_USAGE
    budget = max(1.0, ANSWER_DEADLINE_SECONDS - _MARGIN - (time.monotonic() - started))
    answer = answer_within(adapter, tool, stdin, cwd, env, budget)
    try:
        text, code = adapter.render(answer.outcome, answer.user, agent_message=answer.agent)
    except Exception as exc:  # noqa: BLE001 - exit 2 blocks in every supported tool
        err.write(f"airlock hook run: cannot answer ({type(exc).__name__}: {exc}); blocked\n")
        return EXIT_USAGE
    out.write(text + "\n")
    from airlock.system import single_user_notice

    notice = single_user_notice(airlock_home(env), "hook")
    if notice:
        err.write(f"airlock hook run {tool}: note: {notice}\n")
    if answer.outcome == "error":
        err.write(f"airlock hook run {tool}: {answer.user}\n")
    return code


def answer_within(adapter: HookAdapter, tool: str, stdin: bytes, cwd: str,
                  env: Mapping[str, str], budget: float) -> Answer:
    """:func:`answer`, or an ``error`` answer when it takes longer than ``budget`` s."""
    box: list[Answer] = []

    def work() -> None:
        try:
            box.append(answer(adapter, tool, stdin, cwd, env, time.monotonic() + budget))
        except BaseException as exc:  # noqa: BLE001 - fail closed, whatever happened
            box.append(error_answer(tool, f"{type(exc).__name__}: {exc}"))

    worker = threading.Thread(target=work, name="airlock-hook", daemon=True)
    worker.start()
    worker.join(budget)
    if box:
        return box[0]
    return error_answer(tool, f"Airlock did not reach a decision within {budget:.0f} s")


def answer(adapter: HookAdapter, tool: str, stdin: bytes, cwd: str,
           env: Mapping[str, str], deadline: float) -> Answer:
    try:
        payload = json.loads(stdin.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return error_answer(tool, f"the hook payload is not JSON ({exc})")
    try:
        request = adapter.parse(payload)
    except HookPayloadError as exc:
        return error_answer(tool, f"unexpected hook payload: {exc}")
    work = workdir(request.cwd, cwd)
    try:
        return evaluate(request, work, env, deadline)
    except Exception as exc:  # noqa: BLE001 - fail closed
        detail = f"{type(exc).__name__}: {exc}"
        if request.kind == "file_read":
            try:  # reading a file that holds no credentials is safe to allow regardless
                if not secret_reads(request, work, env, use_config=False):
                    return Answer("allow")
            except Exception:  # noqa: BLE001 - fall through to the refusal
                pass
        return error_answer(tool, detail)


def workdir(payload_cwd: str, cwd: str) -> str:
    """The directory the call runs in: the payload's ``cwd`` when it exists, else ours."""
    if payload_cwd:
        path = os.path.normpath(os.path.join(cwd, os.path.expanduser(payload_cwd)))
        if os.path.isdir(path):
            return path
    return os.path.abspath(cwd)


# --------------------------------------------------------------------------- decisions


def evaluate(request: HookRequest, work: str, env: Mapping[str, str],
             deadline: float) -> Answer:
    """The answer for one parsed request, submitting holds to the server if one runs."""
    texts = [request.command or "", request.path or "", *(request.paths or ())]
    if any("\x00" in t for t in texts):  # what runs would not be what Airlock reads
        why = "it contains a NUL byte: what would run is not what Airlock can read"
        return Answer("deny", f"Airlock denied this call: {why}.",
                      f"Airlock denied this call: {why}. {_NO_WORKAROUND}")
    if request.kind == "file_read":
        return file_read(request, work, env)
    if request.kind == "other":
        return Answer("allow")
    if request.kind == "file_write":
        try:
            checker = _checker(work, env)
        except Exception:
            # the config is broken: a write to a guard file is still a plain deny
            guarded = guard_write(request, work, None, env.get("HOME") or None)
            if guarded is not None:
                return guarded
            raise
    else:
        checker = _checker(work, env)
    from airlock.action import Action

    agent = env.get("AIRLOCK_AGENT") or checker.config.agent
    # the config's [agent] scope binds; in a system install the service sets
    # AIRLOCK_SCOPE from the token the caller presented (and at the server the token's
    # scope binds the hold)
    scope = env.get("AIRLOCK_SCOPE") or None
    home = env.get("HOME") or None
    if request.kind == "shell":
        from airlock.protect import undo_gate

        # the action an earlier undo point was taken for is over by now
        undo_gate.settle_pending(checker.config.data_dir, work, home)
        action = Action(command=request.command, kind="shell", scope=scope, cwd=work,
                        agent=agent, home=home)
        decision, _ = undo_gate.decide(checker, action, checker.check(action),
                                       checker.config.data_dir)
        return from_decision(decision, action, _describe_command(request.command, decision),
                             env, deadline)
    if request.kind == "file_write":
        return file_write(request, work, env, checker, agent, scope, deadline)
    if request.kind == "mcp":
        command = json.dumps({"server": request.mcp_server, "tool": request.mcp_tool,
                              "arguments": request.arguments}, sort_keys=True,
                             separators=(",", ":"), ensure_ascii=False)
        action = Action(command=command, kind="mcp", scope=scope, cwd=work, agent=agent,
                        home=home)
        decision = checker.check(action)
        what = f"the MCP call {request.mcp_server or '?'}/{request.mcp_tool or '?'}"
        return from_decision(decision, action, what, env, deadline)
    return error_answer(request.tool, f"Airlock does not know request kind {request.kind!r}")


def _checker(work: str, env: Mapping[str, str]) -> Checker:
    from airlock.pipeline import checker_for

    return checker_for(None, work, env)


def abspath(path: str, work: str, home: str | None = None) -> str:
    """``path`` made absolute against ``work``, ``~`` being the agent's ``home``."""
    if home and (path == "~" or path.startswith("~/")):
        path = home + path[1:]
    path = os.path.expanduser(path)
    return os.path.normpath(os.path.join(work, path))


def _write_paths(request: HookRequest, work: str, home: str | None = None) -> list[str]:
    paths = [abspath(p, work, home) for p in (request.paths or (request.path,)) if p]
    if not paths:
        raise HookPayloadError("a file write that names no file")
    return paths


def guard_write(request: HookRequest, work: str, config: Any,
                home: str | None = None) -> Answer | None:
    """A deny when the write touches a guard file, else None."""
    from airlock.classify.command import ClassifyContext
    from airlock.classify.guards import touches_guard

    ctx = ClassifyContext(cwd=work, home=home or os.path.expanduser("~"), config=config)
    for path in _write_paths(request, work, home):
        for probe in {path, os.path.realpath(path)}:
            if touches_guard(probe, ctx):
                what = f"writing {path}"
                why = ("it is Airlock's own configuration or data, or an agent tool's hook "
                       "settings, which no agent may change from any surface")
                return Answer(
                    "deny", f"Airlock denied {what}: {why}.",
                    f"Airlock denied {what}: {why}. {_NO_WORKAROUND} If the change is "
                    "really needed, ask the user to make it themselves.")
    return None


def file_write(request: HookRequest, work: str, env: Mapping[str, str], checker: Checker,
               agent: str, scope: str | None, deadline: float) -> Answer:
    from airlock.action import Action
    from airlock.paths import in_temp, within, workspace_root

    home = env.get("HOME") or None
    guarded = guard_write(request, work, checker.config, home)
    if guarded is not None:
        return guarded
    paths = _write_paths(request, work, home)
    root = workspace_root(work, home)

    def local(p: str) -> bool:
        return within(p, root) or in_temp(p)

    # a symlink inside the workspace that points out of it is a write outside it
    outside = [p for p in paths if not (local(p) and local(os.path.realpath(p)))]
    if not outside:
        from airlock.protect import undo_gate

        data_dir = checker.config.data_dir
        undo_gate.settle_pending(data_dir, work, home)
        point = undo_gate.for_edits(paths, work, home, data_dir, agent)
        if point is not None:  # what git could not give back, kept first
            note = (f"Airlock: undo point {point.id} keeps what this write replaces "
                    f"(`airlock undo {point.id}` brings it back)")
            return Answer("allow", note, note)
        return Answer("allow")
    command = "tee " + " ".join(shlex.quote(p) for p in outside)
    action = Action(command=command, kind="shell", scope=scope, cwd=work, agent=agent)
    decision = checker.check(action)
    what = "writing " + ", ".join(outside[:3]) + (" …" if len(outside) > 3 else "")
    return from_decision(decision, action, what, env, deadline)


def secret_reads(request: HookRequest, work: str, env: Mapping[str, str], *,
                 use_config: bool = True) -> list[tuple[str, str]]:
    """(file, why) for each file this read would touch that holds live credentials or
    Airlock's own data."""
    from airlock.classify.denylist import load_denylist
    from airlock.classify.guards import is_secret_file
    from airlock.paths import within

    home = airlock_home(env)
    extra: list[str] = list(load_denylist(home))
    if use_config:
        try:
            from airlock.config import load_config

            extra.extend(load_config(None, work, env).secret_files)
        except Exception:  # noqa: BLE001 - a broken config: built-in patterns still apply
            pass
    extras = tuple(extra)
    found: list[tuple[str, str]] = []
    search = _tool_search(request, work, env)
    if search is not None:
        from airlock.classify.guards import describe_search_refusal, is_secret_entry
        from airlock.classify.secret_search import find_secret_reads

        def secret(p: str, is_dir: bool) -> bool:
            return within(p, home) or is_secret_entry(p, is_dir, extras)

        out = find_secret_reads(search, secret)
        if out.found or not out.complete:
            why = describe_search_refusal(search, out.found, out.complete, work)
            for p in out.found or list(search.roots):
                found.append((p, why))
            return found
    for pattern in request.paths or ((request.path,) if request.path else ()):
        if search is not None and os.path.isdir(abspath(pattern, work, env.get("HOME") or None)):
            continue  # walked above, as the tool searches it
        for path in _expand(abspath(pattern, work, env.get("HOME") or None)):
            probes = {path, os.path.realpath(path)}
            if any(within(p, home) for p in probes):
                found.append((path, "it is Airlock's own data (keys, tokens, state)"))
            elif any(is_secret_file(p, extras) for p in probes):
                found.append((path, "it holds live credentials; agents use Airlock-issued "
                                    "tokens, never the real credentials"))
    return found


def _tool_search(request: HookRequest, work: str, env: Mapping[str, str]) -> Any:
    """How an agent tool's own content search walks (Claude Code's ``Grep``: ripgrep over
    ``path`` limited by ``glob`` and ``type``), or None for a plain read.

    The Grep tool runs ripgrep with its defaults: hidden files and directories skipped,
    ``.gitignore``/``.ignore``/``.rgignore`` honoured (users report exactly that: it finds
    nothing in ``~/.config`` or in ignored paths), and a ``glob`` overrides both, as
    ``rg -g`` does. So a gitignored ``.env`` is not searched; ``glob: ".env*"`` is."""
    if request.tool != "claude-code" or request.raw_tool_name != "Grep":
        return None
    from airlock.classify.secret_search import RG_TYPES, Search

    args = request.arguments
    root = abspath(request.path or ".", work, env.get("HOME") or None)
    includes: list[str] = []
    excludes: list[str] = []
    glob = args.get("glob")
    if isinstance(glob, str) and glob.strip():
        for g in glob.split():  # the widest reading: each word a glob
            (excludes if g.startswith("!") else includes).append(g.lstrip("!"))
    kind = args.get("type")
    if isinstance(kind, str) and kind.strip():
        includes.extend(RG_TYPES.get(kind.strip(), (f"*.{kind.strip()}",)))
    return Search(roots=(root,), tool="the Grep tool", hidden=False,
                  ignore_files=(".gitignore", ".ignore", ".rgignore"),
                  includes=tuple(includes), excludes=tuple(excludes), overrides=True)


def _expand(path: str) -> list[str]:
    """``path`` itself, or what a glob or a directory read would read (bounded; an
    expansion too large to check raises, which refuses the read)."""
    if any(c in path for c in "*?["):
        import glob

        out = []
        for i, match in enumerate(glob.iglob(path, recursive=True, include_hidden=True)):
            if i >= _MAX_GLOB:
                raise ValueError(f"{path} matches more than {_MAX_GLOB} files")
            out.extend(_expand_dir(match) if os.path.isdir(match) else [match])
        return out
    if os.path.isdir(path):
        return _expand_dir(path)
    return [path]


def _expand_dir(path: str) -> list[str]:
    out = [path]
    for base, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules")]
        out.extend(os.path.join(base, f) for f in files)
        if len(out) > _MAX_GLOB:
            raise ValueError(f"{path} holds more than {_MAX_GLOB} files")
    return out


def file_read(request: HookRequest, work: str, env: Mapping[str, str]) -> Answer:
    found = secret_reads(request, work, env)
    if not found:
        return Answer("allow")
    names = ", ".join(p for p, _ in found[:3]) + (" …" if len(found) > 3 else "")
    why = found[0][1]
    return Answer(
        "deny", f"Airlock denied reading {names}: {why}.",
        f"Airlock denied reading {names}: {why}. {_NO_WORKAROUND} If the task needs access "
        "to a system, ask the user for an Airlock token scoped to it.")


def _describe_command(command: str, decision: Decision) -> str:
    if any(f.kind == "credential" for f in decision.flags):
        return "this command (not repeated here: it contains a credential)"
    text = " ".join(command.split())
    if len(text) > 120:
        text = text[:117] + "..."
    return f"`{text}`"


def _reasons(reasons: list[str]) -> str:
    picked = [r.rstrip(".") for r in reasons[:3] if r.strip()]
    return "; ".join(picked) if picked else "Airlock's policy requires it"


def from_decision(decision: Decision, action: Action, what: str, env: Mapping[str, str],
                  deadline: float) -> Answer:
    if decision.decision == "allow":
        if decision.undo_point:  # one line the agent can pass on to its human
            note = f"Airlock: {decision.reasons[0]}"
            return Answer("allow", note, note)
        return Answer("allow")
    reasons = _reasons(decision.reasons)
    if decision.decision == "deny":
        return Answer(
            "deny", f"Airlock denied {what}: {reasons}.",
            f"Airlock denied {what}: {reasons}. {_NO_WORKAROUND} If the task really needs "
            "it, stop and explain to the user why.")
    return submit_hold(action, what, reasons, env, deadline)


# --------------------------------------------------------------------------- hold service


def submit_hold(action: Action, what: str, reasons: str, env: Mapping[str, str],
                deadline: float) -> Answer:
    """Hand a held action to the hold service; the answer tells the agent what now."""
    client = ServiceClient.from_env(env)
    remaining = deadline - time.monotonic()
    timeout = max(0.5, min(5.0, remaining - 1.0))
    if not client.token:
        if client.health(timeout=min(timeout, 1.0)):
            return refuse_hold(what, reasons, client.base, problem=(
                f"an Airlock server runs at {client.base}, but this agent has no Airlock "
                "token (AIRLOCK_TOKEN or $AIRLOCK_HOME/agent-token)"), fix=(
                "issue one with `airlock token issue --agent NAME` and save it to "
                "$AIRLOCK_HOME/agent-token"))
        return refuse_hold(what, reasons, client.base)
    try:
        result = client.submit(action, timeout=timeout)
    except ServiceUnavailable:
        return refuse_hold(what, reasons, client.base)
    except ServiceError as exc:
        fix = ("issue a new agent token with `airlock token issue --agent NAME`"
               if exc.status in (401, 403) else "see the server's log")
        return refuse_hold(what, reasons, client.base,
                           problem=f"the Airlock server at {client.base} refused the "
                           f"request ({exc})", fix=fix)
    return from_service(result, what, client)


def from_service(result: dict[str, Any], what: str, client: ServiceClient) -> Answer:
    decision = result.get("decision")
    reasons = _reasons([str(r) for r in result.get("reasons") or []])
    if decision == "allow":
        return Answer("allow")
    if decision == "deny":
        return Answer(
            "deny", f"Airlock denied {what}: {reasons}.",
            f"Airlock denied {what}: {reasons}. {_NO_WORKAROUND} If the task really needs "
            "it, stop and explain to the user why.")
    rid = str(result.get("request") or result.get("id") or "")
    if decision != "hold" or not rid:
        raise ServiceError(200, f"unexpected answer from the server: decision {decision!r}")
    url = str(result.get("url") or client.url_for(rid))
    state = str(result.get("state") or "pending")
    if state in ("cooling", "approved"):
        left = float(result.get("cooldown_remaining") or 0)
        wait = f"{left:.0f} s" if left else "a short while"
        return Answer(
            "hold",
            f"Airlock: request {rid} for {what} is approved and cooling down ({wait} left; "
            f"anyone can still abort it at {url}).",
            f"Request {rid} for {what} is approved but in its cooldown for {wait} more. "
            f"{_NO_WORKAROUND} Wait, then run exactly the same command again: it will be "
            "allowed once.")
    return Answer(
        "hold",
        f"Airlock is holding {what} as request {rid} ({reasons}). Approve or reject it at "
        f"{url}",
        f"Airlock held {what} as request {rid} for human approval at {url} ({reasons}). "
        f"{_NO_WORKAROUND} Tell the user it waits for their approval at that URL; once they "
        "have approved, run exactly the same command again (the approval allows that "
        "identical action once).")


def refuse_hold(what: str, reasons: str, server: str, *, problem: str = "",
                fix: str = "") -> Answer:
    problem = problem or f"no Airlock server is reachable at {server} to take the approval"
    fix = fix or ("start `airlock serve` (and give the agent a token with `airlock token "
                  "issue --agent NAME`), or run the command yourself")
    return Answer(
        "hold",
        f"Airlock refused {what}: it needs a human's approval ({reasons}), but {problem}. "
        f"To go ahead: {fix}.",
        f"Airlock refused {what}: it needs a human's approval ({reasons}) and no approval "
        f"can be requested right now. {_NO_WORKAROUND} Stop and tell the user that this "
        "action needs their approval.")


def error_answer(tool: str, detail: str) -> Answer:
    detail = " ".join(detail.split())[:300]
    return Answer(
        "error",
        f"Airlock could not check this call ({detail}), so it is blocked (Airlock fails "
        f"closed). To recover: `airlock config check`; `airlock daemon --stop` if the "
        f"daemon is stuck; replay the call with `AIRLOCK_NO_DAEMON=1 airlock hook run "
        f"{tool} < payload.json` to see the error; `airlock hook uninstall {tool}` removes "
        "the hook.",
        f"Airlock could not check this call and blocked it (fail closed): {detail}. Do not "
        "try to work around it; tell the user that Airlock's hook is failing so they can "
        "fix it.")
