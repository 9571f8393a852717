"""Evaluate Cedar policies for an assessed, resolved action.

Each target is one Cedar request: principal ``Agent::"<name>"``, action
``Action::"<risk>"``, resource ``Resource::"<locator>"`` with the resolved attributes,
and a context carrying the agent's scope and the action's flags. Per target:

- Cedar says Allow → allow;
- Cedar says Deny because a ``forbid`` applied → deny, or hold when every applying
  forbid carries ``@decision("hold")``;
- Cedar says Deny because nothing permitted → hold (a human decides; never allow);
- Cedar reports an evaluation error → hold.

The action's decision is the worst of its targets' (deny > hold > allow).

Policies are parsed once (``PolicySet.from_str``) and results are memoised on the
full request: a Cedar evaluation is a pure function of it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from importlib import resources as importlib_resources
from typing import Any

from airlock.action import Assessment, Decision, Risk, Target
from airlock.config import Config, ConfigError

_ORDER = {"allow": 0, "hold": 1, "deny": 2}
_PLACEHOLDER = re.compile(r"\{(name|kind|env|scope|verb|risk|detail|flags|tool)\}")


class PolicyError(ConfigError):
    """A policy file that does not parse: a configuration error naming file and line."""


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    id: str
    effect: str
    decision: str  # for forbids: "deny" or "hold"
    reason: str
    source: str


def default_policy_files() -> list[tuple[str, str]]:
    base = importlib_resources.files("airlock.policy") / "default"
    out = []
    for entry in sorted(base.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".cedar"):
            out.append((f"airlock/policy/default/{entry.name}", entry.read_text("utf-8")))
    return out


class PolicyEngine:
    def __init__(self, config: Config) -> None:
        import cedarpy

        self._cedar = cedarpy
        sources: list[tuple[str, str]] = []
        if config.default_policies:
            sources.extend(default_policy_files())
        for path in config.policy_files:
            try:
                with open(path, encoding="utf-8") as fh:
                    sources.append((path, fh.read()))
            except OSError as exc:
                raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
        for path in config.overlay_policy_files:
            text = self._overlay_policies(path, config)
            if text is not None:
                sources.append((path, text))
        self.infos: dict[str, PolicyInfo] = {}
        texts: list[str] = []
        for name, text in sources:
            self._check_parses(name, text)
            texts.append(text)
        combined = "\n".join(texts)
        parsed = json.loads(cedarpy.policies_to_json_str(combined))
        offsets = _source_of_each(sources, parsed)
        for pid, body in parsed.get("staticPolicies", {}).items():
            ann = body.get("annotations", {})
            decision = ann.get("decision", "deny")
            src = offsets.get(pid, "")
            if decision not in ("deny", "hold", "allow"):
                raise PolicyError(f"{src}: policy {ann.get('id', pid)}: @decision must be "
                                  f"\"deny\" or \"hold\", not {decision!r}")
            self.infos[pid] = PolicyInfo(
                id=ann.get("id", pid), effect=body.get("effect", ""), decision=decision,
                reason=ann.get("reason", ""), source=src,
            )
        if parsed.get("templates"):
            raise PolicyError("policy templates are not supported; write static policies")
        self.policies = cedarpy.PolicySet.from_str(combined)
        self._order = {pid: i for i, pid in enumerate(parsed.get("staticPolicies", {}))}
        self._cache: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}

    def _overlay_policies(self, path: str, config: Config) -> str | None:
        """A project's policy file: applied only when every policy in it is a ``forbid``
        (a forbid can only hold or deny more). A file with a ``permit`` is left out whole,
        with a warning naming the line of the first one."""
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            config.warnings.append(f"{path}: cannot read: {exc.strerror}; this project "
                                   "policy file is not applied")
            return None
        self._check_parses(path, text)
        parsed = json.loads(self._cedar.policies_to_json_str(text))
        if parsed.get("templates"):
            raise PolicyError(f"{path}: policy templates are not supported")
        if any(p.get("effect") != "forbid" for p in parsed.get("staticPolicies", {}).values()):
            where = config.path or "the service's airlock.toml"
            config.warnings.append(
                f"{path}{_permit_line(text)}: ignored this policy file: a project may add "
                f"only forbid policies, and it holds a permit (a human can list it in "
                f"{where})")
            return None
        return text

    def _check_parses(self, name: str, text: str) -> None:
        try:
            self._cedar.PolicySet.from_str(text)
        except ValueError as exc:  # cedarpy's parser errors
            raise PolicyError(f"{name}{_line_hint(text, str(exc))}: invalid Cedar policy: "
                              f"{_first_line(str(exc))}") from None

    def decide(self, assessment: Assessment, config: Config, *,
               undo_point: bool = False) -> Decision:
        action = assessment.action
        scope = action.scope if action.scope is not None else (config.scope or "")
        targets = assessment.targets or [Target(
            kind="command", name=action.command[:60] or "(empty)", verb="noop",
            risk=Risk.READ, env="workspace", production=False, local=True,
            locator="none:")]
        flags = assessment.flags
        kinds = {f.kind for f in flags}
        flag_text = "; ".join(f.detail for f in flags)
        worst = "allow"
        by_outcome: dict[str, tuple[list[str], list[str]]] = {
            k: ([], []) for k in ("allow", "hold", "deny")}
        for t in targets:
            risk = t.risk
            reasons, policies = by_outcome["allow"]
            in_scope = (not scope) or t.local or t.env == scope
            context = {
                "scope": scope, "scoped": bool(scope), "in_scope": in_scope, "verb": t.verb,
                "tool": t.tool, "reversible": t.reversible,
                "credential": "credential" in kinds, "unparsed": "unparsed" in kinds,
                "secret_read": "secret-read" in kinds, "guard_tamper": "guard-tamper" in kinds,
                "approved": False, "snapshot": False, "undo_point": undo_point,
            }
            attrs = {
                "kind": t.kind, "env": t.env or "unknown", "production": t.production,
                "sandbox": t.sandbox, "local": t.local, "protected": t.protected,
                "unresolved": t.unresolved, "tags": list(t.tags),
            }
            outcome, pids, errors = self._evaluate(action.agent, scope, risk, attrs, context)
            values = {"name": t.name, "kind": t.kind, "env": t.env or "unknown",
                      "scope": scope or "(none)", "verb": t.verb, "risk": risk.label,
                      "detail": t.detail or risk.label, "flags": flag_text, "tool": t.tool}
            if errors and outcome == "allow":
                outcome = "hold"  # an error never lowers a hold or a deny
            reasons, policies = by_outcome[outcome]
            if errors:
                verb = "held" if outcome == "hold" else "denied"
                reasons.append(f"policy evaluation error, {verb}: {errors[0]}")
            for pid in pids:
                info = self.infos.get(pid)
                if info is None:
                    continue
                applies = (info.effect == "permit") == (outcome == "allow")
                if not applies:
                    continue
                if info.effect == "forbid" and outcome == "hold" and info.decision != "hold":
                    continue
                if info.effect == "forbid" and outcome == "deny" and info.decision == "hold":
                    continue
                if info.id not in policies:
                    policies.append(info.id)
                text = _fill(info.reason, values) if info.reason else f"policy {info.id}"
                if text not in reasons:
                    reasons.append(text)
            if outcome != "allow" and not pids and not errors:
                text = (f"no policy allows {t.verb} on {t.kind} {t.name} ({t.env or 'unknown'}):"
                        " held for a human")
                if text not in reasons:
                    reasons.append(text)
            if _ORDER[outcome] > _ORDER[worst]:
                worst = outcome
        reasons, policies = by_outcome[worst]
        return Decision(decision=worst,  # type: ignore[arg-type]
                        risk=max(assessment.risk, max(t.risk for t in targets)),
                        targets=assessment.targets, reasons=reasons, flags=list(flags),
                        policies=policies)

    def _evaluate(self, agent: str, scope: str, risk: Risk, attrs: dict[str, Any],
                  context: dict[str, Any]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        key = json.dumps([agent, scope, risk.label, attrs, context], sort_keys=True)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        request = {
            "principal": {"type": "Agent", "id": agent},
            "action": {"type": "Action", "id": risk.label},
            "resource": {"type": "Resource", "id": "target"},
            "context": context,
        }
        entities = [
            {"uid": {"type": "Agent", "id": agent}, "attrs": {"scope": scope}, "parents": []},
            {"uid": {"type": "Resource", "id": "target"}, "attrs": attrs, "parents": []},
        ]
        result = self._cedar.is_authorized(request, self.policies, entities)
        # Cedar reports determining policies in no stable order: use file order
        pids = tuple(sorted(result.diagnostics.reasons, key=lambda p: self._order.get(p, -1)))
        errors = tuple(str(e) for e in result.diagnostics.errors)
        if result.allowed:
            outcome = "allow"
        else:
            forbids = [self.infos[p] for p in pids if p in self.infos
                       and self.infos[p].effect == "forbid"]
            denied = any(f.decision == "deny" for f in forbids)
            outcome = "deny" if denied else "hold"
        value = (outcome, pids, errors)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[key] = value
        return value


def _permit_line(text: str) -> str:
    for lineno, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*permit\b", line):
            return f":{lineno}"
    return ""


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "parse error"


def _line_hint(text: str, message: str) -> str:
    """Cedar's parser does not say where it failed; find the first policy (chunks end at
    a line ending in ';') that does not parse on its own, and name its first line."""
    import cedarpy

    chunk: list[str] = []
    start = 1
    for lineno, line in enumerate(text.splitlines(), 1):
        if not chunk:
            if not line.strip() or line.strip().startswith("//"):
                continue
            start = lineno
        chunk.append(line)
        if line.split("//")[0].rstrip().endswith(";"):
            try:
                cedarpy.PolicySet.from_str("\n".join(chunk))
            except ValueError:
                return f":{start}"
            chunk = []
    return f":{start}" if chunk else ""


def _source_of_each(sources: list[tuple[str, str]], parsed: dict[str, Any]) -> dict[str, str]:
    """policyN → the file it came from (policies are numbered in order of appearance)."""
    import cedarpy

    out: dict[str, str] = {}
    n = 0
    for name, text in sources:
        count = len(json.loads(cedarpy.policies_to_json_str(text)).get("staticPolicies", {}))
        for _ in range(count):
            out[f"policy{n}"] = os.path.basename(name) if "/" in name else name
            n += 1
    return out
