"""Code mode's loop against the strict scripted engine: programs that chain, loop, fail and recover,
with every tool call going through the worker and showing as its own events."""
import pytest

from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.code.prompt import code_system_prompt
from slmreact_cli.events import (Action, Answer, CallPlan, Error, NoAnswer, Observation, Thought, ThoughtDelta,
                                 ToolCall)
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.render import RecordBuilder
from slmreact_cli.worker import ToolRunner

# the `registry` fixture (sample tools and the shipped calculator) comes from conftest


@pytest.fixture(scope="module")
def runner(registry):
    with ToolRunner(registry, timeout=30.0) as r:
        yield r


def run(registry, runner, replies, question="q?", approve=None, **settings):
    engine = ScriptedEngine(replies=list(replies))
    agent = Agent(engine, registry, runner, AgentSettings(mode="code", **settings), approve=approve)
    events = list(agent.run(question))
    assert engine.unused() == [], "the script had replies the loop never asked for"
    return engine, agent, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def program(code, thought="I compute it."):
    return ScriptedReply(f" {thought}\nAction:\n```python\n{code}\n```\n")


def test_one_program_chains_calls_and_its_output_is_the_observation(registry, runner):
    engine, _, events = run(registry, runner, [
        program('a = lookup("a")\nb = lookup(key="b")\nprint(add(a, b) * 2)'),
        ScriptedReply(" 84 answers it.\nAnswer: 84"),
    ])
    calls = of(events, ToolCall)
    assert [(c.name, c.arguments, c.result) for c in calls] == [
        ("lookup", {"key": "a"}, "10"), ("lookup", {"key": "b"}, "32"), ("add", {"x": 10, "y": 32}, "42")]
    plans = of(events, CallPlan)
    assert [p.calls for p in plans] == [({"name": n, "arguments": a},) for n, a, _ in
                                         [(c.name, c.arguments, c.result) for c in calls]]
    assert all(p.source == "code" for p in plans)
    assert of(events, Observation)[0].text == "84"
    assert of(events, Answer)[0].text == "84" and of(events, Answer)[0].steps == 2
    first = engine.calls[0]
    assert first.messages[0]["content"] == code_system_prompt(registry)
    assert "```\n" in first.stop and first.role == "reasoning"
    assert engine.calls[1].messages[-1]["content"].endswith(
        'print(add(a, b) * 2)\n```\nObservation: 84\nThought:')


def test_the_prompt_shows_the_tools_as_python_and_its_example_calls_real_tools(registry):
    prompt = code_system_prompt(registry)
    assert 'def lookup(key: str) -> int:\n    """Return the value stored under a key.' in prompt
    assert 'a = lookup(key="...")\nb = add(x=..., y=...)' in prompt


def test_a_copied_example_call_is_refused_as_a_placeholder(registry, runner):
    _, _, events = run(registry, runner, [program('print(lookup(key="..."))'), ScriptedReply(" Done.\nAnswer: none")])
    assert 'key="..." is a placeholder, not a value' in of(events, Observation)[0].text
    assert of(events, ToolCall)[0].seconds == 0.0  # never sent to the worker


def test_events_come_in_protocol_order(registry, runner):
    _, _, events = run(registry, runner, [program('print(lookup("c"))'), ScriptedReply(" Done.\nAnswer: 7")])
    kinds = [type(e).__name__ for e in events if not isinstance(e, ThoughtDelta) and e.type != "model_turn"]
    assert kinds == ["Started", "Thought", "Action", "CallPlan", "ToolCall", "Observation", "Thought", "Answer"]
    assert of(events, Action)[0].text == 'print(lookup("c"))'


def test_a_loop_over_data_makes_one_call_event_per_call(registry, runner):
    _, _, events = run(registry, runner, [
        program('total = 0\nfor k in ["a", "b", "c"]:\n    total += lookup(k)\nprint(total)'),
        ScriptedReply(" Done.\nAnswer: 49"),
    ])
    assert [c.arguments["key"] for c in of(events, ToolCall)] == ["a", "b", "c"]
    assert of(events, Observation)[0].text == "49"


def test_misnamed_function_then_recovery_reuses_earlier_results(registry, runner):
    engine, _, events = run(registry, runner, [
        program('a = lookup("a")\nprint(lookupp("b") + a)'),
        program('a = lookup("a")\nprint(lookup("b") + a)', thought="The tool is lookup."),
        ScriptedReply(" Done.\nAnswer: 42"),
    ])
    first, second = of(events, Observation)
    assert first.text.startswith("Error: line 2: NameError: name 'lookupp' is not defined. The tools are: lookup, add")
    assert second.text == "42"
    calls = of(events, ToolCall)
    assert [(c.arguments["key"], c.repeated) for c in calls] == [("a", False), ("a", True), ("b", False)]
    assert calls[1].result == "10" and calls[1].seconds == 0.0  # taken from the first program, not run again
    assert "NameError" in engine.calls[1].messages[-1]["content"]


def test_syntax_error_and_a_tools_exception_come_back_as_observations(registry, runner):
    _, _, events = run(registry, runner, [
        program('exchange rate = lookup("a")'),
        program('print(lookup("zzz"))'),
        ScriptedReply(" The key does not exist.\nAnswer: That value is not available."),
    ])
    syntax, failure = (o.text for o in of(events, Observation))
    assert syntax.startswith("Error: line 1: SyntaxError")
    assert failure == ("Error: line 1: lookup(key=\"zzz\") failed: ValueError: no such key: 'zzz'")
    assert of(events, ToolCall)[0].error == "ValueError: no such key: 'zzz'"
    assert of(events, Answer)[0].text == "That value is not available."


