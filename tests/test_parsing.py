"""Parsing and repair: known small-model slips are repaired; any text gives a value, never an exception."""
from hypothesis import given, settings, strategies as st

from slmreact_cli.parsing import parse_action, parse_calls, parse_reply

PARAMS = {"calculate": ["expression"], "add": ["x", "y"], "lookup": ["key"]}


def test_reply_sections():
    r = parse_reply("Thought: I need a.\nAction: lookup(key=\"a\")\nAction: add(x=1, y=2)\n")
    assert r.thought == "I need a." and r.actions == ('lookup(key="a")', "add(x=1, y=2)") and r.answer is None


def test_reply_answer_and_invented_observation_is_ignored():
    r = parse_reply("Thought: done\nAnswer: 42\nObservation: made up\nAnswer: 7")
    assert r.answer == "42"
    assert parse_reply("Action: x\nObservation: fake\nAction: y").actions == ("x",)


def test_reply_unlabelled_text_is_thought():
    assert parse_reply("The capital is Paris.").thought == "The capital is Paris."


def test_plain_json_list():
    p = parse_calls('[{"name": "add", "arguments": {"x": 1, "y": 2}}]')
    assert p.calls == [{"name": "add", "arguments": {"x": 1, "y": 2}}] and p.repairs == []


def test_repairs():
    cases = {
        "```json\n[{\"name\": \"lookup\", \"arguments\": {\"key\": \"a\"}}]\n```": "code fence removed",
        "[{'name': 'lookup', 'arguments': {'key': 'a'}}]": "JSON repaired (quotes, commas or brackets)",
        '{"name": "lookup", "arguments": {"key": "a"}}': "one object instead of a list",
        '[{"name": "lookup", "arguments": {"key": "a"}}] I hope this helps!': "text around the JSON ignored",
        '[{"function": {"name": "lookup", "arguments": {"key": "a"}}}]': "call nested under 'function'",
        '[{"name": "lookup", "arguments": "{\\"key\\": \\"a\\"}"}]': "arguments given as a JSON string",
        '<tool_call>\n{{"name": "lookup", "arguments": {"key": "a"}}}\n</tool_call>': "doubled braces",
        '[{"name": "lookup", "parameters": {"key": "a"}}]': "arguments under 'parameters'",
        'lookup(key="a")': "Python-style call",
    }
    for text, repair in cases.items():
        p = parse_calls(text, PARAMS)
        assert p.calls == [{"name": "lookup", "arguments": {"key": "a"}}], text
        assert repair in p.repairs, (text, p.repairs)


def test_tool_call_tags_several_calls():
    text = ('<tool_call>\n{"name": "lookup", "arguments": {"key": "a"}}\n</tool_call>\n'
            '<tool_call>\n{"name": "lookup", "arguments": {"key": "b"}}\n</tool_call>')
    assert [c["arguments"]["key"] for c in parse_calls(text).calls] == ["a", "b"]


def test_empty_list_and_failures():
    assert parse_calls("[]").calls == []
    assert not parse_calls("").ok
    assert not parse_calls("I don't know which tool to use.").ok
    assert not parse_calls('[{"arguments": {}}]').ok


def test_parse_action_forms():
    assert parse_action('add(x=1, y=2)', PARAMS) == [{"name": "add", "arguments": {"x": 1, "y": 2}}]
    assert parse_action('add(1, 2)', PARAMS) == [{"name": "add", "arguments": {"x": 1, "y": 2}}]
    assert parse_action('calculate: sqrt(2) * 3', PARAMS) == [
        {"name": "calculate", "arguments": {"expression": "sqrt(2) * 3"}}]
    assert parse_action('lookup(key="a"); lookup(key="b")', PARAMS) == [
        {"name": "lookup", "arguments": {"key": "a"}}, {"name": "lookup", "arguments": {"key": "b"}}]
    assert parse_action("unknown_tool(a=1)", PARAMS) is None
    assert parse_action("lookup(key=Mars)", PARAMS) == [{"name": "lookup", "arguments": {"key": "Mars"}}]  # a bare word
    assert parse_action("lookup(key=None)", PARAMS) == [{"name": "lookup", "arguments": {"key": None}}]
    assert parse_action("add(x=__import__('os').system('echo hi'), y=1)", PARAMS) is None  # never evaluated
    # a known tool's call as a value is kept as its text, for the loop to run first; any other call is refused
    assert parse_action('add(x=lookup(key="a"), y=2)', PARAMS) == [
        {"name": "add", "arguments": {"x": "lookup(key='a')", "y": 2}}]
    assert parse_action('add(x=len("abc"), y=2)', PARAMS) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_to_a_value(text):
    result = parse_calls(text, PARAMS)
    if result.ok:
        assert all(isinstance(c["name"], str) and isinstance(c["arguments"], dict) for c in result.calls)
    else:
        assert result.error, "a failed parse says why"
    parse_reply(text)
    parse_action(text, PARAMS)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children,
                                                                                       max_size=3), max_leaves=10))
def test_any_json_shape_parses_to_a_value(value):
    import json

    result = parse_calls(json.dumps(value), PARAMS)
    if result.ok:
        assert all(isinstance(c["name"], str) and isinstance(c["arguments"], dict) for c in result.calls)
