"""Serve a low-level MCP ``Server`` over stdio, answering malformed input.

The SDK's stdio transport hands a line that is not JSON-RPC to the session as an
exception, which is logged and dropped: the client waits for an answer that never
comes. JSON-RPC 2.0 says such a line gets an error with ``id: null`` — ``-32700`` (parse
error) when it is not JSON, ``-32600`` (invalid request) when it is JSON but not a
JSON-RPC message. This wrapper sends exactly that, and nothing of the line reaches a
tool.
"""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.message import SessionMessage


def _error_for(exc: Exception) -> types.JSONRPCError:
    code, message = types.INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message"
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            if any(e.get("type") == "json_invalid" for e in errors()):
                code, message = types.PARSE_ERROR, "Parse error: the line is not valid JSON"
        except Exception:  # noqa: BLE001 - keep the generic answer
            pass
    return types.JSONRPCError(jsonrpc="2.0", id=None,
                              error=types.ErrorData(code=code, message=message))


async def serve_stdio(server: Server[Any]) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def pump() -> None:
            async with send:
                async for item in read:
                    if isinstance(item, Exception):
                        await write.send(SessionMessage(message=_error_for(item)))
                        continue
                    await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(pump)
            await server.run(receive, write, server.create_initialization_options())
            tg.cancel_scope.cancel()
