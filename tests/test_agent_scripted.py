"""The ReAct loop against a strict scripted engine: every model call is expected, none is left over."""
import pytest

from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.events import Answer, CallPlan, NoAnswer, Notice, Observation, ThoughtDelta, ToolCall
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.worker import ToolRunner

# the `registry` fixture (sample tools and the shipped calculator) comes from conftest


@pytest.fixture(scope="module")
def runner(registry):
    with ToolRunner(registry, timeout=5.0) as r:  # past it, `hang(seconds=30)` is stopped
        yield r


def run(registry, runner, replies, question="q?", **settings):
    engine = ScriptedEngine(replies=list(replies))
    agent = Agent(engine, registry, runner, AgentSettings(**settings))
    events = list(agent.run(question))
    assert engine.unused() == [], "the script had replies the loop never asked for"
    return engine, agent, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_answer_without_tool(registry, runner):
    engine, _, events = run(registry, runner, [ScriptedReply("Thought: I know this.\nAnswer: 56")])
    assert of(events, Answer)[0].text == "56"
    assert of(events, ToolCall) == []
    assert engine.calls[0].role == "reasoning"
    assert "PAUSE" in engine.calls[0].stop and "Observation:" in engine.calls[0].stop
    streamed = "".join(e.text for e in of(events, ThoughtDelta))
    assert streamed.startswith("Thought:") and "I know this." in streamed


def test_one_call_written_as_a_call_skips_the_calling_model(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply('Thought: look it up\nAction: lookup(key="a")\nPAUSE'),
        ScriptedReply("Answer: the value is 10"),
    ])
    calls = of(events, ToolCall)
    assert [(c.name, c.arguments, c.result) for c in calls] == [("lookup", {"key": "a"}, "10")]
    assert of(events, CallPlan)[0].source == "action"
    assert of(events, Observation)[0].text == "10"
    assert engine.calls[1].messages[-1] == {
        "role": "assistant", "content": 'Thought: look it up\nAction: lookup(key="a")\nPAUSE\nObservation: 10\nThought:'}
    assert of(events, Answer)[0].text == "the value is 10"


def test_chained_calls_feed_results_forward(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="b")'),
        ScriptedReply("Thought: now add\nAction: add(x=32, y=10)"),
        ScriptedReply("Answer: 42"),
    ])
    assert [c.result for c in of(events, ToolCall)] == ["32", "42"]
    assert of(events, Answer)[0].steps == 3


def test_several_calls_in_one_step_all_run_in_order(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")\nAction: lookup(key="c")'),
        ScriptedReply("Answer: 10 and 7"),
    ])
    assert [c.arguments["key"] for c in of(events, ToolCall)] == ["a", "c"]
    text = of(events, Observation)[0].text
    assert 'lookup(key="a") -> 10' in text and 'lookup(key="c") -> 7' in text


def test_calling_step_runs_with_adapter_and_context_and_repairs_json(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply("Action: look up key a"),
        ScriptedReply("```json\n[{'name': 'lookup', 'arguments': {'key': 'a'}},]\n```", role="calling"),
        ScriptedReply("Action: add 5 to it"),
        ScriptedReply('Sure: {"function": {"name": "add", "arguments": "{\\"x\\": 10, \\"y\\": 5}"}}', role="calling"),
        ScriptedReply("Answer: 15"),
    ], question="What is a plus 5?")
    plans = of(events, CallPlan)
    assert [p.source for p in plans] == ["calling-step", "calling-step"]
    assert "code fence removed" in plans[0].repairs
    assert "call nested under 'function'" in plans[1].repairs
    assert [c.result for c in of(events, ToolCall)] == ["10", "15"]
    calling_prompt = engine.calls[3].messages[-1]["content"]
    assert "What is a plus 5?" in calling_prompt and "- 10" in calling_prompt and "add 5 to it" in calling_prompt


