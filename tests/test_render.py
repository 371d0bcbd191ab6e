"""Renderers print into a fixed-width console over a string buffer."""
import io

from rich.console import Console

from slmreact_cli.events import (Action, Answer, CallPlan, ModelTurn, NoAnswer, Observation, Started, Thought,
                                 ThoughtDelta, ToolCall)
from slmreact_cli.render import PanelRenderer, RecordBuilder

EVENTS = [
    Started("What is the square root of 32^2 - 54?", "m"),
    ThoughtDelta(1, "Thought: I need "), ThoughtDelta(1, "the calculator"),
    Thought(1, "I need the calculator [bold]now[/bold]", 0.5, 10),
    Action(1, 'calculate(expression="sqrt(32**2 - 54)")'),
    CallPlan(1, ({"name": "calculate", "arguments": {"expression": "sqrt(32**2 - 54)"}},), "action"),
    ToolCall(1, "calculate", {"expression": "sqrt(32**2 - 54)"}, "31.144823", None, 0.001),
    Observation(1, "31.144823"),
    Thought(2, "Done.", 0.2, 5),
    Answer(2, "The answer is **31.14**.", 2.5, 2, 40, 16.0),
]


def render(events, verbose=False, width=80):
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    renderer = PanelRenderer(console, verbose=verbose)
    for e in events:
        renderer(e)
    renderer.close()
    return buffer.getvalue()


def test_panels_for_each_step():
    out = render(EVENTS)
    for title in ("Thought · step 1", "Action · step 1", "Function call · step 1", "Observation · step 1", "Answer"):
        assert title in out, title
    assert '"expression": "sqrt(32**2 - 54)"' in out
    assert "31.144823" in out and "2.5 s · 2 steps · 16.0 tokens/s" in out


def test_model_text_is_literal_not_markup():
    assert "[bold]now[/bold]" in render(EVENTS)


def test_long_observation_is_truncated_unless_verbose():
    long = Observation(1, "y" * 5000)
    assert "… 4200 more characters" in render([long])
    assert "more characters" not in render([long], verbose=True)


def test_verbose_shows_prompts_and_raw_output():
    turn = ModelTurn(1, "calling", ({"role": "system", "content": "SYSTEM TEXT"},), "RAW OUTPUT", 100, 80, 12, 0.4,
                     adapter=True, constrained=True)
    out = render([turn], verbose=True, width=200)
    assert "SYSTEM TEXT" in out and "RAW OUTPUT" in out and "adapter on" in out and "80 from cache" in out
    assert render([turn]) == ""


def test_record_builder_batch_format():
    builder = RecordBuilder(record_id="id1")
    for e in EVENTS:
        builder(e)
    record = builder.result()
    assert (record["id"], record["question"], record["model"]) == ("id1", "What is the square root of 32^2 - 54?", "m")
    assert record["answer"] == "The answer is **31.14**."
    assert record["steps"][0] == {"thought": "I need the calculator [bold]now[/bold]",
                                  "action": 'calculate(expression="sqrt(32**2 - 54)")',
                                  "calls": [{"name": "calculate", "arguments": {"expression": "sqrt(32**2 - 54)"},
                                             "result": "31.144823"}],
                                  "observation": "31.144823"}
    failed = RecordBuilder("q", "m")
    failed(NoAnswer(8, "no answer within 8 steps", 3.0, 8))
    assert failed.result()["answer"] is None and failed.result()["error"] == "no answer within 8 steps"