def test_a_refused_program_runs_no_call_and_says_why(registry, runner):
    _, _, events = run(registry, runner, [
        program('def lookup(key):\n    return 99\nprint(lookup("a"))'),
        program('print(lookup("a"))'),
        ScriptedReply(" Done.\nAnswer: 10"),
    ])
    assert of(events, Observation)[0].text == (
        "Error: line 1: def lookup would replace the tool lookup: call the tool, do not define it again")
    assert [c.arguments for c in of(events, ToolCall)] == [{"key": "a"}]


def test_arguments_are_validated_by_the_registry(registry, runner):
    _, _, events = run(registry, runner, [program('add(x="ten", y=2)'), ScriptedReply(" Bad input.\nAnswer: none")])
    observation = of(events, Observation)[0].text
    assert observation.startswith('Error: line 1: add(x="ten", y=2) failed: ValueError: invalid arguments for add')


def test_a_turn_without_code_is_the_answer(registry, runner):
    engine, _, events = run(registry, runner, [ScriptedReply(" I know this.\nAnswer: Paris")])
    assert of(events, Answer)[0].text == "Paris" and of(events, ToolCall) == []
    assert len(engine.calls) == 1


def test_text_without_labels_at_the_end_of_generation_is_the_answer(registry, runner):
    _, _, events = run(registry, runner, [ScriptedReply(" The capital of France is Paris.")])
    assert of(events, Answer)[0].text == "The capital of France is Paris."


def test_a_bare_opening_fence_is_written_for_the_model_and_the_program_drawn_on(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply(" Look it up.\nAction:\n```\nprint(lookup('a'))\n```\n"),
        ScriptedReply("print(lookup('a'))\n```", ),
        ScriptedReply(" Done.\nAnswer: 10"),
    ])
    assert engine.calls[1].messages[-1]["content"].endswith("Thought: Look it up.\nAction:\n```python\n")
    assert engine.calls[1].stop == ("```", "Observation:")
    assert of(events, Observation)[0].text == "10"


def test_the_same_program_again_is_not_run_and_then_the_answer_is_started(registry, runner):
    engine, _, events = run(registry, runner, [
        program('print(lookup("a"))'),
        program('print(lookup("a"))'),
        program('print(lookup("a"))'),
        ScriptedReply(" 10"),
    ])
    assert len(of(events, ToolCall)) == 1
    assert [e.message for e in of(events, Error)] == ["the model wrote a program it had run before; not run again"] * 2
    assert engine.calls[3].messages[-1]["content"].endswith("Answer:")
    assert of(events, Answer)[0].text == "10"


def test_a_turn_that_stops_without_a_program_is_continued_as_one(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply(" I should compute it.\nPAUSE"), ScriptedReply("print(lookup('c'))\n```"), ScriptedReply(" Done.\nAnswer: 7")])
    assert engine.calls[1].messages[-1]["content"].endswith("I should compute it.\nAction:\n```python\n")
    assert of(events, Observation)[0].text == "7" and of(events, Answer)[0].text == "7"


def test_empty_turns_are_asked_again_and_then_the_answer_is_started(registry, runner):
    engine, _, events = run(registry, runner, [ScriptedReply(""), ScriptedReply(""), ScriptedReply(" 56")])
    assert [o.text for o in of(events, Observation)][0].startswith("No program or Answer found.")
    assert engine.calls[2].messages[-1]["content"].endswith("Answer:")
    assert of(events, Answer)[0].text == "56"


def test_no_answer_within_the_step_limit(registry, runner):
    _, _, events = run(registry, runner, [program("print(1)"), program("print(2)")], max_steps=2)
    assert of(events, NoAnswer)[0].reason == "no answer within 2 steps"


def test_a_declined_call_ends_the_program_and_is_reported(registry, runner):
    asked = []

    def decline(name, arguments):
        asked.append((name, arguments))
        return False

    _, _, events = run(registry, runner, [program('print(lookup("a"))'), ScriptedReply(" Declined.\nAnswer: none")],
                       approve=decline)
    assert asked == [("lookup", {"key": "a"})]
    assert of(events, ToolCall)[0].error == "the user declined to run this call"
    assert "failed: the user declined to run this call" in of(events, Observation)[0].text


def test_an_answer_with_a_number_from_nowhere_is_questioned_once(registry, runner):
    _, _, events = run(registry, runner, [
        program('print(lookup("a") * 3)'),
        ScriptedReply(" Done.\nAnswer: 31"),
        ScriptedReply(" 30.\nAnswer: 30"),
    ])
    assert "31 in the Answer comes from neither" in of(events, Observation)[1].text
    assert of(events, Answer)[0].text == "30"


def test_the_json_record_has_one_calls_entry_per_call(registry, runner):
    _, _, events = run(registry, runner, [
        program('print(add(lookup("a"), lookup("c")))'), ScriptedReply(" Done.\nAnswer: 17")], question="a + c?")
    record = RecordBuilder("a + c?", "scripted")
    for event in events:
        record(event)
    out = record.result()
    assert set(out) == {"id", "question", "answer", "steps", "seconds", "model", "error"}
    assert out["answer"] == "17"
    step = out["steps"][0]
    assert step["action"] == 'print(add(lookup("a"), lookup("c")))' and step["observation"] == "17"
    assert [c["name"] for c in step["calls"]] == ["lookup", "lookup", "add"]
    assert step["calls"][2] == {"name": "add", "arguments": {"x": 10, "y": 7}, "result": "17"}


def test_the_thought_is_its_own_event(registry, runner):
    _, _, events = run(registry, runner, [program('print(1)', thought="Print one."), ScriptedReply(" Done.\nAnswer: 1")])
    assert [t.text for t in of(events, Thought)] == ["Print one.", "Done."]
