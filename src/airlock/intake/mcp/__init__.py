"""MCP surfaces: ``airlock mcp serve`` (Airlock-guarded tools) and ``airlock mcp proxy``
(a policy proxy in front of any MCP server). Both turn each ``tools/call`` into an
:class:`~airlock.action.Action` and decide it with the same pipeline as every other
surface; see ``docs/integrations/mcp.md``."""
