"""The repeats guard: a call or an Action written before."""
from slmreact_cli.guards.repeats import action_key, call_key, only_repeats, repeated_call_note


def test_an_action_is_the_same_however_it_is_spaced():
    assert action_key('lookup( key = "a" )') == action_key('lookup(key="a")')
    assert action_key('lookup(key="a")') != action_key('lookup(key="b")')


def test_a_call_key_ignores_the_order_of_arguments():
    assert call_key("add", {"x": 1, "y": 2}) == call_key("add", {"y": 2, "x": 1})
    assert call_key("add", {"x": 1, "y": 2}) != call_key("add", {"x": 2, "y": 1})


def test_a_call_made_before_gets_the_earlier_result_in_its_note():
    seen = {call_key("lookup", {"key": "a"}): "10."}
    note = repeated_call_note("lookup", {"key": "a"}, seen)
    assert note == ('you already called lookup(key="a") and got: 10. Do not repeat the call; use that result '
                    "or write the Answer.")
    assert repeated_call_note("lookup", {"key": "b"}, seen) is None


def test_a_turn_repeats_when_its_actions_or_all_its_calls_were_seen():
    earlier = {action_key('lookup(key="a")')}
    seen = {call_key("lookup", {"key": "a"}): "10"}
    assert only_repeats(('lookup(key = "a")',), [], earlier, {})
    assert only_repeats(("look up a",), [{"name": "lookup", "arguments": {"key": "a"}}], set(), seen)
    two = [{"name": "lookup", "arguments": {"key": "a"}}, {"name": "lookup", "arguments": {"key": "c"}}]
    assert not only_repeats(("both",), two, set(), seen)
    assert not only_repeats(("look up a",), [], set(), seen)  # no calls: nothing to compare
