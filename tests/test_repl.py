"""The REPL driven through prompt-toolkit's pipe input, over a scripted engine."""
import io
import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from slmreact_cli.config import resolve_model
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.repl import make_prompt_session, run_repl
from slmreact_cli.session import Session, SessionOptions
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner


@pytest.fixture
def repl(tmp_path):
    registry = load_registry(None)
    runner = ToolRunner(registry)

    def start(replies, lines, log=False):
        engine = ScriptedEngine(replies=list(replies))
        session = Session(resolve_model("qwen2.5-coder-0.5b"), engine, registry, runner,
                          SessionOptions(log=log))
        buffer = io.StringIO()
        console = Console(file=buffer, width=100, color_system=None)
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            pipe.send_text("".join(line + "\r" for line in lines))
            pipe.close()
            prompt = make_prompt_session(registry.names(), history=InMemoryHistory())
            run_repl(session, console, prompt_session=prompt)
        return engine, buffer.getvalue()

    yield start
    runner.close()


def test_slash_commands_and_a_question(repl, tmp_path):
    saved = tmp_path / "t.md"
    engine, out = repl(
        [ScriptedReply('Action: calculate(expression="6*7")'), ScriptedReply("Answer: 42")],
        ["/help", "/tools", "What is 6 times 7?", f"/save {saved}", "/nope", "/exit"])
    assert "/reset" in out and "/verbose on|off" in out  # help lists the registry
    assert "convert_units" in out  # /tools table
    assert "Answer" in out and "42" in out
    assert "unknown command /nope" in out
    assert "## What is 6 times 7?" in saved.read_text()
    assert engine.unused() == []


def test_reset_forgets_the_conversation(repl):
    engine, out = repl([ScriptedReply("Answer: one"), ScriptedReply("Answer: two")], ["first?", "/reset", "second?"])
    assert "conversation cleared" in out
    assert not any("first?" in m["content"] for m in engine.calls[1].messages)


def test_an_error_turn_does_not_end_the_session(repl):
    # The script is empty for the first question: the engine raises, the REPL prints one line and goes on.
    engine, out = repl([], ["this fails", "/verbose on", "/exit"])
    assert "error:" in out and "verbose on" in out


def test_transcript_log_records_each_step(repl, home):
    from slmreact_cli.logs import recent_questions

    repl([ScriptedReply('Action: calculate(expression="6*7")'), ScriptedReply("Answer: 42")], ["What is 6 times 7?"], log=True)
    (row,) = recent_questions(5, with_events=True)
    assert row["question"] == "What is 6 times 7?" and row["answer"] == "42"
    types = [e["type"] for e in row["events"]]
    assert {"thought", "action", "call_plan", "tool_call", "observation", "answer"} <= set(types)