def test_unknown_tool_becomes_an_observation_listing_valid_tools(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: fetch_weather(city="Oslo")'),
        ScriptedReply('[{"name": "fetch_weather", "arguments": {"city": "Oslo"}}]', role="calling"),
        ScriptedReply('[{"name": "fetch_weather", "arguments": {"city": "Oslo"}}]', role="calling"),  # the one retry
        ScriptedReply("Answer: I cannot get the weather."),
    ])
    observation = of(events, Observation)[0].text
    assert "unknown tool 'fetch_weather'" in observation and "lookup" in observation and "add" in observation
    assert of(events, Answer)


def test_tool_exception_is_an_observation(registry, runner):
    _, _, events = run(registry, runner, [ScriptedReply('Action: lookup(key="z")'), ScriptedReply("Answer: not available")])
    assert of(events, Observation)[0].text == "Error: ValueError: no such key: 'z'"


def test_hanging_tool_times_out_and_the_run_goes_on(registry):
    with ToolRunner(registry, timeout=2.0) as runner:  # its own, with a shorter wait for the hanging call
        _, _, events = run(registry, runner, [
            ScriptedReply("Action: hang(seconds=30)"),
            ScriptedReply('Action: lookup(key="a")'),
            ScriptedReply("Answer: 10"),
        ], question="Wait 30 seconds, then look up a.")
    first, second = of(events, ToolCall)
    assert first.error.startswith("TimeoutError") and second.result == "10"


def test_step_limit_ends_with_no_answer(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply('Action: lookup(key="b")'),
    ], max_steps=2)
    assert isinstance(events[-1], NoAnswer) and "2 steps" in events[-1].reason


def test_repeated_call_is_reported_not_rerun(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply("Answer: 10"),
    ], redraws=0)
    first, second = of(events, ToolCall)
    assert not first.repeated and second.repeated and second.result is None
    assert "already called" in of(events, Observation)[1].text


def test_a_turn_that_only_repeats_an_action_is_drawn_again_with_sampling(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply('Action: lookup(key="a")'),  # greedy decoding repeats itself: drawn again
        ScriptedReply('Action: lookup(key="b")'),
        ScriptedReply("Answer: 10 and 32"),
    ])
    assert [c.arguments["key"] for c in of(events, ToolCall)] == ["a", "b"]
    assert [c.sampling.temperature > 0 for c in engine.calls] == [False, False, True, False]
    assert engine.calls[2].messages == engine.calls[1].messages  # the same turn, not a new step
    assert any("drawing this step again" in n.text for n in of(events, Notice))


def test_a_repeated_placeholder_call_is_not_drawn_again_but_ends_in_an_answer(registry, runner):
    """Sampling would only send a model with nothing to call to some other tool; the stuck-loop
    guard starts its Answer instead."""
    engine, _, events = run(registry, runner, [ScriptedReply('Action: lookup(key="...")')] * 3 + [ScriptedReply(" Paris")],
                            question="What is the capital of France?")
    assert not any(c.sampling.temperature > 0 for c in engine.calls)
    assert engine.calls[-1].messages[-1]["content"].endswith("Answer:")
    assert of(events, Answer)[0].text.endswith("Paris")


def test_an_answer_that_only_repeats_the_loops_own_words_is_not_the_answer(registry, runner):
    stuck = " More tool calls will not add anything new, so I answer with what the observations show."
    _, _, events = run(registry, runner, [ScriptedReply('Action: lookup(key="a")')] * 3 + [ScriptedReply(stuck), ScriptedReply(" 10")],
                       redraws=0)
    assert [a.text for a in of(events, Answer)] == ["10"]


def test_an_action_copied_from_an_observation_line_keeps_only_the_call(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")\nAction: lookup(key="b")'),
        ScriptedReply('Action: lookup(key="c") -> 7\nlookup(key="c") -> 7'),
        ScriptedReply("Answer: 10, 32 and 7"),
    ])
    assert [c.arguments["key"] for c in of(events, ToolCall)] == ["a", "b", "c"]


def test_turns_without_action_or_answer_end_in_a_started_answer(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply("Thought: hmm.\nObservation:"),
        ScriptedReply("Thought: hmm.\nObservation:"),
        ScriptedReply(" I cannot tell."),
    ])
    assert engine.calls[-1].messages[-1]["content"].endswith("Write an Action with a tool call, or the Answer.\nAnswer:")
    assert of(events, Answer)[0].text == "I cannot tell."


