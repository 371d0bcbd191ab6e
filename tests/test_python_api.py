"""`slmreact.Agent`: the Python API over a scripted model, with the real tools, worker and approval;
its record is the one `ask --json` prints, and the example script in examples/ runs."""
import importlib.util
import json
import sys

import pytest

from cli_scripted import SMALL, invoke, scripted  # noqa: F401 - scripted is a fixture
from conftest import CALCULATOR, DATA, ROOT, SAMPLE
from slmreact_cli.errors import ToolLoadError
from slmreact_cli.execution import DECLINED
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply


def load_module(path, name):
    """Import a file as a module of its own, as a user's program has imported its tools."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample():
    yield load_module(SAMPLE, "api_sample_tools")
    sys.modules.pop("api_sample_tools", None)


def agent(replies, **kwargs):
    from slmreact import Agent

    engine = ScriptedEngine(replies=list(replies))
    return Agent(model=SMALL, engine=engine, **kwargs), engine


def test_the_package_exports_the_agent_and_the_events():
    import slmreact
    from slmreact_cli.api import Agent

    assert slmreact.Agent is Agent and slmreact.events.Answer.__name__ == "Answer"
    assert Agent.__doc__ and Agent.ask.__doc__ and Agent.stream.__doc__


def test_ask_returns_the_record_that_ask_json_prints(home, scripted, sample):
    replies = [ScriptedReply('Action: lookup(key="a")'), ScriptedReply("Answer: a holds 10")]
    scripted(replies)
    cli = invoke("ask", "--json", "--no-log", "-t", SAMPLE, "  What is stored under a?  ")
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)

    assistant, engine = agent(replies, tools=[SAMPLE])
    with assistant:
        record = assistant.ask("  What is stored under a?  ")
    assert record["seconds"] > 0
    assert {**record, "seconds": None} == {**expected, "seconds": None}
    assert record["answer"] == "a holds 10" and record["question"] == "What is stored under a?"
    assert engine.unused() == []


def test_stream_yields_the_events_in_order(home, sample):
    from slmreact import events

    assistant, _ = agent([ScriptedReply('Action: add(x=2, y=3)'), ScriptedReply("Answer: 5")], tools=[sample.add])
    with assistant:
        stream = assistant.stream("What is 2+3?")
        happened = list(stream)
    kinds = [type(e).__name__ for e in happened]
    assert kinds[0] == "Started" and kinds[-1] == "Answer"
    assert (happened[0].question, happened[0].model) == ("What is 2+3?", assistant.model)
    call = next(e for e in happened if isinstance(e, events.ToolCall))
    assert (call.name, call.arguments, call.result) == ("add", {"x": 2, "y": 3}, "5")
    assert happened[-1].text == "5"


def test_functions_as_tools_are_only_the_functions_given(home, sample):
    assistant, engine = agent([ScriptedReply("Answer: none")], tools=[sample.lookup, sample.add, CALCULATOR])
    with assistant:
        assert assistant.tools == ["lookup", "add", "calculate"]
        assistant.ask("Anything?")
    assert "hang(" not in engine.calls[0].messages[0]["content"]


def test_functions_run_in_the_worker_with_its_timeout(home, sample):
    assistant, _ = agent([ScriptedReply("Action: hang(seconds=30)"), ScriptedReply("Answer: it timed out")],
                         tools=[sample.hang], tool_timeout=1.0)
    with assistant:
        record = assistant.ask("Wait for 30 seconds?")
    assert record["steps"][0]["calls"][0]["error"].startswith("TimeoutError: hang did not finish within 1 s")


def test_functions_the_worker_cannot_import_are_refused_with_one_line(home, sample):
    from slmreact import Agent

    def nested(x: int) -> int:
        """Nested.

        Args:
            x: A number.
        """
        return x

    for tool in (nested, lambda x: x, print, sample.lookup.__call__):
        with pytest.raises(ToolLoadError, match="top level of a module") as refused:
            Agent(model=SMALL, engine=ScriptedEngine(), tools=[tool])
        assert "\n" not in str(refused.value)
    with pytest.raises(ValueError, match="tools is empty"):
        Agent(model=SMALL, engine=ScriptedEngine(), tools=[])


def test_a_function_the_registry_skips_says_why(home):
    from slmreact import Agent

    module = load_module(DATA / "undocumented_tools.py", "api_undocumented")
    try:
        with pytest.raises(ToolLoadError, match="tool bare: .*type hint"):
            Agent(model=SMALL, engine=ScriptedEngine(), tools=[module.bare])
    finally:
        sys.modules.pop("api_undocumented", None)


def test_approve_as_a_list_refuses_other_tools(home, sample):
    assistant, _ = agent([ScriptedReply('Action: lookup(key="a")\nAction: add(x=1, y=2)'), ScriptedReply("Answer: 10")],
                         tools=[sample.lookup, sample.add], approve=["lookup"])
    with assistant:
        calls = assistant.ask("What is a, and 1+2?")["steps"][0]["calls"]
    assert calls[0]["result"] == "10" and calls[1]["error"] == DECLINED


def test_approve_as_a_function_sees_each_call(home, sample):
    seen = []
    assistant, _ = agent([ScriptedReply("Action: add(x=1, y=2)"), ScriptedReply("Answer: 3")], tools=[sample.add],
                         approve=lambda name, arguments: seen.append((name, arguments)) or True)
    with assistant:
        assert assistant.ask("What is 1+2?")["answer"] == "3"
    assert seen == [("add", {"x": 1, "y": 2})]


def test_system_text_mode_and_questions_of_one_conversation(home, sample):
    assistant, engine = agent([ScriptedReply("Answer: 10"), ScriptedReply("Answer: 20"), ScriptedReply("Answer: 7")],
                              tools=[sample.lookup], system="Answer in one word.", mode="react")
    with assistant:
        assistant.ask("What is stored under a?")
        assistant.ask("And what is that doubled?")  # refers back: it sees the first exchange
        assistant.reset()
        assistant.ask("And what is under c?")
    first, second, third = (call.messages for call in engine.calls)
    assert "\n\nAnswer in one word.\n\nTools:" in first[0]["content"]
    assert any("What is stored under a?" in m["content"] for m in second[1:])
    assert not any("What is stored under a?" in m["content"] for m in third[1:])


def test_bad_arguments_are_errors_before_anything_runs(home):
    from slmreact import Agent

    with pytest.raises(ValueError, match="mode must be react, native or code"):
        Agent(model=SMALL, engine=ScriptedEngine(), mode="fast")
    with pytest.raises(ValueError, match="max_steps"):
        Agent(model=SMALL, engine=ScriptedEngine(), max_steps=0)
    assistant, _ = agent([], tools=[CALCULATOR])
    with assistant, pytest.raises(ValueError, match="the question is empty"):
        assistant.stream("   ")


def test_log_writes_the_transcript_as_the_cli_does(home, sample):
    from slmreact_cli.logs import recent_questions

    assistant, _ = agent([ScriptedReply("Answer: 10")], tools=[sample.lookup], log=True)
    with assistant:
        assistant.ask("What is under a?")
        stream = assistant.stream("What is under b?")
    assert [row["question"] for row in recent_questions(2)] == ["What is under a?"]
    assert recent_questions(1)[0]["answer"] == "10"
    stream.close()


SCRIPT = """
import sys
from slmreact import Agent
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply

