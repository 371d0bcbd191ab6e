"""Switching guards off by name (`disabled_guards`), for ablations: each name changes what the loop
does, the default changes nothing, and an unknown name is one clear line. Also native mode's
history, which is trimmed to the context window like react's."""
import json
import subprocess
import sys

import pytest

from slmreact_cli.config import load_profiles
from slmreact_cli.errors import ConfigError
from slmreact_cli.events import Answer, NoAnswer, Notice, ToolCall
from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.models.fake import Reply, ScriptedEngine
from slmreact_cli.session import Session, SessionOptions
from slmreact_cli.worker import ToolRunner


@pytest.fixture(scope="module")
def runner(registry):
    with ToolRunner(registry, timeout=5.0) as r:
        yield r


def run(registry, runner, replies, *disabled, question="q?", **settings):
    engine = ScriptedEngine(replies=list(replies))
    agent = Agent(engine, registry, runner, AgentSettings(disabled_guards=frozenset(disabled), **settings))
    events = list(agent.run(question))
    assert engine.unused() == [], "the script had replies the loop never asked for"
    return engine, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_without_repeats_a_call_made_before_runs_again_and_no_turn_is_drawn_again(registry, runner):
    _, events = run(registry, runner, [
        Reply('Action: lookup(key="a")'), Reply('Action: lookup(key="a")'), Reply("Answer: 10")], "repeats")
    assert [(c.result, c.repeated) for c in of(events, ToolCall)] == [("10", False), ("10", False)]
    assert not [n for n in of(events, Notice) if "drawing this step again" in n.text]


def test_without_placeholders_a_stand_in_value_reaches_the_tool(registry, runner):
    _, events = run(registry, runner, [Reply('Action: lookup(key="...")'), Reply("Answer: none")],
                    "placeholders", redraws=0)
    (call,) = of(events, ToolCall)
    assert call.error == "ValueError: no such key: '...'"


def test_without_grounding_a_number_from_nowhere_runs(registry, runner):
    _, events = run(registry, runner, [
        Reply('Action: lookup(key="a")'), Reply("Action: add(x=10, y=12)"), Reply("Answer: 22")], "grounding",
        question="What is the value under a, plus some more?")
    assert [c.result for c in of(events, ToolCall)] == ["10", "22"]


def test_without_nesting_a_call_given_as_an_argument_is_not_run_first(registry, runner):
    _, events = run(registry, runner, [Reply('Action: add(x=lookup(key="b"), y=7)'), Reply("Answer: no")],
                    "nesting", "grounding")
    (call,) = of(events, ToolCall)
    assert call.name == "add" and call.result is None and "x" in call.error


def test_without_history_a_question_sees_every_earlier_exchange(registry, runner):
    engine = ScriptedEngine(replies=[Reply("Answer: 10"), Reply("Answer: Paris")])
    agent = Agent(engine, registry, runner, AgentSettings(disabled_guards=frozenset({"history"})))
    list(agent.run("Q1"))
    events = list(agent.run("What is the capital of France?"))
    assert {"role": "user", "content": "Question: Q1"} in engine.calls[1].messages
    assert of(events, Notice) == []


def test_code_mode_reads_grounding_from_disabled_guards(registry, runner):
    program = Reply(' I compute it.\nAction:\n```python\nprint(lookup("a") * 3)\n```')
    _, events = run(registry, runner, [program, Reply(" Done.\nAnswer: 31")], "grounding", mode="code")
    assert of(events, Answer)[0].text == "31"


def test_the_default_disables_nothing():
    settings = AgentSettings()
    assert settings.disabled_guards == frozenset()
    assert all(settings.uses(g) for g in ("repeats", "placeholders", "grounding", "nesting", "history"))
    assert not AgentSettings(grounding=False).uses("grounding")


def test_an_unknown_guard_name_is_refused():
    with pytest.raises(ValueError, match="unknown guard 'grunding' \\(valid: repeats, placeholders"):
        AgentSettings(disabled_guards=frozenset({"grunding"}))


def test_a_profile_names_the_guards_it_switches_off(home, registry):
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.ablation]\nsource = "x/y"\ndisabled_guards = ["grounding", "repeats"]\n')
    profile = load_profiles()["ablation"]
    session = Session(profile, ScriptedEngine(), registry, ToolRunner(registry), SessionOptions(log=False))
    assert session.settings.disabled_guards == frozenset({"grounding", "repeats"})
    cfg.write_text('[profiles.ablation]\nsource = "x/y"\ndisabled_guards = ["grunding"]\n')
    with pytest.raises(ConfigError) as error:
        load_profiles()
    assert str(error.value).endswith(
        "disabled_guards: unknown guard 'grunding' (valid: repeats, placeholders, grounding, nesting, history)")


def test_an_unknown_guard_in_a_profile_is_one_line_and_exit_2(home):
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.ablation]\nsource = "x/y"\ndisabled_guards = ["grunding"]\n')
    proc = subprocess.run([sys.executable, "-m", "slmreact_cli", "ask", "--model", "ablation", "hi"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unknown guard 'grunding'" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def native_session(registry, runner, *disabled):
    engine = ScriptedEngine(replies=[Reply("x" * 3000) for _ in range(6)], context_length=5000)
    settings = AgentSettings(mode="native", max_new_tokens=200, disabled_guards=frozenset(disabled))
    return engine, Agent(engine, registry, runner, settings)


def test_native_history_leaves_the_oldest_questions_out_to_fit_the_window(registry, runner):
    engine, agent = native_session(registry, runner)
    schema_tokens = engine.count_tokens([{"role": "system", "content": json.dumps(registry.schemas())}])
    notices = []
    for i in range(6):
        events = list(agent.run(f"question {i}"))
        assert isinstance(events[-1], Answer)
        notices += of(events, Notice)
    assert notices and "oldest question(s) out of the prompt" in notices[0].text
    assert len(notices) < 6 and len(agent.history) < 12  # forgotten for good, not trimmed again each question
    for call in engine.calls:
        assert engine.count_tokens(call.messages) + schema_tokens <= 5000 - 200
    assert engine.calls[-1].messages[-1] == {"role": "user", "content": "question 5"}


def test_native_history_without_its_guard_ends_in_no_answer_once_it_no_longer_fits(registry, runner):
    engine, agent = native_session(registry, runner, "history")
    ends = [list(agent.run(f"question {i}"))[-1] for i in range(6)]
    assert isinstance(ends[0], Answer) and isinstance(ends[-1], NoAnswer)
    assert "no longer fit" in ends[-1].reason