def test_redraws_are_limited_per_question(registry, runner):
    _, _, events = run(registry, runner, [ScriptedReply('Action: lookup(key="a")')] * 4 + [ScriptedReply("Answer: 10")], redraws=1)
    assert [c.repeated for c in of(events, ToolCall)] == [False, True, True]


def test_placeholder_argument_is_not_run_and_the_model_is_told(registry, runner):
    """A value copied from a format example ("...") is refused with a note; the real call then runs."""
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="...")'),
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply("Answer: 10"),
    ], redraws=0)
    refused, ran = of(events, ToolCall)
    assert refused.result is None and "placeholder" in refused.error
    assert ran.result == "10" and not ran.repeated
    assert "If another tool gives the value, call it first" in of(events, Observation)[0].text


def test_an_action_copied_with_the_examples_typed_placeholders_is_not_sent_to_the_calling_step(registry, runner):
    """`add(x=<int>, y=2)` is no call; the calling model would fill in a value of its own. The loop
    says so without asking it, and the same copy twice in a row ends in a started Answer."""
    engine, _, events = run(registry, runner, [
        ScriptedReply("Action: add(x=<int>, y=2)"),
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply("Action: add(x=10, y=2)"),
        ScriptedReply("Answer: 12"),
    ], redraws=0)
    assert all(c.role == "reasoning" for c in engine.calls)
    assert [(c.name, c.result) for c in of(events, ToolCall)] == [("lookup", "10"), ("add", "12")]
    assert of(events, Observation)[0].text.startswith("Error: <int> is a placeholder copied from the format example")

    engine, _, events = run(registry, runner, [ScriptedReply("Action: add(x=<int>, y=<int>)")] * 3 + [ScriptedReply(" unknown")],
                            redraws=0)
    assert engine.calls[-1].messages[-1]["content"].endswith("Answer:")
    assert of(events, ToolCall) == [] and of(events, Answer)[0].text == "unknown"


def test_a_call_that_drifts_to_another_subject_is_questioned_once(registry, runner):
    """No value of lookup(key="banana") comes from the question or a result: the model is asked
    about it instead of the call running; written again as it was, the call runs."""
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply('Action: lookup(key="banana")'),
        ScriptedReply("Answer: The value under a is 10"),
    ], question="What is the value under the key a?")
    first, drifted = of(events, ToolCall)
    assert first.error is None
    assert drifted.result is None and "this call is about something else" in drifted.error
    assert of(events, Answer)[0].text.endswith("10")

    _, _, events = run(registry, runner, [ScriptedReply('Action: lookup(key="banana")')] * 2 + [ScriptedReply("Answer: none")],
                       question="What is the value under the key a?", redraws=0)
    assert ["something else" in (c.error or "") for c in of(events, ToolCall)] == [True, False]


def test_after_a_placeholder_the_model_finds_the_value_or_answers_from_what_it_knows(registry, runner):
    """The note names both ways on: a tool call that finds the value first, or an Answer from the
    model's own knowledge when no tool gives it. The next turn is the model's own, started as usual."""
    engine, _, events = run(registry, runner, [
        ScriptedReply('Thought: I need the sum.\nAction: calculate(expression="...")'),
        ScriptedReply('Thought: first the value under c\nAction: lookup(key="c")'),
        ScriptedReply('Thought: now add\nAction: calculate(expression="10 + 7")'),
        ScriptedReply("Answer: 17"),
    ], question="What is 10 plus the value under c?")
    second_turn = engine.calls[1].messages[-1]["content"]
    assert second_turn.endswith("write the Answer from what you know.\nThought:")
    assert [(c.name, c.result) for c in of(events, ToolCall)] == [
        ("calculate", None), ("lookup", "7"), ("calculate", "17")]
    assert of(events, Answer)[0].text == "17"

    _, _, events = run(registry, runner, [
        ScriptedReply('Thought: I need the capital.\nAction: lookup(key="...")'),
        ScriptedReply("Thought: No tool gives it; I know it.\nAnswer: Paris"),
    ], question="What is the capital of France?")
    assert of(events, Answer)[0].text == "Paris"