print("imported as", __name__, file=sys.stderr)


def double(x: int) -> int:
    \"\"\"Double a number.

    Args:
        x: The number.
    \"\"\"
    return 2 * x


if __name__ == "__main__":
    engine = ScriptedEngine(replies=[ScriptedReply("Action: double(x=21)"), ScriptedReply("Answer: 42")])
    with Agent(model="qwen2.5-coder-0.5b", tools=[double], engine=engine) as agent:
        print(agent.ask("What is 21 doubled?")["steps"][0]["calls"])
"""


def test_a_scripts_own_functions_are_tools_and_its_main_block_runs_once(home, tmp_path):
    import os
    import subprocess

    script = tmp_path / "my_script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[{'name': 'double', 'arguments': {'x': 21}, 'result': '42'}]"
    assert done.stderr.count("imported as __main__") == 1  # the worker imports it under another name


def test_the_example_script_runs(home, capsys):
    example = load_module(ROOT / "examples" / "python_api.py", "python_api_example")
    engine = ScriptedEngine(replies=[
        ScriptedReply('Action: get_exchange_rate(base="EUR", quote="JPY")'),
        ScriptedReply('Action: calculate(expression="20 * 162.4")'),
        ScriptedReply("Answer: 20 euros is 3248 yen."),
        ScriptedReply('Action: get_exchange_rate(base="USD", quote="EUR")'),
        ScriptedReply('Action: calculate(expression="50 * 0.92")'),
        ScriptedReply("Answer: 50 US dollars is 46 euros."),
    ])
    try:
        example.main(engine=engine)
    finally:
        sys.modules.pop("python_api_example", None)
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["answer: 20 euros is 3248 yen.", "calls: ['get_exchange_rate', 'calculate']"]
    assert out[2:] == ["ran get_exchange_rate({'base': 'USD', 'quote': 'EUR'}) -> 0.92",
                       "ran calculate({'expression': '50 * 0.92'}) -> 46", "answer: 50 US dollars is 46 euros."]
    assert engine.unused() == []
