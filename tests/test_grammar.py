"""Calls valid by construction: the grammar built from tool schemas, on the real 0.5B."""
import json

import pytest

from slmreact_cli.loop.calling import calls_schema, strict_schema
from slmreact_cli.tool_loading import load_registry

from conftest import DATA


def test_strict_schema_turns_nullable_into_a_union_and_closes_objects():
    schema = {"type": "object", "properties": {"a": {"type": "integer", "nullable": True, "description": "x"}},
              "required": []}
    assert strict_schema(schema) == {"type": "object", "properties": {"a": {"anyOf": [{"type": "integer"},
                                                                                      {"type": "null"}]}},
                                     "required": [], "additionalProperties": False}


def test_calls_schema_lists_every_tool():
    registry = load_registry(None)
    variants = calls_schema(registry)["items"]["anyOf"]
    assert [v["properties"]["name"]["const"] for v in variants] == registry.names()


@pytest.mark.model
def test_every_schema_type_is_constrained(small_engine):
    registry = load_registry([str(DATA / "typed_tools.py")])
    tool = registry.get("book_trip")
    grammar = small_engine.compile_grammar(calls_schema(registry))
    prompt = [{"role": "system", "content": "Reply with a JSON list of tool calls for book_trip."},
              {"role": "user", "content": "Book two nights in Lisbon for Ana and Rui, at most 120 euros a night, "
                                          "refundable, a double room, with 2 breakfasts."}]
    gen = small_engine.generate(prompt, grammar=grammar, max_new_tokens=400)
    calls = json.loads(gen.text)
    assert calls, gen.text
    for call in calls:
        args = call["arguments"]
        assert call["name"] == "book_trip"
        assert type(args["city"]) is str and type(args["nights"]) is int
        assert type(args["budget"]) in (int, float) and type(args["refundable"]) is bool
        assert isinstance(args["guests"], list) and all(type(g) is str for g in args["guests"])
        assert isinstance(args["extras"], dict) and all(type(v) is int for v in args["extras"].values())
        assert args["room"] in ("single", "double", "suite")
        assert args.get("note") is None or type(args["note"]) is str
        tool.validate(args)


@pytest.mark.model
def test_a_prompt_inviting_an_invented_tool_still_yields_a_real_call_or_nothing(small_engine):
    from slmreact_cli.loop.calling import CallingStep

    registry = load_registry(None)
    step = CallingStep(small_engine, registry, constrained=True, use_action_calls=False)
    for action in ("get_weather(city='Paris')", "send an email to Bob", "search the web for cats"):
        result = step.run("What is the weather in Paris?", [], [action])
        assert result.error is None, (action, result.turns[-1][1])
        for call in result.calls:
            assert call["name"] in registry.names()
            registry.get(call["name"]).validate(call["arguments"])