def test_a_number_from_nowhere_is_questioned_once(registry, runner):
    """12 is in neither the question nor an observation (a format example's value, typically):
    the call is not run and the model is asked; the same call written again runs."""
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply("Action: add(x=10, y=12)"),
        ScriptedReply("Action: add(x=10, y=12)"),
        ScriptedReply("Answer: 22"),
    ], question="What is the value under a, plus some more?")
    questioned, ran = of(events, ToolCall)[1:]
    assert questioned.result is None and "12 in add(x=10, y=12) comes from neither" in questioned.error
    assert ran.result == "22" and not ran.repeated


def test_grounding_can_be_switched_off(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'), ScriptedReply("Action: add(x=10, y=12)"), ScriptedReply("Answer: 22")], grounding=False)
    assert [c.result for c in of(events, ToolCall)] == ["10", "22"]


def test_an_answer_with_a_number_from_nowhere_is_asked_for_again_once(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply("Answer: The answer is 12."),
        ScriptedReply(" the value is 10.\nAnswer: The value is 10."),
    ])
    assert "12 in the Answer comes from neither" in of(events, Observation)[1].text
    assert engine.calls[-1].messages[-1]["content"].endswith("Observation: Error: 12 in the Answer comes from neither "
                                                             "the question nor an observation. Write the Answer again "
                                                             "from the observations, or from your own knowledge if no "
                                                             "tool fits the question.\nThought: The observations say")
    assert of(events, Answer)[0].text == "The value is 10."
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'), ScriptedReply("Answer: 12"), ScriptedReply("Answer: 13")])
    assert of(events, Answer)[0].text == "13"  # asked once only


def test_an_answer_that_drops_a_results_exponent_is_asked_for_again_once(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply('Action: calculate(expression="4.867e+24 + 3.301e+23")'),
        ScriptedReply("Answer: The combined mass is 5.1971 kg."),
        ScriptedReply(" 5.1971e+24.\nAnswer: The combined mass is 5.1971e+24 kg."),
    ], question="What is 4.867e+24 kg plus 3.301e+23 kg?")
    assert of(events, ToolCall)[0].result == "5.1971e+24"
    assert of(events, Observation)[1].text == ("Error: 5.1971 in the Answer is 5.1971e+24 without its exponent. "
                                               "Write the Answer again with the number exactly as the observation "
                                               "gives it.")
    assert of(events, Answer)[0].text == "The combined mass is 5.1971e+24 kg."


def test_a_quoted_call_in_a_string_argument_is_text_and_does_not_run(registry, runner):
    """Only an argument written as a call runs first; a string that reads like one is the tool's text."""
    _, _, events = run(registry, runner, [
        ScriptedReply("Action: calculate(expression=\"lookup('b') * 2\")"),
        ScriptedReply("Answer: it cannot be computed"),
    ])
    calls = of(events, ToolCall)
    assert [c.name for c in calls] == ["calculate"]
    assert calls[0].arguments == {"expression": "lookup('b') * 2"} and calls[0].error is not None


def test_a_call_given_as_an_argument_value_runs_first_and_feeds_its_result(registry, runner):
    """add(x=lookup(key="b"), y=lookup(key="c")): each inner call runs, then add gets integers."""
    engine, _, events = run(registry, runner, [
        ScriptedReply('Action: add(x=lookup(key="b"), y=lookup(key="c"))'),
        ScriptedReply("Answer: 39"),
    ])
    calls = of(events, ToolCall)
    assert [(c.name, c.arguments, c.result) for c in calls] == [
        ("lookup", {"key": "b"}, "32"), ("lookup", {"key": "c"}, "7"), ("add", {"x": 32, "y": 7}, "39")]
    assert of(events, CallPlan)[0].source == "action"  # read from the Action, no calling model


def test_a_failing_outer_call_of_a_composition_is_reported_not_dropped(registry, runner):
    """Unlike a text argument that only wraps a call, a typed argument given as a call is meant: when
    the outer call fails on the inner result, the model hears why."""
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: add(x=hang(seconds=0), y=1)'),
        ScriptedReply("Answer: done"),
    ])
    assert [(c.name, c.error is None) for c in of(events, ToolCall)] == [("hang", True), ("add", False)]
    assert "add(" in of(events, Observation)[0].text and "Error" in of(events, Observation)[0].text


