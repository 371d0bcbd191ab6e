"""The calling step's two formats against the strict scripted engine: "template" (the chat template's
`tools=` and `<tool_call>` blocks) gives the same calls as "json", and "json" stays the default,
its prompts unchanged byte for byte."""
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import DATA
from slmreact_cli.config import Profile
from slmreact_cli.events import Answer, CallPlan, Error, ModelTurn, Observation, ToolCall
from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.loop.template_calls import TemplateCalls
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.parsing import parse_tool_calls
from slmreact_cli.prompts import TEMPLATE_CALLING_SYSTEM
from slmreact_cli.session import Session, SessionOptions
from slmreact_cli.worker import ToolRunner

# the `registry` fixture (sample tools and the shipped calculator) comes from conftest


@dataclass
class RecordingEngine(ScriptedEngine):
    """The scripted engine, also keeping the tools and grammar of each request; with
    `supports_grammar`, a compiled grammar is the schema it was compiled from."""

    tools: list[Any] = field(default_factory=list)
    grammars: list[Any] = field(default_factory=list)

    def stream(self, messages, **kwargs):
        self.tools.append(kwargs.get("tools"))
        self.grammars.append(kwargs.get("grammar"))
        return super().stream(messages, **kwargs)

    def compile_grammar(self, json_schema: dict) -> Any:
        return {"schema": json_schema}


@pytest.fixture(scope="module")
def runner(registry):
    with ToolRunner(registry, timeout=5.0) as r:
        yield r


def run(registry, runner, replies, question="q?", grammar=False, **settings):
    engine = RecordingEngine(replies=list(replies), supports_grammar=grammar)
    agent = Agent(engine, registry, runner, AgentSettings(**settings))
    events = list(agent.run(question))
    assert engine.unused() == [], "the script had replies the loop never asked for"
    return engine, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def calling_requests(engine):
    return [(call, tools, grammar) for call, tools, grammar in zip(engine.calls, engine.tools, engine.grammars)
            if call.role == "calling"]


def block(name, **arguments):
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


# ---- template format, free decoding ------------------------------------------------------------------

def test_one_call_in_a_tool_call_block(registry, runner):
    engine, events = run(registry, runner, [
        ScriptedReply("Thought: I need a.\nAction: look up key a"),
        ScriptedReply(block("lookup", key="a"), role="calling"),
        ScriptedReply("Answer: 10"),
    ], question="What is a?", calling_format="template")
    (plan,) = of(events, CallPlan)
    assert plan.source == "calling-step" and plan.calls == ({"name": "lookup", "arguments": {"key": "a"}},)
    assert [(c.name, c.result) for c in of(events, ToolCall)] == [("lookup", "10")]
    assert of(events, Answer)[0].text == "10"
    ((request, tools, grammar),) = calling_requests(engine)
    assert tools == registry.schemas() and grammar is None  # the template renders the tools itself
    assert request.messages[0] == {"role": "system", "content": TEMPLATE_CALLING_SYSTEM}
    assert "Question: What is a?" in request.messages[1]["content"]
    assert "Action: look up key a" in request.messages[1]["content"]
    (turn,) = [t for t in of(events, ModelTurn) if t.role == "calling"]
    assert turn.adapter and not turn.constrained and turn.raw == block("lookup", key="a")


def test_several_blocks_are_several_calls_run_in_order(registry, runner):
    _, events = run(registry, runner, [
        ScriptedReply("Action: look up keys a and c"),
        ScriptedReply(block("lookup", key="a") + "\n" + block("lookup", key="c"), role="calling"),
        ScriptedReply("Answer: 10 and 7"),
    ], calling_format="template")
    assert [c.arguments["key"] for c in of(events, ToolCall)] == ["a", "c"]
    text = of(events, Observation)[0].text
    assert 'lookup(key="a") -> 10' in text and 'lookup(key="c") -> 7' in text


def test_a_reply_without_a_block_is_no_call(registry, runner):
    _, events = run(registry, runner, [
        ScriptedReply("Action: search the web for the painter"),
        ScriptedReply("No tool fits.", role="calling"),
        ScriptedReply("Answer: Leonardo da Vinci"),
    ], calling_format="template")
    (plan,) = of(events, CallPlan)
    assert plan.calls == () and not plan.retried
    assert of(events, ToolCall) == []
    assert of(events, Observation)[0].text.startswith("No tool fits that Action.")


