"""The agent side's client for the hold service's agent routes (``/v1/…``). Stdlib only.

Used by the hook runner, ``airlock exec`` and the MCP surfaces to hand a held action to
``airlock serve`` and to follow the request. It owns the **wire form of an action**
(:func:`action_to_wire`, :func:`action_from_wire`): the one place that says which fields
``POST /v1/actions`` carries, read back by :meth:`HoldService.action_from`.

Where it connects: in a system install, always the service's own URL from the pin
(``/etc/airlock/agent.conf``: a privileged port nothing the agent starts can bind), never
``AIRLOCK_SERVER``; in single-user mode ``AIRLOCK_SERVER``, default
``http://127.0.0.1:8750``. The agent token: ``AIRLOCK_TOKEN``, else the file
``$AIRLOCK_HOME/agent-token`` (in a system install the agent's own data dir).

I/O goes through one function, :data:`Send` (method, url, body, headers, timeout →
status, body), so tests can answer with a plain function instead of a server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from airlock.action import ACTION_KINDS, Action

DEFAULT_SERVER = "http://127.0.0.1:8750"
WIRE_FIELDS = ("command", "kind", "cwd", "scope", "dialect", "database", "home")

Send = Callable[[str, str, bytes | None, dict[str, str], float], tuple[int, bytes]]


class ServiceUnavailable(Exception):
    """Nothing answered at the server's address."""


class ServiceError(Exception):
    """The server answered with an HTTP error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class WireError(ValueError):
    """A submitted action that is not well formed (answered with HTTP 400)."""


# ---- the wire form of an action -------------------------------------------------------


def action_to_wire(action: Action) -> dict[str, Any]:
    body = {k: getattr(action, k) for k in WIRE_FIELDS}
    return {k: v for k, v in body.items() if v is not None}


def action_from_wire(body: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of an :class:`~airlock.action.Action` (all but agent and
    scope, which the service sets from the token), validated; :class:`WireError`."""
    command = body.get("command")
    if not isinstance(command, str) or not command.strip():
        raise WireError("'command' (a non-empty string) is required")
    kind = body.get("kind", "shell")
    if kind not in ACTION_KINDS:
        raise WireError(f"'kind' must be one of {', '.join(ACTION_KINDS)}")
    out: dict[str, Any] = {"command": command, "kind": kind}
    for key in ("scope", "dialect", "cwd", "database", "home"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise WireError(f"'{key}' must be a string")
        out[key] = value or None
    return out


# ---- where, and as whom ---------------------------------------------------------------


def airlock_home(env: Mapping[str, str]) -> str:
    home = env.get("AIRLOCK_HOME")
    if home:
        return os.path.abspath(os.path.expanduser(home))
    from airlock.settings import default_home

    return default_home()


def agent_token(env: Mapping[str, str]) -> str | None:
    """The agent's Airlock token: ``AIRLOCK_TOKEN``, else ``$AIRLOCK_HOME/agent-token``.

    When ``AIRLOCK_TOKEN`` is present but empty no file is read: that is how the service
    says "this caller presented no token" (it cannot read the agent's files anyway)."""
    if "AIRLOCK_TOKEN" in env:
        return env["AIRLOCK_TOKEN"].strip() or None
    try:
        with open(os.path.join(airlock_home(env), "agent-token"), encoding="utf-8") as fh:
            token = fh.read().strip()
    except OSError:
        return None
    return token or None


def server_url(env: Mapping[str, str]) -> str:
    """The hold service's base URL: the pin's in a system install, else
    ``AIRLOCK_SERVER`` (default :data:`DEFAULT_SERVER`)."""
    from airlock.system import load_pin

    pin = load_pin()  # a broken pin raises PinError: the caller refuses
    if pin is not None:
        return pin.url
    return env.get("AIRLOCK_SERVER") or DEFAULT_SERVER


# ---- transport ------------------------------------------------------------------------


def http_send(method: str, url: str, body: bytes | None, headers: dict[str, str],
              timeout: float) -> tuple[int, bytes]:
    """One HTTP exchange with :mod:`http.client`; :class:`ServiceUnavailable` when
    nothing answers."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn_cls = (http.client.HTTPSConnection if parts.scheme == "https"
                else http.client.HTTPConnection)
    conn = conn_cls(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ServiceUnavailable(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


class ServiceClient:
    """A minimal client for the hold service's agent routes."""

    def __init__(self, base: str, token: str | None, timeout: float = 5.0,
                 send: Send = http_send) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.send = send

    @classmethod
    def from_env(cls, env: Mapping[str, str], timeout: float = 5.0) -> ServiceClient:
        return cls(server_url(env), agent_token(env), timeout)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                timeout: float | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json", "User-Agent": "airlock-hook"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        status, raw = self.send(method, self.base + path, data, headers,
                                timeout if timeout is not None else self.timeout)
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError):
            parsed = {"detail": raw[:200].decode("utf-8", "replace")}
        if status >= 400:
            detail = parsed.get("detail") or parsed.get("error") if isinstance(parsed, dict) \
                else None
            raise ServiceError(status, str(detail or f"status {status}"))
        if not isinstance(parsed, dict):
            raise ServiceError(status, "the server's answer is not a JSON object")
        return parsed

    def health(self, timeout: float = 1.0) -> bool:
        """True when an Airlock server answers (even with an error status)."""
        try:
            self.request("GET", "/v1/health", timeout=timeout)
        except ServiceUnavailable:
            return False
        except ServiceError:
            return True
        return True

    def submit(self, action: Action, timeout: float | None = None) -> dict[str, Any]:
        return self.request("POST", "/v1/actions", action_to_wire(action), timeout)

    def get(self, rid: str, wait: float = 0, timeout: float | None = None) -> dict[str, Any]:
        from urllib.parse import quote

        query = f"?wait={int(wait)}" if wait > 0 else ""
        return self.request("GET", f"/v1/requests/{quote(rid, safe='')}{query}",
                            timeout=timeout if timeout is not None else self.timeout + wait)

    def url_for(self, rid: str) -> str:
        return f"{self.base}/r/{rid}"
