"""MCP server tools as registry tools.

A server's tool keeps its own name where that name is a valid identifier and unique; a name with
other characters (`word-count`) is written with underscores, and a name that another server or a
Python tool also has gets the server's name as a prefix (`facts_add`). The model only ever sees
the registry name; the worker calls the server with the server's own name.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import ToolLoadError
from ..tools import ModuleRef, Registry, Skipped, Tool
from .schema import ArgumentChecker, schema_problem, tool_parameters
from .servers import McpServer, ServerTools, identifier


@dataclass
class McpTool(Tool):
    """A tool of an MCP server: no Python function, a JSON schema checked with `jsonschema`."""

    server: str = ""
    remote_name: str = ""  # the tool's name on its server
    input_schema: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.validator is None:
            self.validator = ArgumentChecker(self.name, self.input_schema)

    @property
    def func(self):
        raise AttributeError(f"{self.name} runs on the MCP server {self.server!r}: call it through a ToolRunner")

    def validate(self, arguments) -> dict:
        return self.validator.check(arguments)

    @property
    def target(self) -> tuple[str, str]:
        """What the worker calls: (server name, tool name on the server)."""
        return self.server, self.remote_name


def server_ref(server: McpServer) -> ModuleRef:
    """Where an MCP tool comes from, in the form the registry records a module; never imported."""
    return ModuleRef(spec=f"mcp:{server.name}", module_name=f"mcp:{server.name}", is_path=False)


def _allowed(server: McpServer, listing: ServerTools) -> list[dict]:
    if server.allowed is None:
        return list(listing.tools)
    offered = {tool["name"] for tool in listing.tools}
    missing = [name for name in server.allowed if name not in offered]
    if missing:
        raise ToolLoadError(f"MCP server {server.name!r} has no tool {missing[0]!r} (it has: "
                            f"{', '.join(sorted(offered)) or 'no tools'})")
    return [tool for tool in listing.tools if tool["name"] in server.allowed]


def add_server_tools(registry: Registry, servers: list[McpServer], listings: list[ServerTools]) -> None:
    """Add each server's tools to the registry; a server that could not be used, an allow-list
    naming a tool the server lacks, or names that still clash with the prefix are ToolLoadErrors."""
    by_name = {listing.server: listing for listing in listings}
    offered: list[tuple[McpServer, dict]] = []
    for server in servers:
        listing = by_name.get(server.name) or ServerTools(server.name, error="no reply from the tool worker")
        if listing.error is not None:
            raise ToolLoadError(f"MCP server {server.name!r} ({server.label}): {listing.error}")
        offered.extend((server, tool) for tool in _allowed(server, listing))
    counts = Counter([*registry.tools, *(identifier(tool["name"], "tool") for _, tool in offered)])
    for server, tool in offered:
        plain = identifier(tool["name"], "tool")
        name = plain if counts[plain] == 1 else f"{server.name}_{plain}"
        ref = server_ref(server)
        problem = schema_problem(tool.get("input_schema"))
        if problem is not None:
            registry.skipped.append(Skipped(ref.spec, tool["name"], problem))
            continue
        if name in registry.tools:
            owner = registry.tools[name]
            where = owner.server if isinstance(owner, McpTool) else owner.module.spec
            raise ToolLoadError(f"tool name clash: {name!r} is defined by {where} and by the MCP server "
                                f"{server.name!r}")
        registry.tools[name] = McpTool(name=name, description=(tool.get("description") or "").strip(),
                                       parameters=tool_parameters(tool.get("input_schema")), module=ref,
                                       server=server.name, remote_name=tool["name"],
                                       input_schema=tool.get("input_schema") or {})
