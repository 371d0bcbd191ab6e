"""The console script run in process, in Typer's CliRunner isolation, its sessions on a scripted engine.

Unlike `cli_scripted.invoke`, `slmreact(...)` runs `cli.main` as the installed command does, so an
error a user can fix is one line and exit 2, and `lines` are typed into `chat`'s prompt. The
`scripted` fixture makes every session open on one ScriptedEngine (the real tools, worker and log),
with the profile that --model names, so the log records it."""
import sys
from dataclasses import dataclass

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from typer.testing import CliRunner

from slmreact_cli.models.fake import ScriptedEngine

SMALL = "qwen2.5-coder-0.5b"


@dataclass
class Run:
    code: int
    out: str
    err: str


def slmreact(*args: str, lines: list[str] | None = None) -> Run:
    from slmreact_cli.cli import main

    argv = sys.argv
    sys.argv = ["slmreact", *args]
    try:
        with CliRunner().isolation() as (out, err, _), create_pipe_input() as pipe, \
                create_app_session(input=pipe, output=DummyOutput()):
            pipe.send_text("".join(line + "\r" for line in lines or []))
            pipe.close()
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
            sys.stdout.flush()
            sys.stderr.flush()
            return Run(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        sys.argv = argv


def use_scripted_engine(monkeypatch, replies, runners: list) -> ScriptedEngine:
    """Make the CLI's sessions run on one ScriptedEngine with these replies; the profile is the
    effective --model (the flag, else config.toml's default), so the log records that name. Each ToolRunner started is
    added to `runners`, for the caller to close."""
    import slmreact_cli.session as session_module
    from slmreact_cli.config import resolve_model
    from slmreact_cli.session import Session
    from slmreact_cli.tool_loading import load_registry
    from slmreact_cli.worker import ToolRunner

    engine = ScriptedEngine(replies=list(replies))

    def open_session(options, progress=None, approve=None, **_):  # every session runs on `engine`
        registry = load_registry(options.tools)
        runner = ToolRunner(registry, timeout=options.tool_timeout)
        runners.append(runner)
        return Session(resolve_model(options.model or SMALL), engine, registry, runner, options, approve)

    monkeypatch.setattr(session_module, "open_session", open_session)
    return engine


@pytest.fixture
def scripted(monkeypatch, home):
    """`scripted(replies)`: see use_scripted_engine; the returned engine records every model call."""
    runners: list = []
    yield lambda replies: use_scripted_engine(monkeypatch, replies, runners)
    for runner in runners:
        runner.close()
