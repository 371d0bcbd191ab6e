"""Which MCP servers to connect to: `--mcp` values and the `[[mcp]]` tables of config.toml.

A `--mcp` value that starts with http:// or https:// is a streamable-HTTP endpoint; anything else
is a command line, split as a POSIX shell would (no shell runs it). A config entry is either such a
string or a table with `name`, `command` (a string or a list) or `url`, `env` (extra environment
variables for a command) and `tools` (an allow-list of the server's tool names). Names identify a
server in messages and prefix its tools' names when two tools share a name.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError

# Programs that start a server named by their first plain argument (`python server.py`, `npx pkg`).
_LAUNCHERS = {"python", "python3", "py", "node", "npx", "uvx", "uv", "deno", "bun", "pipx", "bunx", "pnpm"}
_LAUNCHER_WORDS = {"run", "x", "exec", "dlx", "tool"}  # `uv run server.py`, `pnpm dlx pkg`


@dataclass(frozen=True)
class McpServer:
    """One server to connect to: a command line (stdio) or a URL (streamable HTTP)."""

    name: str
    command: tuple[str, ...] = ()
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict, hash=False)
    allowed: tuple[str, ...] | None = None  # the server's tool names to use; None: all

    @property
    def label(self) -> str:
        """How the server was given, for messages."""
        return self.url or shlex.join(self.command)


@dataclass(frozen=True)
class ServerTools:
    """What the worker found on one server: its tools (name, description, input_schema), or why
    it could not be used."""

    server: str
    tools: tuple[dict, ...] = ()
    error: str | None = None


def is_url(value: str) -> bool:
    return bool(re.match(r"https?://", value.strip(), re.IGNORECASE))


def identifier(text: str, fallback: str = "mcp") -> str:
    """`text` as a Python identifier, for server names and tool names alike."""
    name = re.sub(r"\W+", "_", text).strip("_")
    if not name:
        return fallback
    return f"{fallback}_{name}" if name[0].isdigit() else name


def _name_from_command(argv: list[str]) -> str:
    program = Path(argv[0]).name
    stem = re.sub(r"(\.exe|[\d.]+)$", "", program.lower())
    if stem in _LAUNCHERS:
        plain = [a for a in argv[1:] if not a.startswith("-") and a not in _LAUNCHER_WORDS]
        if plain:
            return identifier(re.sub(r"\.(py|js|mjs|ts)$", "", Path(plain[0]).name).lower())
    return identifier(program.lower())


def _name_from_url(url: str) -> str:
    parsed = urlparse(url)
    segments = [s for s in parsed.path.split("/") if s and s.lower() not in ("mcp", "sse")]
    if segments:
        return identifier(segments[-1].lower())
    host = parsed.hostname or ""
    if host in ("localhost", "") or re.fullmatch(r"[\d.:]+", host):
        return f"mcp_{parsed.port}" if parsed.port else "mcp"
    return identifier(host.split(".")[1] if host.startswith("www.") else host.split(".")[0])


def _checked_url(url: str, where: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"{where}: not an http:// or https:// URL: {url!r}")
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"{where}: the URL's port is not a number: {url!r}") from None
    return url.strip()


def _split_command(command: str | list[str], where: str) -> tuple[str, ...]:
    if isinstance(command, list):
        argv = command
    else:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"{where}: cannot split the command {command!r}: {exc}") from None
    if not argv or not argv[0].strip():
        raise ConfigError(f"{where}: the command is empty")
    return tuple(argv)


def from_flag(value: str) -> McpServer:
    """The server a `--mcp` value names."""
    where = f"--mcp {value!r}"
    if is_url(value):
        url = _checked_url(value, where)
        return McpServer(_name_from_url(url), url=url)
    argv = _split_command(value, where)
    return McpServer(_name_from_command(list(argv)), command=argv)


class ServerTable(BaseModel):
    """A `[[mcp]]` table of config.toml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = None
    command: str | list[str] | None = None
    url: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    tools: list[str] | None = None

    @model_validator(mode="after")
    def _command_or_url(self) -> "ServerTable":
        if (self.command is None) == (self.url is None):
            raise ValueError("give either command or url")
        if self.url is not None and self.env:
            raise ValueError("env is for a command; a url server runs elsewhere")
        return self


def from_config(entry: str | dict, where: str) -> McpServer:
    """The server a `[[mcp]]` table (or a string in an `mcp` list) names; `where` says which entry."""
    if isinstance(entry, str):
        return from_flag(entry)
    try:
        table = ServerTable(**entry)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key {loc!r} (valid keys: {', '.join(ServerTable.model_fields)})")
            else:
                problems.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]).removeprefix("Value error, "))
        raise ConfigError(f"{where}: " + "; ".join(problems)) from None
    allowed = tuple(table.tools) if table.tools is not None else None
    if table.url is not None:
        url = _checked_url(table.url, where)
        return McpServer(identifier(table.name) if table.name else _name_from_url(url), url=url, allowed=allowed)
    argv = _split_command(table.command, where)
    name = identifier(table.name) if table.name else _name_from_command(list(argv))
    return McpServer(name, command=argv, env=dict(table.env), allowed=allowed)


def configured_servers() -> list[McpServer]:
    """The servers of the user's config.toml, in order."""
    from ..config import read_user_config, user_config_path

    path = user_config_path()
    entries = read_user_config(path).mcp
    return [from_config(entry, f"{path} [[mcp]] entry {number}") for number, entry in enumerate(entries, start=1)]


def unique_names(servers: list[McpServer]) -> list[McpServer]:
    """The same servers, the second of two with one name renamed `name_2` (and so on)."""
    seen: set[str] = set()
    out = []
    for server in servers:
        name, number = server.name, 1
        while name in seen:
            number += 1
            name = f"{server.name}_{number}"
        seen.add(name)
        out.append(server if name == server.name else McpServer(name, server.command, server.url, server.env,
                                                                 server.allowed))
    return out


def session_servers(flags: list[str] | None) -> list[McpServer]:
    """The servers of a run: config.toml's, then each `--mcp`."""
    return unique_names([*configured_servers(), *(from_flag(value) for value in flags or [])])
