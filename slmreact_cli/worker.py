"""Runs tool calls in a separate Python process, so a tool cannot hang, exit or crash the session.

The worker is started once per session (`python -m slmreact_cli.worker`) and imports the tool
modules itself. Each call is a pickled request over a pipe; the parent waits with a timeout.
On a timeout the worker is killed and a new one is started for the next call; a worker that
died (sys.exit is caught, os._exit or a segfault is not) is restarted the same way. The cost is
one process start per session and one pipe round trip per call (bench/tool_isolation.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection

from .tools import DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT, ModuleRef, Registry, import_module


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


class ToolRunner:
    """Parent side: validates, sends calls to the worker and turns every failure into a CallResult."""

    def __init__(self, registry: Registry, timeout: float = DEFAULT_TIMEOUT, max_chars: int = DEFAULT_MAX_CHARS):
        self.registry = registry
        self.timeout = timeout
        self.max_chars = max_chars
        self._proc: subprocess.Popen | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "slmreact_cli.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, close_fds=True)
        self._send = Connection(os.dup(self._proc.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self._proc.stdout.fileno()), writable=False)
        self._proc.stdin.close()
        self._proc.stdout.close()
        self._send.send([(m.spec, m.module_name, m.is_path) for m in self.registry.modules])

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
        try:
            self.start()
            self._send.send((name, args, self.max_chars))
            if not self._recv.poll(self.timeout):
                self._kill()
                return CallResult(False, f"TimeoutError: {name} did not finish within {self.timeout:g} s "
                                         "and was stopped", time.perf_counter() - start)
            ok, text, cut = self._recv.recv()
        except (EOFError, OSError, BrokenPipeError):
            code = self._proc.wait(timeout=5) if self._proc else None
            self._kill()
            return CallResult(False, f"ToolCrashed: {name} ended its process (exit code {code})",
                              time.perf_counter() - start)
        return CallResult(ok, text, time.perf_counter() - start, cut)

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self.close()

    def close(self) -> None:
        for conn in (self._send, self._recv):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=2)
        self._proc = self._send = self._recv = None

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
            value = asyncio.run(_await(value))
    if value is None and captured.getvalue():
        return captured.getvalue()
    return value


async def _await(awaitable):
    return await awaitable


def serve() -> None:
    recv = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # a tool's prints must not corrupt the pipe
    functions = {}
    for spec, module_name, is_path in recv.recv():
        try:
            module = import_module(ModuleRef(spec, module_name, is_path))
            functions.update({n: f for n, f in vars(module).items() if callable(f)})
        except BaseException:
            traceback.print_exc()
    while True:
        try:
            name, args, max_chars = recv.recv()
        except (EOFError, OSError):
            return
        try:
            value = _run_one(functions[name], args)
            text, cut = truncate(result_text(value), max_chars)
            send.send((True, text, cut))
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from a tool too
            message = str(exc).strip() or "(no message)"
            text, cut = truncate(f"{type(exc).__name__}: {message}", max_chars)
            send.send((False, text, cut))


if __name__ == "__main__":
    serve()
