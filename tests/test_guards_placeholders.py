"""The placeholders guard: stand-ins copied from the format examples instead of values."""
import pytest

from slmreact_cli.guards.placeholders import copied_example_note, placeholder_arguments, placeholder_note


@pytest.mark.parametrize("value", ["...", "…", "<date>", "?", "[...]", "{ ... }", "  ..  "])
def test_stand_ins_are_placeholders(value):
    assert placeholder_arguments({"date": value}) == ["date"]


@pytest.mark.parametrize("value", ["2025-01-01", "a < b", "What?", "1...3", 7, None, ["..."]])
def test_values_are_not(value):
    assert placeholder_arguments({"date": value}) == []


def test_the_note_names_each_placeholder_and_the_two_ways_on():
    note = placeholder_note({"date": "<date>", "days": 3})
    assert note.startswith('date="<date>" is a placeholder, not a value.')
    assert "call it first" in note and "write the Answer from what you know" in note
    assert placeholder_note({"a": "...", "b": "?"}).startswith('a="...", b="?" are placeholders')
    assert placeholder_note({"date": "2025-01-01"}) is None


def test_an_action_with_the_examples_typed_stand_ins_is_refused():
    note = copied_example_note(("add_days(date=\"...\", days=<int>)",), None)
    assert note.startswith('Error: <int>, "..." are placeholders copied from the format example, not values.')
    assert copied_example_note(("add_days(days=<int>)",), None).startswith(
        "Error: <int> is a placeholder copied from the format example, not a value.")


def test_an_action_that_is_a_valid_call_or_has_no_stand_ins_passes():
    calls = [{"name": "echo", "arguments": {"text": "<int>"}}]
    assert copied_example_note(('echo(text="<int>")',), calls) is None
    assert copied_example_note(("lookup(key=a)",), None) is None
