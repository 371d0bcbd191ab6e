"""Tool calls nested in a string argument: found, run innermost first, and written back."""
from slmreact_cli.nesting import find_nested, substitute, whole_call

PARAMS = {"add_days": ["date", "days"], "weekday": ["date"], "lookup": ["key"]}


def run_with(results):
    calls = []

    def run(name, args):
        calls.append((name, args))
        return True, results[name]
    return calls, run


def test_inner_calls_run_first_and_their_results_replace_them():
    nested = find_nested({"expression": "lookup('b') * 2 + lookup(key='c')"}, set(PARAMS))
    calls, run = run_with({"lookup": "5"})
    assert substitute(nested["expression"], PARAMS, run) == "5 * 2 + 5"
    assert calls == [("lookup", {"key": "b"}), ("lookup", {"key": "c"})]


def test_an_argument_that_is_one_call_gets_its_result_as_written():
    """A date or a name passes on as the text itself, not as a quoted Python string."""
    nested = find_nested({"date": "add_days(date='2025-03-01', days=100)"}, set(PARAMS))
    assert whole_call(nested["date"], PARAMS)
    _, run = run_with({"add_days": "2025-06-09"})
    assert substitute(nested["date"], PARAMS, run) == "2025-06-09"


def test_text_without_a_known_call_is_left_alone():
    assert find_nested({"expression": "sqrt(2) * 3", "city": "Paris"}, set(PARAMS)) == {}
    nested = find_nested({"expression": "lookup('a') + 1"}, set(PARAMS))
    assert not whole_call(nested["expression"], PARAMS)
