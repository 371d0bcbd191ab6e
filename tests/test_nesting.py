"""Tool calls given as an argument's value: found, run innermost first, and written back; quoted text is left alone."""
from slmreact_cli.guards.nesting import WrittenCall, find_nested, mark_written_calls, substitute, whole_call

PARAMS = {"add_days": ["date", "days"], "weekday": ["date"], "lookup": ["key"]}


def run_with(results):
    calls = []

    def run(name, args):
        calls.append((name, args))
        return True, results[name]
    return calls, run


def test_inner_calls_run_first_and_their_results_replace_them():
    nested = find_nested({"date": WrittenCall("add_days(date=lookup('b'), days=lookup(key='c'))")}, set(PARAMS))
    calls, run = run_with({"lookup": "5", "add_days": "2025-06-09"})
    assert substitute(nested["date"], PARAMS, run) == "2025-06-09"
    assert calls == [("lookup", {"key": "b"}), ("lookup", {"key": "c"}), ("add_days", {"date": 5, "days": 5})]


def test_an_argument_that_is_one_call_gets_its_result_as_written():
    """A date or a name passes on as the text itself, not as a quoted Python string."""
    nested = find_nested({"date": WrittenCall("add_days(date='2025-03-01', days=100)")}, set(PARAMS))
    assert whole_call(nested["date"], PARAMS)
    _, run = run_with({"add_days": "2025-06-09"})
    assert substitute(nested["date"], PARAMS, run) == "2025-06-09"


def test_text_is_left_alone_even_where_it_reads_like_a_call():
    assert find_nested({"expression": "lookup('a') + 1", "date": "weekday('2025-01-01')"}, set(PARAMS)) == {}
    assert find_nested({"expression": WrittenCall("sqrt(2)"), "city": "Paris"}, set(PARAMS)) == {}


def test_only_arguments_written_as_calls_are_marked():
    action = "weekday(date=lookup(key='a'))\nlookup(key=\"weekday('2025-01-01')\")"
    calls = [{"name": "weekday", "arguments": {"date": "lookup(key='a')"}},
             {"name": "lookup", "arguments": {"key": "weekday('2025-01-01')"}}]
    marked = mark_written_calls(action, calls, PARAMS)
    assert marked == calls
    assert isinstance(marked[0]["arguments"]["date"], WrittenCall)
    assert not isinstance(marked[1]["arguments"]["key"], WrittenCall)
    positional = mark_written_calls("add_days(lookup('a'), 3)", [{"name": "add_days", "arguments": {
        "date": "lookup('a')", "days": 3}}], PARAMS)
    assert isinstance(positional[0]["arguments"]["date"], WrittenCall)
