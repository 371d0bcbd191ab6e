"""A small MCP server for the tests, written with the SDK's MCPServer (FastMCP before mcp 2).

`python mcp_server.py` serves over stdio; `python mcp_server.py --http PORT` serves streamable
HTTP on 127.0.0.1:PORT/mcp. `--name NAME` sets the server's name.
"""
import argparse
import asyncio
import os

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Kenya": "Nairobi", "Peru": "Lima"}
POPULATIONS = {"Zorblax": 48213, "Quenmoor": 1907}  # made up, so a model has to look them up


class Point(BaseModel):
    x: float
    y: float


def build(name: str) -> MCPServer:
    server = MCPServer(name)

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def capital_of(country: str) -> str:
        """The capital city of a country."""
        if country not in CAPITALS:
            raise ToolError(f"no capital known for {country!r}")
        return CAPITALS[country]

    @server.tool()
    def planet_population(planet: str) -> int:
        """How many people live on a planet of the Outer Reach catalogue."""
        if planet not in POPULATIONS:
            raise ToolError(f"{planet!r} is not in the Outer Reach catalogue")
        return POPULATIONS[planet]

    @server.tool()
    def distance(start: Point, end: Point) -> float:
        """The straight-line distance between two points."""
        return ((start.x - end.x) ** 2 + (start.y - end.y) ** 2) ** 0.5

    @server.tool(name="word-count")
    def word_count(text: str, unique: bool = False) -> int:
        """Count the words in a text."""
        words = text.split()
        return len(set(words) if unique else words)

    @server.tool()
    async def slow(seconds: float) -> str:
        """Wait, then say so."""
        await asyncio.sleep(seconds)
        return f"waited {seconds} s"

    @server.tool()
    def die() -> str:
        """End the server's process at once."""
        os._exit(3)

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None)
    parser.add_argument("--name", default="facts")
    options = parser.parse_args()
    server = build(options.name)
    if options.http is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=options.http)


if __name__ == "__main__":
    main()