def test_a_bare_word_in_a_nested_call_is_read_as_text(registry, runner):
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: add(x=lookup(b), y=1)'),
        ScriptedReply("Answer: 33"),
    ])
    assert [(c.name, c.arguments, c.result) for c in of(events, ToolCall)][0] == ("lookup", {"key": "b"}, "32")


def test_a_call_written_without_its_action_label_is_read_as_the_action(registry, runner):
    _, _, events = run(registry, runner, [ScriptedReply(' lookup(key="a")\n'), ScriptedReply("Answer: 10")])
    assert [(c.name, c.result) for c in of(events, ToolCall)] == [("lookup", "10")]


def test_a_call_that_only_wraps_a_nested_call_and_fails_on_its_result_is_dropped(registry, runner):
    """calculate(expression=hang(seconds=0)) wraps a call whose result is text: the inner call's
    result stands, and the wrapper's own error stays out of the observation."""
    _, _, events = run(registry, runner, [
        ScriptedReply('Action: calculate(expression=hang(seconds=0))'),
        ScriptedReply("Answer: done"),
    ])
    assert [(c.name, c.result) for c in of(events, ToolCall)] == [("hang", "done")]
    assert of(events, Observation)[0].text == "done"
    assert any("only wrapped the inner call" in n.text for n in of(events, Notice))


def test_session_memory_and_reset(registry, runner):
    """A question that refers back gets the earlier exchanges; one that does not runs on its own;
    a reset forgets them."""
    engine = ScriptedEngine(replies=[ScriptedReply("Answer: first"), ScriptedReply("Answer: second"), ScriptedReply("Answer: third"),
                                     ScriptedReply("Answer: fourth")])
    agent = Agent(engine, registry, runner)
    list(agent.run("Q1"))
    events = list(agent.run("And twice that?"))
    assert {"role": "user", "content": "Question: Q1"} in engine.calls[1].messages
    assert any("refers back" in n.text for n in of(events, Notice))
    list(agent.run("What is the capital of France?"))
    assert len(engine.calls[2].messages) == 3  # system, the question, the turn
    agent.reset()
    list(agent.run("And twice that?"))
    assert len(engine.calls[3].messages) == 3
    assert engine.unused() == []


def test_a_question_that_refers_back_gets_only_the_last_exchanges(registry, runner):
    engine = ScriptedEngine(replies=[ScriptedReply(f"Answer: {i}") for i in range(6)])
    agent = Agent(engine, registry, runner)
    for i in range(5):
        list(agent.run(f"Q{i}"))
    list(agent.run("What is that times 3?"))
    questions = [m["content"] for m in engine.calls[-1].messages if m["role"] == "user"]
    assert questions == ["Question: Q2", "Question: Q3", "Question: Q4", "Question: What is that times 3?"]


def test_history_full_keeps_earlier_traces_in_the_prompt(registry, runner):
    engine = ScriptedEngine(replies=[ScriptedReply(' I need the first fact.\nAction: lookup(key="a")'),
                                     ScriptedReply("Answer: 10"), ScriptedReply("Answer: 20")])
    agent = Agent(engine, registry, runner, AgentSettings(history="full"))
    list(agent.run("Q1"))
    list(agent.run("And twice that?"))
    assert engine.unused() == []
    assert "I need the first fact." in engine.calls[-1].messages[-3]["content"]


def test_system_prompt_is_identical_across_steps(registry, runner):
    engine, _, _ = run(registry, runner, [ScriptedReply('Action: lookup(key="a")'), ScriptedReply("Answer: 10")])
    assert engine.calls[0].messages[0] == engine.calls[1].messages[0]
    assert "<function" not in engine.calls[0].messages[0]["content"]  # no function reprs in the prompt


