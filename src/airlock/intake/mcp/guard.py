"""The decision for one MCP tool call, shared by ``airlock mcp serve`` and ``airlock mcp proxy``.

:meth:`Guard.decide` runs the action through the Checker (classify → resolve → decide).
An allow runs the call; a deny is an error result with the reasons; a hold is handed to
the hold service (``AIRLOCK_SERVER``, agent token from ``AIRLOCK_TOKEN`` or
``$AIRLOCK_HOME/agent-token``) with the hook runner's client and wording, and comes back
as an error result carrying the request id and the approval URL. Once a human approved
the request, the *identical* call made again is allowed by the service exactly once.

A held or denied call is never reported as a success: the result has ``isError: true``
and ``structuredContent.airlock`` says ``{"decision": "hold", "request": …, "url": …}``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airlock.intake import hook_runner as hr

if TYPE_CHECKING:
    import mcp_types

    from airlock.action import Action, Decision
    from airlock.pipeline import Checker

HOLD_DEADLINE_SECONDS = 8.0


@dataclass
class Verdict:
    outcome: str  # allow | deny | hold | error
    message: str = ""  # for the agent
    request: str = ""
    url: str = ""
    decision: Decision | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"

    def structured(self) -> dict[str, Any]:
        body: dict[str, Any] = {"decision": self.outcome, "message": self.message}
        if self.request:
            body["request"] = self.request
            body["url"] = self.url
        if self.decision is not None:
            body["risk"] = self.decision.risk.label
            body["reasons"] = list(self.decision.reasons)
            body["targets"] = [t.to_json() for t in self.decision.targets]
        body.update(self.extra)
        return {"airlock": body}

    def result(self) -> mcp_types.CallToolResult:
        """The tool result for a call that did not run: always ``isError``."""
        import mcp_types

        return mcp_types.CallToolResult(
            content=[mcp_types.TextContent(type="text", text=self.message)],
            structured_content=self.structured(), is_error=True)


def _mcp_wording(text: str) -> str:
    return (text.replace("run exactly the same command again",
                         "make exactly the same tool call again (same arguments)")
            .replace("run the command yourself", "run it yourself"))


class Guard:
    """One config, one working directory, one agent: decides tool calls."""

    def __init__(self, config_path: str | None, cwd: str,
                 env: Mapping[str, str] | None = None) -> None:
        self.config_path = config_path
        self.cwd = os.path.abspath(cwd)
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.checker()  # fail now, at start-up, on a broken config

    def checker(self) -> Checker:
        from airlock.pipeline import checker_for

        return checker_for(self.config_path or self.env.get("AIRLOCK_CONFIG") or None,
                           self.cwd)

    @property
    def agent(self) -> str:
        return self.env.get("AIRLOCK_AGENT") or self.checker().config.agent

    def action(self, command: str, kind: str, *, dialect: str | None = None,
               database: str | None = None, cwd: str | None = None) -> Action:
        from airlock.action import Action

        return Action(command=command, kind=kind, scope=None, dialect=dialect,
                      cwd=cwd or self.cwd, agent=self.agent, database=database)

    def check(self, action: Action) -> Decision:
        return self.checker().check(action)

    def decide(self, action: Action, what: str) -> Verdict:
        """Allow, deny, or a hold submitted to the service. Never raises: an internal
        error is an ``error`` verdict (the call does not run)."""
        try:
            decision = self.check(action)
        except Exception as exc:  # noqa: BLE001 - fail closed
            return Verdict("error", f"Airlock could not check {what} and blocked it (fail "
                                    f"closed): {type(exc).__name__}: {exc}"[:500])
        return self.settle(decision, action, what)

    def settle(self, decision: Decision, action: Action, what: str) -> Verdict:
        if decision.decision == "allow":
            return Verdict("allow", decision=decision)
        reasons = hr._reasons(decision.reasons)
        if decision.decision == "deny":
            answer = hr.Answer("deny", "", (
                f"Airlock denied {what}: {reasons}. {hr._NO_WORKAROUND} If the task really "
                "needs it, stop and explain to the user why."))
            return Verdict("deny", answer.agent, decision=decision)
        try:
            return self._hold(decision, action, what, reasons)
        except Exception as exc:  # noqa: BLE001 - a hold we cannot file is still a refusal
            return Verdict("hold", _mcp_wording(hr.refuse_hold(
                what, reasons, self.env.get("AIRLOCK_SERVER") or hr.DEFAULT_SERVER,
                problem=f"filing the request failed ({type(exc).__name__}: {exc})",
                fix="see the Airlock server's log").agent), decision=decision)

    def _hold(self, decision: Decision, action: Action, what: str, reasons: str) -> Verdict:
        client = hr.ServiceClient.from_env(self.env)
        if not client.token:
            deadline = time.monotonic() + HOLD_DEADLINE_SECONDS
            answer = hr.submit_hold(action, what, reasons, self.env, deadline)
            return Verdict("hold", _mcp_wording(answer.agent), decision=decision)
        try:
            result = client.submit(action, timeout=5.0)
        except hr.ServiceUnavailable:
            answer = hr.refuse_hold(what, reasons, client.base)
            return Verdict("hold", _mcp_wording(answer.agent), decision=decision)
        except hr.ServiceError as exc:
            fix = ("issue a new agent token with `airlock token issue --agent NAME`"
                   if exc.status in (401, 403) else "see the server's log")
            answer = hr.refuse_hold(what, reasons, client.base, problem=(
                f"the Airlock server at {client.base} refused the request ({exc})"), fix=fix)
            return Verdict("hold", _mcp_wording(answer.agent), decision=decision)
        answer = hr.from_service(result, what, client)
        if answer.outcome == "allow":
            return Verdict("allow", decision=decision,
                           extra={"approved_request": str(result.get("request") or "")})
        rid = str(result.get("request") or "")
        url = str(result.get("url") or (client.url_for(rid) if rid else ""))
        extra = {"state": result["state"]} if result.get("state") else {}
        return Verdict(answer.outcome, _mcp_wording(answer.agent), request=rid, url=url,
                       decision=decision, extra=extra)

    def status(self, rid: str, wait: float = 0) -> dict[str, Any]:
        client = hr.ServiceClient.from_env(self.env)
        return client.get(rid, wait=wait)


__all__ = ["Guard", "Verdict"]
