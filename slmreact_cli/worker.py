"""Runs tool modules in a separate Python process, so a tool cannot hang, exit or crash the session.

The worker imports the tool modules itself; this process never does. It is started in two ways:
briefly, to import the modules and describe their tools (`describe_modules`, used by the
registry), and once per session, to run calls (`ToolRunner`). Each call carries a sequence
number and is answered over a `multiprocessing.connection` link, which works on every platform.
On a timeout, an interruption, or a worker that died (sys.exit is caught, os._exit or a segfault is
not), the worker's whole process group is stopped, the processes a tool started included, and a
new worker is started for the next call, so a late reply can never answer a later call.

MCP servers (`--mcp`) are held by the session's worker too (see `mcp/client.py`): it connects to
them when it starts, sends their tool listings first, and runs their calls, each under the call's
time limit, so a slow MCP call is cancelled on its server instead of ending the worker; the parent
waits a little longer before it stops the worker as for any tool.

The worker starts with `-P` (the working folder is not put on sys.path, so a `json.py` there is
not imported), in a session of its own (the terminal's Ctrl-C goes to this process, which stops
the worker itself), and with a memory limit (`tool_memory_mb`). The cost is one process start per
session and one round trip per call (bench/tool_isolation.py).
"""
from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection, Listener
from typing import TYPE_CHECKING

from .errors import ToolLoadError
from .settings import DEFAULT_TOOL_TIMEOUT
from .tools import (DEFAULT_MAX_CHARS, DEFAULT_MEMORY_MB, IMPORT_TIMEOUT, ModuleRef, Registry, checked_arguments,
                    describe_module, import_module, signature_validator)

if TYPE_CHECKING:  # the MCP modules load where servers are used: a worker without them starts sooner
    from .mcp.servers import McpServer, ServerTools


@dataclass(frozen=True)
class CallResult:
    ok: bool
    text: str  # the result as text, or "ErrorType: message"
    seconds: float
    truncated_chars: int = 0


def result_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        # Ten significant digits: exact enough, and short numbers are copied more faithfully by small models.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def truncate(text: str, max_chars: int) -> tuple[str, int]:
    if len(text) <= max_chars:
        return text, 0
    cut = len(text) - max_chars
    return text[:max_chars] + f"\n[truncated: {cut} more characters not shown]", cut


# ---- starting and stopping a worker -------------------------------------------------------------

class WorkerGone(Exception):
    """The worker ended (or its link broke) before it answered."""

    def __init__(self, exit_code: int | None):
        super().__init__(f"exit code {exit_code}")
        self.exit_code = exit_code


class CallTimedOut(Exception):
    """The worker did not answer within the call's time limit."""


@dataclass
class Worker:
    process: subprocess.Popen
    link: Connection

    def exit_code(self) -> int | None:
        """The exit code of a worker whose link broke; it is given a moment to finish exiting."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(timeout=5)
        return None

    def stop(self, grace: float = 0.0) -> None:
        """Stop the worker and every process in its group (what its tools started), then close the link.
        `grace`: seconds the worker has to end by itself once its link is closed (to close its MCP
        connections, whose stdio servers run in process groups of their own)."""
        with contextlib.suppress(OSError):
            self.link.close()
        if grace > 0:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        _kill_process_tree(self.process)


def _kill_process_tree(process: subprocess.Popen) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the worker leads its own group (start_new_session)
    elif process.poll() is None:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _isolation() -> dict:
    """Popen arguments that put the worker in a process group of its own."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}


def _worker_sys_path() -> list[str]:
    """This process's import path without the working folder, for the worker to import tool
    modules by name as this process would."""
    here = os.getcwd()
    return [p for p in sys.path if p and os.path.abspath(p) != here]


def start_worker() -> Worker:
    """Start a worker process and connect to it. The worker listens on a fresh address and prints it;
    the key that the link is authenticated with goes to it on its standard input."""
    authkey = secrets.token_bytes(32)
    process = subprocess.Popen(
        [sys.executable, "-P", "-m", "slmreact_cli.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"), close_fds=True, **_isolation())
    try:
        process.stdin.write(authkey.hex().encode() + b"\n")
        process.stdin.close()
        address = process.stdout.readline().decode().strip()
        process.stdout.close()
        if not address:
            raise OSError(f"the tool worker did not start (exit code {process.wait(timeout=5)})")
        return Worker(process, Client(address, authkey=authkey))
    except BaseException:
        _kill_process_tree(process)
        raise


def describe_modules(modules: list[tuple[str, ModuleRef]]):
    """For each (spec, module) in order: (error line or None, the module's tool entries), from a
    worker that imports the modules; see tools.describe_module. A module that ends the worker or
    hangs while importing is a ToolLoadError that names it."""
    try:
        worker = start_worker()
    except OSError as exc:
        raise ToolLoadError(f"cannot start the tool worker: {exc}") from None
    try:
        worker.link.send(("describe", _worker_sys_path(), modules))
        for spec, _ in modules:
            if not worker.link.poll(IMPORT_TIMEOUT):
                raise ToolLoadError(f"tools module {spec} did not finish importing within {IMPORT_TIMEOUT:g} s")
            try:
                yield worker.link.recv()
            except (EOFError, OSError):
                raise ToolLoadError(f"tools module {spec} ended its process while importing "
                                    f"(exit code {worker.exit_code()})") from None
    finally:
        worker.stop()


