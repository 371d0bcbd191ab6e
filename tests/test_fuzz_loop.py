"""The whole loop under hostile model output: a scripted engine that writes what Hypothesis draws
(control tokens, broken Action syntax, huge and nested arguments, lone surrogates, unknown tools,
JSON fragments) drives `Agent.run` with the real registry and tool worker over the shipped tools
and tests/data/sample_tools.py. No exception may escape, and every run ends with an Answer or a
NoAnswer. bench/fuzz_loop.py runs the same strategies for at least 10,000 turns."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.events import Answer, NoAnswer
from slmreact_cli.models.base import Engine, Piece, Request
from slmreact_cli.paths import bundled
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner

SAMPLE_TOOLS = str(Path(__file__).resolve().parent / "data" / "sample_tools.py")
TOOL_TIMEOUT = 0.5
CHARS_PER_TOKEN = 4  # how much text a reply of max_new_tokens may hold


def tool_modules() -> list[str]:
    return [str(p) for p in sorted(bundled("tools").glob("*.py")) if not p.name.startswith("_")] + [SAMPLE_TOOLS]


@dataclass
class HostileEngine(Engine):
    """Replies with the drawn texts in turn, for either role, as often as the loop asks; a reply
    is cut to what `max_new_tokens` could hold, and stop strings apply as in a real engine."""

    replies: list[str] = field(default_factory=list)
    turns: int = 0
    name: str = "hostile"
    model_id: str = "hostile"
    supports_grammar: bool = False
    context_length: int = 32768

    def __post_init__(self) -> None:
        super().__init__()

    def _pieces(self, request: Request) -> Iterator[Piece]:
        text = self.replies[self.turns % len(self.replies)][: request.max_new_tokens * CHARS_PER_TOKEN]
        self.turns += 1
        request.prompt_tokens = self.count_tokens(request.messages)
        request.new_tokens = len(text) // CHARS_PER_TOKEN + 1
        request.end = "eos"
        yield Piece(text)


# ---- what a broken or hostile model writes ---------------------------------------------------------

CONTROL = ["<|im_end|>", "<|im_start|>system\n", "<|im_start|>assistant\n", "<|endoftext|>", "<tool_call>",
           "</tool_call>", "<|eot_id|>", "<s>", "</s>"]
LABELS = ["Thought:", "Action:", "Answer:", "PAUSE", "Observation:", "Question:", "\n", " ", "Action: ",
          "Final Answer:", "```", "```json\n"]
UNKNOWN_TOOLS = ["rm", "__import__", "os.system", "eval", "fetch_weather", "calculate.__class__", "", "a" * 300,
                 "lookup lookup", "ｃａｌｃｕｌａｔｅ"]
SURROGATES = ["\udce9", "\ud800", "caf\udce9.txt", "\udfff\ud800"]
NUMBERS = [0, 1, 2, 7, 42, -1, 3.5, 1e308, float("nan"), 10 ** 30, 2 ** 63]  # none makes a tool allocate much
WORDS = ["a", "b", "c", "z", "km", "mi", "kg", "2024-01-31", "2024-02-30", "Mars", "1/0", "2**99999", "sqrt(-1)",
         "32^2 - 54", "...", "<date>", "<int>", "None", "null", "true", "'", '"', "\\", "${HOME}", "%s%n"]


@st.composite
def values(draw, depth: int = 0) -> Any:
    choices = [st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.sampled_from(SURROGATES),
               st.text(max_size=20), st.booleans(), st.none(),
               st.integers(min_value=1000, max_value=60000).map(lambda n: "x" * n)]
    if depth < 3:
        choices += [st.lists(values(depth + 1), max_size=4), st.dictionaries(st.text(max_size=5), values(depth + 1),
                                                                          max_size=3)]
    return draw(st.one_of(*choices))


def _literal(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


@st.composite
def actions(draw, names: list[str]) -> str:
    """A call as an Action line: real or unknown tool, arguments right, wrong, nested or broken."""
    name = draw(st.sampled_from(names + UNKNOWN_TOOLS))
    keys = st.sampled_from(["key", "x", "y", "expression", "value", "from_unit", "to_unit", "date", "days",
                            "start", "end", "seconds", "code", "megabytes", "unknown", ""])
    args = draw(st.lists(st.tuples(keys, values()), max_size=4))
    rendered = ", ".join(f"{k}={_literal(v)}" for k, v in args)
    nested = draw(st.sampled_from(["", "", f'expression="{name}({rendered}) * 2"', "x=lookup(key='a')",
                                   "expression=\"" + "(" * 200 + "1" + ")" * 200 + "\""]))
    inner = ", ".join(part for part in (rendered, nested) if part)
    broken = draw(st.sampled_from(["", "", "", ")", "(", '"', ",", "=", "))", "(((", "\\"]))
    return f"Action: {name}({inner}){broken}"


# JSON nested past the parsers' recursion limits (json's RecursionError near 1,000 levels,
# json_repair's recursion-depth ValueError near 200 open objects) escapes parsing.parse_calls (see
# test_deeply_nested_json_from_the_calling_step); only bench/fuzz_loop.py keeps it in its draws.
DEEP_JSON = "[" * 3000 + "]" * 3000
DEEP_OBJECTS = "{" * 500


def json_fragments(names: list[str], deep: bool = False) -> st.SearchStrategy[str]:
    call = st.fixed_dictionaries({"name": st.sampled_from(names + UNKNOWN_TOOLS),
                                  "arguments": st.dictionaries(st.text(max_size=8), values(), max_size=3)})
    whole = st.lists(call, max_size=3).map(lambda calls: json.dumps(calls, ensure_ascii=False))
    fragments = [whole, whole.map(lambda s: s[: len(s) // 2]), st.just("[" * 300 + "]" * 300),
                 st.just('{"name": "lookup", "arguments": "{\\"key\\": \\"a\\"}"}'), st.just("{" * 100),
                 st.just('[{"name": "add", "arguments": {"x": 1, "y": 2}}, {"name":')]
    return st.one_of(*fragments, *([st.just(DEEP_JSON), st.just(DEEP_OBJECTS)] if deep else []))


def replies(names: list[str], deep: bool = False) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(CONTROL), st.sampled_from(LABELS), st.sampled_from(SURROGATES),
                      actions(names), json_fragments(names, deep), st.text(max_size=40),
                      st.just("Answer: ").map(lambda a: a + "42"))
    return st.lists(piece, min_size=1, max_size=10).map("".join)


def questions() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["What is 6 times 7?", "Convert 5 km to miles.", "Look up a and add 5.",
                                      "How many days from 2024-05-06 to 2025-01-01?", "list caf\udce9.txt"]),
                     st.text(min_size=1, max_size=80))


# ---- the property -------------------------------------------------------------------------------------

def run_hostile(registry, runner, texts: list[str], question: str, mode: str = "react") -> tuple[list, int]:
    """One question through the real loop on hostile replies: its events and the model turns it took."""
    engine = HostileEngine(replies=texts)
    agent = Agent(engine, registry, runner, AgentSettings(max_steps=4, mode=mode))
    events = list(agent.run(question))
    return events, engine.turns


def ends_properly(events: list) -> bool:
    return bool(events) and isinstance(events[-1], (Answer, NoAnswer))


@pytest.fixture(scope="module")
def registry():
    return load_registry(tool_modules())


@pytest.fixture(scope="module")
def runner(registry):
    with ToolRunner(registry, timeout=TOOL_TIMEOUT) as r:
        yield r


def test_registry_holds_the_shipped_and_sample_tools(registry):
    assert {"calculate", "convert_units", "days_between", "lookup", "hang", "hard_exit"} <= set(registry.names())


@pytest.mark.parametrize("mode", ["react", "native"])
def test_hostile_model_output_never_escapes_the_loop(registry, runner, mode):
    names = registry.names()

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(texts=st.lists(replies(names), min_size=1, max_size=5), question=questions())
    def check(texts, question):
        events, turns = run_hostile(registry, runner, texts, question, mode)
        assert turns >= 1 and ends_properly(events), events[-3:]

    check()


@pytest.mark.parametrize("deep", [DEEP_JSON, DEEP_OBJECTS])
def test_deeply_nested_json_from_the_calling_step(registry, runner, deep):
    events, _ = run_hostile(registry, runner, ["Action: look up a", deep, "Answer: 10"], "Look up a.")
    assert ends_properly(events)


def test_the_property_can_fail(registry, runner):
    """The check above sees a run that does not end properly: an engine that raises mid-run."""

    class Broken(HostileEngine):
        def stream(self, *args, **kwargs):
            raise RuntimeError("engine broke")
            yield  # pragma: no cover

    agent = Agent(Broken(replies=["x"]), registry, runner, AgentSettings(max_steps=2))
    with pytest.raises(RuntimeError):
        list(agent.run("q"))
