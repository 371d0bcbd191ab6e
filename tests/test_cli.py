"""The CLI in process through Typer's CliRunner, on the strict scripted engine: `ask` (--json, -q,
exit codes), `batch` (order, bad lines, progress on stderr) and the shared session flags. Tools,
the tool worker and the transcript log are the real ones; only the model is scripted."""
import json
import re

import pytest
from typer.testing import CliRunner

from conftest import CALCULATOR, SMALL_PROFILE
from slmreact_cli.cli import app
from slmreact_cli.models.fake import ScriptedReply, ScriptedEngine
from slmreact_cli.prompts import NATIVE_SYSTEM

RECORD_FIELDS = {"id", "question", "answer", "steps", "seconds", "model", "error"}
SESSION_FLAGS = ("--model", "--tools", "--max-steps", "--grammar", "--tool-timeout", "--no-log", "--mode")


@pytest.fixture(autouse=True)
def no_model(monkeypatch):
    """Loading a real model here is a failure: every command answers on the scripted engine."""
    import slmreact_cli.models.loader as loader

    def refuse(*args, **kwargs):
        raise AssertionError("the command loaded a model instead of using the scripted engine")

    monkeypatch.setattr(loader, "load_engine", refuse)


def slmreact(engine, *args, stdin=None):
    """`slmreact ARGS` with `engine` in place of the profile's model, on the calculator tool only."""
    result = CliRunner().invoke(app, [*args, "--tools", CALCULATOR], input=stdin, obj=engine)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def scripted(*texts):
    return ScriptedEngine(replies=[ScriptedReply(text) for text in texts])


# ---- ask -----------------------------------------------------------------------------------------------

def test_ask_json_prints_the_run_and_exits_0(home):
    engine = scripted('Thought: multiply\nAction: calculate(expression="6*7")', "Answer: 42")
    result = slmreact(engine, "ask", "--json", "--no-log", "--model", SMALL_PROFILE, "  What is 6 times 7?  ")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert set(record) == RECORD_FIELDS
    assert record["question"] == "What is 6 times 7?" and record["model"] == SMALL_PROFILE
    assert record["answer"] == "42" and record["error"] is None and record["id"] is None
    assert record["steps"][0] == {"thought": "multiply", "action": 'calculate(expression="6*7")',
                                  "calls": [{"name": "calculate", "arguments": {"expression": "6*7"},
                                             "result": "42"}],
                                  "observation": "42"}
    assert engine.unused() == []


def test_ask_without_an_answer_exits_1_and_says_why(home):
    engine = scripted('Action: calculate(expression="6*7")', 'Action: calculate(expression="7*6")')
    result = slmreact(engine, "ask", "--json", "--no-log", "--max-steps", "2", "What is 6 times 7?")
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["answer"] is None and record["error"] == "no answer within 2 steps"
    assert engine.unused() == []


def test_ask_quiet_prints_only_the_answer_and_the_panels_go_to_stderr(home):
    engine = scripted('Thought: multiply\nAction: calculate(expression="6*7")', "Answer: 42")
    result = slmreact(engine, "ask", "-q", "--no-log", "What is 6 times 7?")
    assert result.exit_code == 0
    assert result.stdout == "42\n"
    assert "Action · step 1" in result.stderr and "Observation · step 1" in result.stderr