MCP_CALL_GRACE = 15.0  # seconds past an MCP call's time limit before the worker itself is stopped
MCP_CLOSE_GRACE = 8.0  # seconds a worker holding MCP connections has to close them


class ToolRunner:
    """Parent side: validates, sends calls to the worker and turns every failure into a CallResult."""

    def __init__(self, registry: Registry, timeout: float = DEFAULT_TOOL_TIMEOUT, max_chars: int = DEFAULT_MAX_CHARS,
                 memory_limit_mb: int = DEFAULT_MEMORY_MB, mcp_servers: list[McpServer] | None = None):
        self.registry = registry
        self.timeout = timeout
        self.max_chars = max_chars
        self.memory_limit_mb = memory_limit_mb
        self.mcp_servers = list(mcp_servers or [])
        self.mcp_listings: list[ServerTools] = []  # what the worker found on each server when it started
        self._worker: Worker | None = None
        self._sequence = 0

    def start(self) -> None:
        """Start the worker. With MCP servers, wait until it has connected to them and listed their
        tools (`mcp_listings`); without, return at once while it imports the tool modules."""
        if self._worker is not None and self._worker.process.poll() is None:
            return
        self._discard()
        worker = start_worker()
        try:
            worker.link.send(("serve", _worker_sys_path(), self.registry.exports(), self.memory_limit_mb,
                              self.mcp_servers))
            if self.mcp_servers:
                self.mcp_listings = self._receive_listings(worker)
        except BaseException:
            worker.stop()
            raise
        self._worker = worker

    def _receive_listings(self, worker: Worker) -> list[ServerTools]:
        from .mcp.client import CLOSE_TIMEOUT, CONNECT_TIMEOUT
        from .mcp.servers import ServerTools

        failed = [ServerTools(s.name, error="the tool worker ended while connecting") for s in self.mcp_servers]
        try:
            if not worker.link.poll(CONNECT_TIMEOUT + 4 * CLOSE_TIMEOUT):
                return [ServerTools(s.name, error=f"no answer within {CONNECT_TIMEOUT:g} s") for s in self.mcp_servers]
            return worker.link.recv()
        except (EOFError, OSError):
            return failed

    def call(self, name: str, arguments: dict) -> CallResult:
        start = time.perf_counter()
        tool = self.registry.get(name)
        if tool is None:
            valid = ", ".join(self.registry.names())
            return CallResult(False, f"unknown tool {name!r}; valid tools are: {valid}", 0.0)
        try:
            args = tool.validate(arguments)
        except ValueError as exc:
            return CallResult(False, f"ValueError: {exc}", 0.0)
        from .mcp.registry import McpTool

        target = tool.target if isinstance(tool, McpTool) else None
        try:
            ok, text, cut = self._exchange(name, args, target)
        except CallTimedOut:
            self._discard()
            return CallResult(False, f"TimeoutError: {name} did not finish within {self.timeout:g} s "
                                     "and was stopped", time.perf_counter() - start)
        except WorkerGone as gone:
            self._discard()
            return CallResult(False, f"ToolCrashed: {name} ended its process (exit code {gone.exit_code})",
                              time.perf_counter() - start)
        except BaseException:
            self._discard()  # interrupted mid-call: the worker may still answer this call later
            raise
        return CallResult(ok, text, time.perf_counter() - start, cut)

    def _exchange(self, name: str, args: dict, target: tuple[str, str] | None = None) -> tuple[bool, str, int]:
        """Send one call and wait for its own reply; replies to earlier calls are dropped. An MCP
        call (`target`: server and tool name) is timed by the worker, which cancels it on the server;
        this side waits a grace period longer before it gives up on the worker."""
        try:
            self.start()
        except OSError as exc:
            raise WorkerGone(None) from exc
        worker = self._worker
        self._sequence += 1
        deadline = time.monotonic() + self.timeout + (MCP_CALL_GRACE if target else 0.0)
        try:
            worker.link.send((self._sequence, name, args, self.max_chars, target, self.timeout))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not worker.link.poll(remaining):
                    raise CallTimedOut
                sequence, ok, text, cut = worker.link.recv()
                if sequence == self._sequence:
                    return ok, text, cut
        except (EOFError, OSError) as exc:
            raise WorkerGone(worker.exit_code()) from exc

    def close(self) -> None:
        """Stop the worker; one holding MCP connections first closes them."""
        if self._worker is not None:
            self._worker.stop(grace=MCP_CLOSE_GRACE if self.mcp_servers else 0.0)
        self._worker = None

    def _discard(self) -> None:
        """Stop the worker at once: it timed out, crashed or was interrupted."""
        if self._worker is not None:
            self._worker.stop()
        self._worker = None

    def __enter__(self) -> "ToolRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- worker side ---------------------------------------------------------------------------------

