"""``airlock mcp proxy``: a policy proxy between any MCP client and any MCP server.

The proxy is an MCP server to its client (stdio) and an MCP client to the upstream
server (a command it starts over stdio, or a streamable-HTTP URL). It lists the
upstream's tools (filtered by ``[mcp] expose`` / ``hide``) and decides every
``tools/call`` before forwarding it:

- unknown or hidden tool, arguments over ``[mcp] max_argument_bytes`` → an MCP error
  (``-32602``); nothing is forwarded;
- the call becomes ``Action(kind="mcp")`` (server, tool, arguments and the upstream's
  annotations, canonical JSON) and goes through classify → resolve → decide, where the
  tool packs of :mod:`airlock.classify.mcp` map it to SQL, paths, shell or HTTP;
- allow → forwarded and the upstream's result returned as is; deny → an ``isError``
  result with the reasons; hold → filed with the hold service, an ``isError`` result
  with the request id and approval URL (the identical call, once approved, is forwarded
  once);
- the upstream failing (crash, closed pipe, timeout, protocol error) → an MCP error
  (``-32603``) naming it; the proxy itself keeps answering.

Malformed JSON-RPC from the client is answered by the SDK's own transport with a
JSON-RPC error and never reaches a tool.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import anyio
import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from airlock.classify.mcp import McpConfig, canonical_command, mcp_config
from airlock.intake.mcp.guard import Guard, Verdict

# variables the upstream server must not inherit: the agent's Airlock token
_WITHHELD = ("AIRLOCK_TOKEN",)


class UpstreamError(Exception):
    """The upstream MCP server is not there or failed."""


def upstream_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in _WITHHELD}


class Proxy:
    def __init__(self, guard: Guard, mcfg: McpConfig, *, command: list[str] | None = None,
                 url: str | None = None, name: str | None = None,
                 timeout: float | None = None) -> None:
        if bool(command) == bool(url):
            raise ValueError("give exactly one upstream: a command or a URL")
        self.guard = guard
        self.mcfg = mcfg
        self.command = command
        self.url = url
        self.name = name or ""
        self.timeout = timeout
        self.upstream: Client | None = None
        self.failed: str = ""
        self.tools: dict[str, types.Tool] = {}
        self._stack: AsyncExitStack | None = None

    # ---- upstream ----------------------------------------------------------------------

    async def connect(self) -> None:
        if self.command:
            params = StdioServerParameters(command=self.command[0], args=self.command[1:],
                                           env=upstream_env(self.guard.env),
                                           cwd=self.guard.cwd)
            client = Client(params, mode="legacy", read_timeout_seconds=self.timeout)
        else:
            assert self.url is not None
            client = Client(self.url, mode="legacy", read_timeout_seconds=self.timeout)
        stack = AsyncExitStack()
        try:
            self.upstream = await stack.enter_async_context(client)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        if not self.name:
            info = self.upstream.server_info
            self.name = (info.name if info is not None and info.name else
                         os.path.basename(self.command[0]) if self.command else self.url or "")
        await self.refresh()

    async def close(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            # a dead upstream may fail to close
            with anyio.CancelScope(shield=True), anyio.move_on_after(10), \
                    contextlib.suppress(Exception):
                await stack.aclose()

    async def refresh(self) -> None:
        if self.upstream is None or self.failed:
            raise UpstreamError(self.failed or "not connected")
        found: dict[str, types.Tool] = {}
        cursor: str | None = None
        for _ in range(100):
            page = await self.upstream.list_tools(cursor=cursor, cache_mode="refresh")
            for tool in page.tools:
                found[tool.name] = tool
            cursor = page.next_cursor
            if not cursor:
                break
        self.tools = found

    def _upstream_failed(self, exc: BaseException) -> MCPError:
        detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        if isinstance(exc, MCPError) and exc.code not in (types.CONNECTION_CLOSED,
                                                           types.REQUEST_TIMEOUT):
            return MCPError(exc.code, f"the upstream MCP server {self.name!r} answered with an "
                                      f"error: {exc.message}", exc.data)
        if isinstance(exc, MCPError):
            detail = exc.message
        if not (isinstance(exc, MCPError) and exc.code == types.REQUEST_TIMEOUT):
            self.failed = self.failed or detail
        return MCPError(types.INTERNAL_ERROR,
                        f"the upstream MCP server {self.name!r} failed ({detail[:300]}); the "
                        "call may not have completed. Tell the user; do not retry it another "
                        "way.")

    # ---- the MCP server side -----------------------------------------------------------

    def listed(self) -> list[types.Tool]:
        return [t for name, t in self.tools.items() if self.mcfg.listed(name)]

    async def on_list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None
                            ) -> types.ListToolsResult:
        if self.failed:
            raise MCPError(types.INTERNAL_ERROR,
                           f"the upstream MCP server {self.name!r} is gone ({self.failed})")
        try:
            await self.refresh()
        except Exception as exc:
            raise self._upstream_failed(exc) from exc
        return types.ListToolsResult(tools=self.listed())

    async def on_call_tool(self, ctx: Any, params: types.CallToolRequestParams
                           ) -> types.CallToolResult:
        return await self.call(params.name, params.arguments)

    async def call(self, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        arguments = arguments or {}
        size = len(json.dumps(arguments, ensure_ascii=False).encode("utf-8"))
        if size > self.mcfg.max_argument_bytes:
            raise MCPError(types.INVALID_PARAMS,
                           f"Airlock refused tool {name!r}: its arguments are {size} bytes, "
                           f"more than [mcp] max_argument_bytes ({self.mcfg.max_argument_bytes})")
        if self.failed:
            raise MCPError(types.INTERNAL_ERROR,
                           f"the upstream MCP server {self.name!r} is gone ({self.failed}); "
                           "nothing was run")
        tool = self.tools.get(name)
        if tool is None and self.mcfg.listed(name):
            try:
                await self.refresh()
            except Exception as exc:
                raise self._upstream_failed(exc) from exc
            tool = self.tools.get(name)
        if tool is None or not self.mcfg.listed(name):
            raise MCPError(types.INVALID_PARAMS, f"unknown tool: {name!r}")
        annotations = (tool.annotations.model_dump(by_alias=True, exclude_none=True)
                       if tool.annotations is not None else None)
        guard = self.guard
        action = guard.action(canonical_command(self.name, name, arguments, annotations), "mcp")
        what = f"the MCP call {self.name}/{name}"
        try:
            decision = guard.check(action)
        except Exception as exc:  # noqa: BLE001 - fail closed: the call does not run
            return Verdict("error", f"Airlock could not check {what} and blocked it (fail "
                                    f"closed): {type(exc).__name__}: {exc}"[:500]).result()
        if decision.decision == "allow":
            verdict = guard.settle(decision, action, what)
        else:
            verdict = await anyio.to_thread.run_sync(guard.settle, decision, action, what)
        if not verdict.allowed:
            return verdict.result()
        assert self.upstream is not None
        try:
            return await self.upstream.call_tool(name, arguments)
        except Exception as exc:
            raise self._upstream_failed(exc) from exc

    def server(self) -> Server[Any]:
        return Server("airlock-proxy", version=_version(),
                      instructions=(f"Airlock guards the tools of MCP server {self.name!r}: "
                                    "destructive calls are held for a human's approval."),
                      on_list_tools=self.on_list_tools, on_call_tool=self.on_call_tool)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("airlock")
    except Exception:  # noqa: BLE001
        return "0"


async def run_stdio(proxy: Proxy) -> None:
    from airlock.intake.mcp.stdio import serve_stdio

    try:
        await proxy.connect()
    except Exception as exc:
        await proxy.close()
        raise UpstreamError(f"cannot start the upstream MCP server: "
                            f"{type(exc).__name__}: {exc}") from exc
    try:
        await serve_stdio(proxy.server())
    finally:
        await proxy.close()


def main(config_path: str | None, command: list[str] | None, url: str | None,
         name: str | None, timeout: float | None) -> int:
    guard = Guard(config_path, os.getcwd())
    mcfg = mcp_config(guard.checker().config)
    proxy = Proxy(guard, mcfg, command=command, url=url, name=name, timeout=timeout)
    try:
        anyio.run(run_stdio, proxy)
    except UpstreamError as exc:
        print(f"airlock mcp proxy: {exc}", file=sys.stderr)
        return 1
    return 0