def test_ask_quiet_without_an_answer_prints_nothing_and_exits_1(home):
    engine = scripted("Thought: hmm\nPAUSE", "Thought: hmm\nPAUSE")
    result = slmreact(engine, "ask", "-q", "--no-log", "--max-steps", "2", "What is 6 times 7?")
    assert result.exit_code == 1 and result.stdout == ""
    assert "No answer: no answer within 2 steps" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["ask", "   "], "the question is empty"),
    (["ask", "--mode", "python", "hi"], "--mode must be react, native or code"),
    (["ask", "--max-steps", "0", "hi"], "--max-steps"),
])
def test_usage_errors_exit_2_without_a_model_call(home, args, message):
    engine = scripted()
    result = slmreact(engine, *args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert engine.calls == []


# ---- the shared session flags --------------------------------------------------------------------------

def test_the_session_flags_reach_the_loop(home):
    engine = scripted("It is 42.")
    result = slmreact(engine, "ask", "--json", "--no-log", "--mode", "native", "What is 6 times 7?")
    assert result.exit_code == 0 and json.loads(result.stdout)["answer"] == "It is 42."
    assert engine.calls[0].messages[0] == {"role": "system", "content": NATIVE_SYSTEM}
    assert engine.calls[0].stop == ("<tool_call>",)


@pytest.mark.parametrize("command", ["ask", "batch", "chat"])
def test_ask_batch_and_chat_take_the_same_session_flags(command):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in SESSION_FLAGS:
        assert flag in result.stdout, (command, flag)
    assert "[default: 8; 1<=x<=64]" in result.stdout and "[default: 30.0; x>=0.1]" in result.stdout


# ---- batch ---------------------------------------------------------------------------------------------

BATCH = "\n".join([
    json.dumps({"id": "a", "question": "What is 6 times 7?"}),
    "{not json",
    "",
    json.dumps({"id": "c"}),
    json.dumps({"id": "d", "question": "What is 2 plus 3?"}),
]) + "\n"


def test_batch_answers_in_order_and_records_bad_lines(home):
    engine = scripted('Action: calculate(expression="6*7")', "Answer: 42", "Answer: 5")
    result = slmreact(engine, "batch", "-", "--no-log", stdin=BATCH)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", None, "c", "d"]
    assert all(set(r) == RECORD_FIELDS for r in records)
    assert [r["answer"] for r in records] == ["42", None, None, "5"]
    assert records[1]["error"].startswith("line 2: invalid JSON")
    assert records[2]["error"] == 'line 4: needs an "id" and a string "question"'
    assert records[3]["question"] == "What is 2 plus 3?" and records[3]["steps"][0]["calls"] == []
    assert engine.unused() == []


def test_batch_reports_progress_on_stderr_and_writes_out(home, tmp_path):
    engine = scripted('Action: calculate(expression="6*7")', "Answer: 42", "Answer: 5")
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(BATCH)
    result = slmreact(engine, "batch", str(source), "--no-log", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    progress = re.findall(r"^\[(\d)\] (\w+): (answered in|no answer \(line \d)", result.stderr, re.MULTILINE)
    assert progress == [("1", "a", "answered in"), ("2", "None", "no answer (line 2"),
                        ("3", "c", "no answer (line 4"), ("4", "d", "answered in")]
    assert result.stderr.rstrip().endswith("\n2/4 answered")
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", None, "c", "d"]


def test_batch_starts_each_line_afresh(home):
    """A line that would refer back to the one before (in `chat` it would) sees no earlier line."""
    lines = [{"id": "a", "question": "What is 6 times 7?"}, {"id": "b", "question": "And what is twice that?"}]
    engine = scripted("Answer: 42", "Answer: 84")
    result = slmreact(engine, "batch", "-", "--no-log", stdin="".join(json.dumps(line) + "\n" for line in lines))
    assert result.exit_code == 0 and engine.unused() == []
    assert not any("6 times 7" in str(m["content"]) for m in engine.calls[1].messages)


def test_a_missing_batch_file_exits_2(home, tmp_path):
    engine = scripted()
    result = slmreact(engine, "batch", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2 and "batch file not found" in result.stderr


# ---- the log -------------------------------------------------------------------------------------------

def test_the_log_records_the_question_and_model_of_each_run(home):
    engine = scripted('Action: calculate(expression="6*7")', "Answer: 42")
    assert slmreact(engine, "ask", "--json", "--model", SMALL_PROFILE, "What is 6 times 7?").exit_code == 0
    logged = CliRunner().invoke(app, ["logs", "--json"])
    (row,) = json.loads(logged.stdout)
    assert (row["question"], row["model"], row["answer"]) == ("What is 6 times 7?", SMALL_PROFILE, "42")
    types = [event["type"] for event in row["events"]]
    assert types[0] == "model_turn" and types[-1] == "answer" and "started" not in types