def _run_one(func, args: dict):
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        value = func(**args)
        if inspect.isawaitable(value):
            import asyncio  # a tenth of a second at every worker start, paid only by async tools

            value = asyncio.run(_await(value))
    if value is None and captured.getvalue():
        return captured.getvalue()
    return value


async def _await(awaitable):
    return await awaitable


def _limit_memory(megabytes: int) -> None:
    """Cap the worker's memory, so a runaway tool gets a MemoryError instead of exhausting the machine.
    RLIMIT_DATA counts the memory a process writes to, not address space it only reserves."""
    if megabytes <= 0:
        return
    try:
        import resource
    except ImportError:  # not on this platform
        return
    kind = resource.RLIMIT_DATA if sys.platform == "linux" else resource.RLIMIT_AS
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(kind)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(kind, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


@dataclass
class _Function:
    func: object
    validator: object
    parameters: list[str]


def _load_functions(exports: list[tuple[ModuleRef, list[str]]]) -> tuple[dict, dict]:
    """The registry's tools, each taken from its own module; and why any could not be loaded."""
    functions, missing = {}, {}
    for ref, names in exports:
        try:
            module = import_module(ref)
        except BaseException as exc:
            missing.update({n: f"its module failed to import: {type(exc).__name__}: {exc}" for n in names})
            continue
        for name in names:
            try:
                func = getattr(module, name)
                functions[name] = _Function(func, signature_validator(name, func),
                                            list(inspect.signature(func).parameters))
            except Exception as exc:
                missing[name] = f"{type(exc).__name__}: {exc}"
    return functions, missing


def _answer(function: _Function | None, why_missing: str | None, name: str, args: dict,
            max_chars: int) -> tuple[bool, str, int]:
    try:
        if function is None:
            raise LookupError(f"{name} is not available: {why_missing or 'unknown tool'}")
        checked = checked_arguments(name, function.validator, args, function.parameters)
        value = _run_one(function.func, {k: v for k, v in dict(checked).items() if k in args})
        text, cut = truncate(result_text(value), max_chars)
        return True, text, cut
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from a tool too
        message = str(exc).strip() or "(no message)"
        text, cut = truncate(f"{type(exc).__name__}: {message}", max_chars)
        return False, text, cut


def _answer_mcp(connections, target: tuple[str, str], name: str, args: dict, timeout: float,
                max_chars: int) -> tuple[bool, str, int]:
    if connections is None:
        return False, f"LookupError: {name} is not available: no MCP servers are connected", 0
    ok, text = connections.call(*target, args, timeout, name)
    return (ok, *truncate(text, max_chars))


def serve(link: Connection, exports: list[tuple[ModuleRef, list[str]]], mcp_servers: list[McpServer]) -> None:
    connections = None
    if mcp_servers:
        from .mcp.client import McpConnections

        connections = McpConnections(mcp_servers)
        link.send(connections.open_all())
    functions, missing = _load_functions(exports)
    worker_pid = os.getpid()
    try:
        while True:
            try:
                sequence, name, args, max_chars, target, timeout = link.recv()
            except (EOFError, OSError):
                return
            if target is not None:
                reply = _answer_mcp(connections, target, name, args, timeout, max_chars)
            else:
                reply = _answer(functions.get(name), missing.get(name), name, args, max_chars)
            if os.getpid() != worker_pid:
                os._exit(0)  # a copy left by a tool that forked: only the worker itself answers
            link.send((sequence, *reply))
    finally:
        if connections is not None and os.getpid() == worker_pid:
            connections.close()


def describe(link: Connection, modules: list[tuple[str, ModuleRef]]) -> None:
    for spec, ref in modules:
        link.send(describe_module(spec, ref))


def _silence_standard_streams() -> None:
    """Point file descriptors 0 and 1 at the null device: a tool's prints and reads, its child
    processes' too, must neither reach this program's output nor wait for input."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)


def _listen_address() -> str | None:
    """A socket path of our own on POSIX (nothing to clean up after a kill once the link is up);
    None on Windows, where the default is a named pipe."""
    if os.name != "posix":
        return None
    return os.path.join(tempfile.gettempdir(), f"slmreact-worker-{os.getpid()}-{secrets.token_hex(4)}")


def main() -> None:
    authkey = bytes.fromhex(sys.stdin.readline().strip())
    with Listener(_listen_address(), authkey=authkey) as listener:
        print(listener.address, flush=True)
        link = listener.accept()
    _silence_standard_streams()
    request = link.recv()
    kind, import_path = request[0], request[1]
    sys.path[:] = list(dict.fromkeys([*sys.path, *import_path]))
    if kind == "describe":
        describe(link, request[2])
    else:
        _limit_memory(request[3])
        serve(link, request[2], request[4])


if __name__ == "__main__":
    main()