def test_a_malformed_block_is_retried_with_its_error(registry, runner):
    engine, events = run(registry, runner, [
        ScriptedReply("Action: look up key b"),
        ScriptedReply("<tool_call>\nthe lookup of b\n</tool_call>", role="calling"),
        ScriptedReply(block("lookup", key="b"), role="calling"),
        ScriptedReply("Answer: 32"),
    ], calling_format="template")
    (plan,) = of(events, CallPlan)
    assert plan.retried and plan.calls == ({"name": "lookup", "arguments": {"key": "b"}},)
    first, retry = calling_requests(engine)
    assert retry[0].messages[:2] == first[0].messages
    assert retry[0].messages[2] == {"role": "assistant", "content": "<tool_call>\nthe lookup of b\n</tool_call>"}
    note = retry[0].messages[3]["content"]
    assert note.startswith("That reply is not valid: a <tool_call> block holds no call")
    assert note.endswith("Reply with the corrected tool calls only.")
    assert retry[1] == registry.schemas()
    assert [c.result for c in of(events, ToolCall)] == ["32"]


def test_a_call_of_an_unknown_tool_fails_after_the_retry_as_in_json(registry, runner):
    _, events = run(registry, runner, [
        ScriptedReply("Action: get the weather in Oslo"),
        ScriptedReply(block("fetch_weather", city="Oslo"), role="calling"),
        ScriptedReply(block("fetch_weather", city="Oslo"), role="calling"),
        ScriptedReply("Answer: not available"),
    ], calling_format="template")
    assert of(events, CallPlan) == []
    assert any("function-calling step failed: unknown tool 'fetch_weather'" in e.message for e in of(events, Error))
    assert "unknown tool 'fetch_weather'" in of(events, Observation)[0].text


# ---- template format, one block at a time under the grammar of one call -------------------------------

def test_with_a_grammar_each_call_is_decoded_in_its_block_under_the_call_grammar(registry, runner):
    engine, events = run(registry, runner, [
        ScriptedReply("Action: look up keys a and c"),
        ScriptedReply("<tool_call>", role="calling"),  # free text: the model opens a block
        ScriptedReply('{"name": "lookup", "arguments": {"key": "a"}}', role="calling"),  # the call, constrained
        ScriptedReply("\n<tool_call>", role="calling"),  # another block
        ScriptedReply('{"name": "lookup", "arguments": {"key": "c"}}', role="calling"),
        ScriptedReply("", role="calling"),  # the reply ends
        ScriptedReply("Answer: 10 and 7"),
    ], grammar=True, calling_format="template")
    requests = calling_requests(engine)
    assert [r[0].stop for r in requests] == [("<tool_call>", "{"), ("</tool_call>",)] * 2 + [("<tool_call>", "{")]
    call_schema = requests[1][2]["schema"]
    assert "anyOf" in call_schema and call_schema.get("type") != "array"  # one call, not the list
    assert requests[3][2] == requests[1][2]
    assert [r[2] is not None for r in requests] == [False, True, False, True, False]
    assert all(r[1] == registry.schemas() for r in requests)
    first_call = '<tool_call>\n{"name": "lookup", "arguments": {"key": "a"}}\n</tool_call>'
    assert requests[1][0].messages[-1] == {"role": "assistant", "content": "<tool_call>\n"}
    assert requests[2][0].messages[-1] == {"role": "assistant", "content": first_call}
    assert requests[4][0].messages[-1]["content"] == first_call + "\n" + block("lookup", key="c")
    (turn,) = [t for t in of(events, ModelTurn) if t.role == "calling"]  # one turn in the trace
    assert turn.constrained and turn.raw == first_call + "\n" + block("lookup", key="c")
    assert len(turn.messages) == 2
    assert [c.arguments["key"] for c in of(events, ToolCall)] == ["a", "c"]


def test_with_a_grammar_a_call_written_without_its_tag_is_decoded_in_a_block(registry, runner):
    engine, events = run(registry, runner, [
        ScriptedReply("Action: look up key b"),
        ScriptedReply('{"name": "lookup"', role="calling"),  # stopped at its "{"
        ScriptedReply('{"name": "lookup", "arguments": {"key": "b"}}', role="calling"),
        ScriptedReply("", role="calling"),
        ScriptedReply("Answer: 32"),
    ], grammar=True, calling_format="template")
    requests = calling_requests(engine)
    assert requests[1][0].messages[-1] == {"role": "assistant", "content": "<tool_call>\n"}
    (plan,) = of(events, CallPlan)
    assert plan.calls == ({"name": "lookup", "arguments": {"key": "b"}},) and plan.repairs == ()


def test_with_a_grammar_prose_without_a_block_is_no_call(registry, runner):
    engine, events = run(registry, runner, [
        ScriptedReply("Action: search the web for the painter"),
        ScriptedReply("No tool fits.", role="calling"),
        ScriptedReply("Answer: Leonardo da Vinci"),
    ], grammar=True, calling_format="template")
    assert len(calling_requests(engine)) == 1
    assert of(events, CallPlan)[0].calls == ()


# ---- the default stays "json" -----------------------------------------------------------------------

def json_script():
    return [ScriptedReply("Thought: I need a.\nAction: look up key a"),
            ScriptedReply("no list here", role="calling"),
            ScriptedReply('[{"name": "lookup", "arguments": {"key": "a"}}]', role="calling"),
            ScriptedReply("Action: add 5 to it"),
            ScriptedReply('[{"name": "add", "arguments": {"x": 10, "y": 5}}]', role="calling"),
            ScriptedReply("Answer: 15")]


