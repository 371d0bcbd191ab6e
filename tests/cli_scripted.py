"""The CLI over a scripted engine, for tests that drive commands with Typer's CliRunner: the tools,
the tool worker, approval and the log are the real ones; only the model is replaced."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply

SMALL = "qwen2.5-coder-0.5b"


@dataclass
class Opened:
    """What `open_session` was given, per session the CLI opened."""
    options: list = field(default_factory=list)
    approvers: list = field(default_factory=list)
    engine: ScriptedEngine | None = None


@pytest.fixture
def scripted(monkeypatch, home):
    """`scripted(replies)` makes the next CLI session run on a ScriptedEngine with those replies;
    returns an Opened that records the session options and approver."""
    import slmreact_cli.session as session_module
    from slmreact_cli.config import resolve_model
    from slmreact_cli.session import Session
    from slmreact_cli.tool_loading import load_registry
    from slmreact_cli.worker import ToolRunner

    runners = []

    def install(replies: list[ScriptedReply]) -> Opened:
        opened = Opened(engine=ScriptedEngine(replies=list(replies)))

        def open_session(options, progress=None, approve=None, **_):  # every session runs on opened.engine
            opened.options.append(options)
            opened.approvers.append(approve)
            registry = load_registry(options.tools)
            runner = ToolRunner(registry, timeout=options.tool_timeout)
            runners.append(runner)
            return Session(resolve_model(SMALL), opened.engine, registry, runner, options, approve)

        monkeypatch.setattr(session_module, "open_session", open_session)
        return opened

    yield install
    for runner in runners:
        runner.close()


def invoke(*args: str, input: str | None = None):
    """`slmreact ARGS` through Typer's CliRunner (stdout and stderr apart)."""
    from slmreact_cli.cli import app

    return CliRunner().invoke(app, list(args), input=input, prog_name="slmreact")
