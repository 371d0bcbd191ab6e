"""The nesting guard's judgement of a call that only wraps another. (Finding, running and writing
back nested calls is tested in test_nesting.py.)"""
from slmreact_cli.guards.nesting import WrittenCall, find_nested, only_wraps

TOOLS = {"weekday", "get_mass", "calculate", "convert"}


def test_a_text_argument_that_is_one_inner_call_only_wraps_it():
    nested = find_nested({"expression": WrittenCall("weekday(date='2000-01-01')")}, TOOLS)
    assert only_wraps(nested, {"expression": {"type": "string"}}, TOOLS)


def test_a_typed_argument_given_as_a_call_is_a_composition():
    nested = find_nested({"value": WrittenCall("get_mass(planet='Mars')")}, TOOLS)
    assert not only_wraps(nested, {"value": {"type": "number"}}, TOOLS)


def test_an_expression_around_the_inner_call_is_more_than_a_wrapper():
    nested = find_nested({"expression": WrittenCall("get_mass(planet='Mars') * 2")}, TOOLS)
    assert not only_wraps(nested, {"expression": {"type": "string"}}, TOOLS)
