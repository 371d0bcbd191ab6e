"""The tool worker's MCP clients: one live connection per server, on an event loop in its own thread.

The worker reads calls from the parent one at a time on its main thread and hands an MCP call to
this loop. Each connection lives in a task of its own (the SDK's client must be opened and closed
in one task) until it is closed. A call past its time limit is cancelled, which tells the server to
stop it, and the connection stays up for the next call. A server that ended or closed the
connection is one error, and the next call to it starts (or connects to) it again. A stdio server's
error output goes to a temporary file, whose last line explains a server that would not start.
"""
from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from dataclasses import dataclass
from typing import IO, Any

from .results import reply_text
from .servers import McpServer, ServerTools

CONNECT_TIMEOUT = 60.0  # to start a server (or reach it) and list its tools; npx may install first
CLOSE_TIMEOUT = 5.0
_MAX_PAGES = 100  # of a tool listing


class ServerUnavailable(Exception):
    """A server could not be started, reached or listed; the message says why."""


@dataclass
class _Connection:
    client: Any
    closed: asyncio.Event
    task: asyncio.Task
    errlog: IO[str] | None


def root_cause(exc: BaseException) -> BaseException:
    """The first error inside (nested) exception groups, which the SDK's task groups raise."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _last_error_line(errlog: IO[str] | None) -> str | None:
    if errlog is None or errlog.closed:
        return None
    with contextlib.suppress(OSError, ValueError):
        errlog.flush()
        errlog.seek(max(0, errlog.seek(0, 2) - 4000))
        lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
        if lines:
            return lines[-1][:300]
    return None


def _reason(server: McpServer, exc: BaseException, errlog: IO[str] | None) -> str:
    """One line: why a server could not be used."""
    exc = root_cause(exc)
    from mcp import MCPError

    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        reason = f"no answer within {CONNECT_TIMEOUT:g} s"
    elif isinstance(exc, OSError) and server.command and not isinstance(exc, ConnectionError):
        reason = f"cannot run {server.command[0]!r}: {exc.strerror or exc}"
    elif isinstance(exc, MCPError):
        reason = exc.message
    else:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    stderr = _last_error_line(errlog)
    return f"{reason} (its error output ends: {stderr})" if stderr else reason


def _transport(server: McpServer, errlog: IO[str] | None) -> Any:
    if server.url is not None:
        return server.url
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=server.command[0], args=list(server.command[1:]), env=server.env or None)
    return stdio_client(params, errlog=errlog)


async def _list_tools(client: Any) -> list[dict]:
    tools, cursor = [], None
    for _ in range(_MAX_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend({"name": t.name, "description": t.description or "", "input_schema": dict(t.input_schema or {})}
                     for t in page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


class McpConnections:
    """The connections to a session's MCP servers, used from the worker's main thread."""

    def __init__(self, servers: list[McpServer]):
        self.servers = {server.name: server for server in servers}
        self._live: dict[str, _Connection] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="slmreact-mcp", daemon=True)
        self._thread.start()

    def _run(self, coroutine, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    # ---- connecting -------------------------------------------------------------------------------

    def open_all(self) -> list[ServerTools]:
        """Start or reach every server, in parallel, and list its tools."""
        try:
            return self._run(self._open_all(), CONNECT_TIMEOUT + 2 * CLOSE_TIMEOUT)
        except TimeoutError:
            return [ServerTools(name, error=f"no answer within {CONNECT_TIMEOUT:g} s") for name in self.servers]

    async def _open_all(self) -> list[ServerTools]:
        return list(await asyncio.gather(*(self._listing(server) for server in self.servers.values())))

    async def _listing(self, server: McpServer) -> ServerTools:
        try:
            tools = await self._connect(server)
        except ServerUnavailable as exc:
            return ServerTools(server.name, error=f"cannot be used: {exc}")
        return ServerTools(server.name, tools=tuple(tools))

    async def _connect(self, server: McpServer) -> list[dict]:
        """Open a connection held by a task of its own; its tools, or ServerUnavailable."""
        ready = asyncio.get_running_loop().create_future()
        closed = asyncio.Event()
        errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") if server.command else None
        task = asyncio.create_task(self._hold(server, errlog, ready, closed))
        try:
            client, tools = await asyncio.wait_for(asyncio.shield(ready), CONNECT_TIMEOUT)
        except BaseException as exc:
            closed.set()
            task.cancel()
            await asyncio.wait({task}, timeout=CLOSE_TIMEOUT)
            reason = _reason(server, exc, errlog)
            if errlog is not None:
                errlog.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise ServerUnavailable(reason) from None
        self._live[server.name] = _Connection(client, closed, task, errlog)
        return tools

    async def _hold(self, server: McpServer, errlog: IO[str] | None, ready: asyncio.Future,
                    closed: asyncio.Event) -> None:
        from mcp import Client

        connected = False
        try:
            async with Client(_transport(server, errlog)) as client:
                tools = await _list_tools(client)
                ready.set_result((client, tools))
                connected = True
                await closed.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
            if not isinstance(exc, Exception):
                raise
        finally:
            live = self._live.get(server.name)
            if live is not None and live.closed is closed:
                del self._live[server.name]  # ended by itself: the next call connects again
            if connected and errlog is not None:
                errlog.close()

    # ---- calling ----------------------------------------------------------------------------------

    def call(self, server: str, tool: str, arguments: dict, timeout: float, shown_name: str) -> tuple[bool, str]:
        """(ok, text) of one call; every failure is an error text for the model."""
        try:
            return self._run(self._call(server, tool, arguments, timeout, shown_name), timeout + 2 * CLOSE_TIMEOUT)
        except TimeoutError:
            return False, f"TimeoutError: {shown_name} did not finish within {timeout:g} s and was stopped"

    async def _call(self, name: str, tool: str, arguments: dict, timeout: float, shown_name: str) -> tuple[bool, str]:
        import anyio
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED

        server = self.servers.get(name)
        if server is None:
            return False, f"LookupError: no MCP server named {name!r}"
        try:
            with anyio.fail_after(timeout):
                if name not in self._live:
                    await self._connect(server)
                connection = self._live[name]
                result = await connection.client.call_tool(tool, arguments)
        except TimeoutError:
            return False, (f"TimeoutError: {shown_name} did not finish within {timeout:g} s and was cancelled "
                           "on its MCP server")
        except ServerUnavailable as exc:
            return False, f"ServerUnavailable: the MCP server {name!r} cannot be used: {exc}"
        except Exception as exc:  # noqa: BLE001 - every failure is an error text for the model
            cause = root_cause(exc)
            if isinstance(cause, MCPError) and cause.code != CONNECTION_CLOSED:
                return False, f"MCPError: {cause.message}"
            self._drop(name)
            return False, f"ServerGone: the MCP server {name!r} ended or closed the connection; the next call " \
                          "connects again"
        return reply_text(result)

    def _drop(self, name: str) -> None:
        """Close a broken connection in the background."""
        connection = self._live.pop(name, None)
        if connection is not None:
            connection.closed.set()

    # ---- closing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection (a stdio server is asked to end, then stopped), then the loop."""
        with contextlib.suppress(Exception):
            self._run(self._close_all(), 2 * CLOSE_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_TIMEOUT)

    async def _close_all(self) -> None:
        tasks = []
        for connection in list(self._live.values()):
            connection.closed.set()
            tasks.append(connection.task)
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