def recorded(engine):
    return [{"messages": c.messages, "stop": list(c.stop), "role": c.role, "constrained": c.constrained}
            for c in engine.calls if c.role == "calling"]


@pytest.mark.parametrize("grammar", [False, True], ids=["unconstrained", "constrained"])
def test_the_default_json_prompts_are_the_ones_recorded_before_the_template_format(registry, runner, grammar):
    """tests/data/calling_json_prompts.json holds the calling-step requests of this script as the
    code before `calling_format` sent them. Re-record it only when the JSON prompt changes on purpose."""
    assert AgentSettings().calling_format == "json" and Profile(name="p", source="x").calling_format == "json"
    reference = json.loads((DATA / "calling_json_prompts.json").read_text(encoding="utf-8"))
    engine, events = run(registry, runner, json_script(), question="What is a plus 5?", grammar=grammar)
    assert recorded(engine) == reference["constrained" if grammar else "unconstrained"]
    assert all(tools is None for _, tools, _ in calling_requests(engine))
    if grammar:  # the grammar of the whole list, as before
        assert all(g["schema"]["type"] == "array" for _, _, g in calling_requests(engine))
    explicit, _ = run(registry, runner, json_script(), question="What is a plus 5?", grammar=grammar,
                      calling_format="json")
    assert recorded(explicit) == recorded(engine)
    assert of(events, Answer)[0].text == "15"


# ---- settings, profile and parsing -------------------------------------------------------------------

def test_the_profile_key_reaches_the_calling_step(registry):
    profile = Profile(name="p", source="x", calling_format="template")
    session = Session(profile, ScriptedEngine(), registry, None, SessionOptions(log=False))
    assert session.settings.calling_format == "template"
    assert isinstance(session.agent.calling.request, TemplateCalls)


def test_an_unknown_calling_format_is_refused(tmp_path):
    from slmreact_cli.config import resolve_model
    from slmreact_cli.errors import ConfigError

    with pytest.raises(ValueError, match="unknown calling_format 'xml'"):
        AgentSettings(calling_format="xml")
    config = tmp_path / "config.toml"
    config.write_text('[profiles.mine]\nsource = "x"\ncalling_format = "xml"\n')
    with pytest.raises(ConfigError, match="calling_format"):
        resolve_model("mine", config)


@pytest.mark.parametrize("text, calls, repairs", [
    ("No tool fits.", [], []),
    ("", [], []),
    (block("add", x=1, y=2), [{"name": "add", "arguments": {"x": 1, "y": 2}}], []),
    ('<tool_call>\n{"name": "add", "arguments": {"x": 1, "y": 2}}', [{"name": "add", "arguments": {"x": 1, "y": 2}}],
     []),  # cut off before its closing tag
    ('{"name": "add", "arguments": {"x": 1, "y": 2}}', [{"name": "add", "arguments": {"x": 1, "y": 2}}],
     ["tool-call tags missing"]),
    ("I would use {curly braces}.", [], []),
])
def test_parse_tool_calls(text, calls, repairs):
    parsed = parse_tool_calls(text, {"add": ["x", "y"]})
    assert parsed.ok and parsed.calls == calls
    assert parsed.repairs == repairs


def test_parse_tool_calls_refuses_a_block_without_a_call():
    parsed = parse_tool_calls(block("add", x=1, y=2) + "\n<tool_call>\n</tool_call>")
    assert not parsed.ok and parsed.error.startswith("a <tool_call> block holds no call")


# ---- the real 0.5B ------------------------------------------------------------------------------------

@pytest.mark.model
def test_the_small_model_answers_a_one_call_question_through_template_calls(registry, runner):
    """Every Action goes through the calling step (use_action_calls off), in the template format,
    on the embedded 0.5B with its profile (llama.cpp, grammar on)."""
    pytest.importorskip("llama_cpp")
    from conftest import SMALL_PROFILE
    from slmreact_cli.config import resolve_model
    from slmreact_cli.models.loader import load_engine

    engine = load_engine(resolve_model(SMALL_PROFILE).model_copy(update={"engine": "llama.cpp"}))
    agent = Agent(engine, registry, runner, AgentSettings(max_steps=4, calling_format="template"))
    agent.calling.use_action_calls = False  # a well-formed Action would skip the calling step
    events = list(agent.run("What is the value stored under key b?"))
    plan = of(events, CallPlan)[0]
    assert plan.source == "calling-step" and plan.calls == ({"name": "lookup", "arguments": {"key": "b"}},)
    turn = [t for t in of(events, ModelTurn) if t.role == "calling"][0]
    assert turn.constrained and turn.raw.startswith("<tool_call>\n")
    assert "32" in of(events, Answer)[0].text
