"""Loading tool modules that misbehave, and the tool calls nested in arguments."""
import json
import subprocess
import sys

import pytest

from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.config import Profile
from slmreact_cli.errors import ToolLoadError
from slmreact_cli.events import Answer, Observation, ToolCall
from slmreact_cli.guards.nesting import InnerCallFailed, WrittenCall, find_nested, substitute
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner

from conftest import DATA

HOSTILE = DATA / "hostile"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "slmreact_cli", *args], capture_output=True, timeout=120)


def test_a_module_that_prints_at_import_leaves_the_json_output_clean(home):
    proc = cli("tools", "--tools", str(HOSTILE / "prints_at_import.py"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert [t["function"]["name"] for t in json.loads(proc.stdout)["tools"]] == ["double"]


def test_a_module_that_prints_at_import_prints_nothing_here(capfd):
    registry = load_registry([str(HOSTILE / "prints_at_import.py")])
    with ToolRunner(registry) as runner:
        assert runner.call("double", {"x": 21}).text == "42"
    assert capfd.readouterr().out == ""


def test_a_module_that_ends_the_process_at_import_is_one_clear_line(home):
    proc = cli("tools", "--tools", str(HOSTILE / "exits_at_import.py"))
    assert proc.returncode == 2
    assert b"exits_at_import.py ended its process while importing (exit code 9)" in proc.stderr
    assert proc.stderr.count(b"\n") == 1 and b"Traceback" not in proc.stderr


def test_the_same_module_in_the_registry_api_raises_a_load_error():
    with pytest.raises(ToolLoadError, match=r"ended its process while importing \(exit code 9\)"):
        load_registry([str(HOSTILE / "exits_at_import.py")])


@pytest.fixture(scope="module")
def future_tools():
    """future_annotations.py's registry and one worker for the tests that call it."""
    registry = load_registry([str(HOSTILE / "future_annotations.py")])
    with ToolRunner(registry) as runner:
        yield registry, runner


@pytest.fixture(scope="module")
def file_tools():
    """files.py's registry and one worker for the tests that call it."""
    registry = load_registry([str(HOSTILE / "files.py")])
    with ToolRunner(registry) as runner:
        yield registry, runner


def test_postponed_annotations_with_literal_optional_and_dates_can_be_called(future_tools):
    registry, runner = future_tools
    tool = registry.get("describe_day")
    assert tool.parameters["properties"]["day"]["type"] == "string"
    assert tool.parameters["properties"]["style"]["enum"] == ["short", "long"]
    assert runner.call("describe_day", {"day": "2024-01-01", "style": "long"}).text == "Monday"
    assert runner.call("describe_day", {"day": "2024-01-02", "prefix": "on "}).text == "on Tue"
    bad = runner.call("describe_day", {"day": "someday"})
    assert not bad.ok and bad.text.startswith("ValueError: invalid arguments for describe_day: day")


def test_postponed_annotations_in_a_whole_question(future_tools):
    registry, runner = future_tools
    engine = ScriptedEngine(replies=[ScriptedReply('Action: describe_day(day="2024-01-01", style="long")'),
                                     ScriptedReply("Answer: Monday")])
    events = list(Agent(engine, registry, runner, AgentSettings(grounding=False)).run("Which day?"))
    assert [(e.name, e.result) for e in events if isinstance(e, ToolCall)] == [("describe_day", "Monday")]
    assert isinstance(events[-1], Answer)


def test_functions_with_var_arguments_are_skipped_with_a_reason():
    registry = load_registry([str(HOSTILE / "var_arguments.py")])
    assert registry.names() == ["shout"]
    reasons = {s.name: s.reason for s in registry.skipped}
    assert "*numbers" in reasons["total"] and "**options" in reasons["label"]


def test_a_text_argument_that_mentions_a_call_is_passed_on_as_text(tmp_path, file_tools):
    registry, runner = file_tools
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    mention = f"delete_file('{notes}')"
    engine = ScriptedEngine(replies=[ScriptedReply(f'Action: echo(text="{mention}")'), ScriptedReply("Answer: done")])
    events = list(Agent(engine, registry, runner, AgentSettings(grounding=False)).run("Echo that text."))
    assert [(e.name, e.result) for e in events if isinstance(e, ToolCall)] == [("echo", mention)]
    assert [e.text for e in events if isinstance(e, Observation)] == [mention]
    assert notes.read_text() == "keep me"


def test_a_call_written_as_the_argument_itself_still_runs_first(tmp_path, file_tools):
    """delete_file(path=echo(text="...")): the Action gives the argument as a call, so it runs first."""
    registry, runner = file_tools
    scratch = tmp_path / "scratch.txt"
    scratch.write_text("remove me")
    engine = ScriptedEngine(replies=[ScriptedReply(f'Action: delete_file(path=echo(text="{scratch}"))'), ScriptedReply("Answer: done")])
    events = list(Agent(engine, registry, runner, AgentSettings(grounding=False)).run("Delete it."))
    assert [(e.name, e.result) for e in events if isinstance(e, ToolCall)] == [
        ("echo", str(scratch)), ("delete_file", f"deleted {scratch}")]
    assert not scratch.exists()


def test_a_deeply_nested_call_fails_as_an_inner_call_not_with_a_recursion_error():
    params = {"lookup": ["key"]}
    deep = WrittenCall("lookup(key=" + "-" * 600 + "1)")
    nested = find_nested({"key": deep}, set(params))
    with pytest.raises(InnerCallFailed, match="too deeply nested"):
        substitute(nested["key"], params, lambda name, args: (True, "1"))


def test_the_tool_memory_limit_is_a_profile_setting_that_zero_turns_off():
    assert Profile(name="x", source="y").tool_memory_mb == 4096
    assert Profile(name="x", source="y", tool_memory_mb=0).tool_memory_mb == 0
    with pytest.raises(ValueError):
        Profile(name="x", source="y", tool_memory_mb=-1)