def test_declined_call_becomes_an_observation(registry, runner):
    import io

    from rich.console import Console

    from slmreact_cli.approval import TerminalApprover

    answers = iter(["n", "a"])
    approver = TerminalApprover(Console(file=io.StringIO()), read=lambda prompt: next(answers))
    engine = ScriptedEngine(replies=[ScriptedReply('Action: lookup(key="a")'), ScriptedReply('Action: lookup(key="b")'),
                                     ScriptedReply('Action: lookup(key="c")'), ScriptedReply("Answer: done")])
    events = list(Agent(engine, registry, runner, approve=approver).run("q"))
    first, second, third = of(events, ToolCall)
    assert first.error == "the user declined to run this call" and first.result is None
    assert second.result == "32" and third.result == "7"  # "always" covers later calls of the tool


def test_a_loop_of_repeated_calls_is_ended_with_an_answer(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply('Action: lookup(key="a")'),
        ScriptedReply(" 10."),  # the turn was started as "Answer:" for the model
    ], redraws=0)
    assert of(events, Answer)[0].text == "10."
    assert engine.calls[-1].messages[-1]["content"].endswith("Answer:")


def test_a_loop_of_the_same_failing_nested_call_is_ended_with_an_answer(registry, runner):
    """The inner call fails the same way each time; its repeats count toward the loop guard too."""
    bad = "Action: add(x=lookup(key='zzz'), y=2)"
    engine, _, events = run(registry, runner, [ScriptedReply(bad), ScriptedReply(bad), ScriptedReply(bad), ScriptedReply(" not available.")],
                            redraws=0, question="What is twice the value under zzz?")
    assert of(events, Answer)[0].text == "not available."
    assert engine.calls[-1].messages[-1]["content"].endswith("Answer:")


def test_native_mode_free_text_then_a_call_then_the_answer(registry, runner):
    engine, _, events = run(registry, runner, [
        ScriptedReply("I will look it up.\n<tool_call>"),
        ScriptedReply('{{"name": "lookup", "arguments": {"key": "a"}}}\n</tool_call>'),  # doubled braces, repaired
        ScriptedReply('{"name": "lookup", "arguments": {"key": "c"}}'),  # a call without its tags
        ScriptedReply("The values are 10 and 7."),
    ], mode="native")
    assert [c.result for c in of(events, ToolCall)] == ["10", "7"]
    assert of(events, CallPlan)[0].source == "native"
    assert of(events, Answer)[0].text == "The values are 10 and 7."
    assert engine.calls[0].stop == ("<tool_call>",)
    assert engine.calls[1].messages[-1]["content"].endswith("<tool_call>\n")
    assert engine.calls[3].messages[-1] == {"role": "tool", "content": "7"}


def test_native_mode_repeating_a_call_gets_its_answer_started(registry, runner):
    """The known failure of native calling on small models: the same call until the turn limit."""
    engine, _, events = run(registry, runner, [
        ScriptedReply('{"name": "lookup", "arguments": {"key": "a"}}'),
        ScriptedReply('{"name": "lookup", "arguments": {"key": "a"}}'),
        ScriptedReply(" 10."),
    ], mode="native")
    first, second = of(events, ToolCall)
    assert not first.repeated and second.repeated
    assert of(events, Answer)[0].text.endswith("The answer is 10.")
    assert engine.calls[-1].messages[-1]["role"] == "assistant"


def test_engine_failure_mid_run_ends_with_no_answer(registry, runner):
    """A model server that goes away mid-question: the run ends with a reason, not a crash."""
    from slmreact_cli.errors import ModelError
    from slmreact_cli.events import Error

    class GoneAway(ScriptedEngine):
        def stream(self, messages, **kwargs):
            if len(self.calls) >= 1:
                raise ModelError("cannot reach the model server at http://gpu-box:8000/v1: connection refused")
            yield from super().stream(messages, **kwargs)

    engine = GoneAway(replies=[ScriptedReply('Thought: compute.\nAction: calculate(expression="2+2")')])
    events = list(Agent(engine, registry, runner, AgentSettings()).run("q?"))
    assert of(events, ToolCall)[0].result == "4"
    assert "gpu-box" in of(events, Error)[-1].message
    assert "cannot reach" in of(events, NoAnswer)[0].reason
