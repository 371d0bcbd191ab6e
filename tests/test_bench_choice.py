"""The fixed rules in bench/parallel_eval.py that turn validation figures into shipped settings.

Fast: no model. The rules decide what a release ships, so each branch is pinned here.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import parallel_eval as pe  # noqa: E402


def summaries(on_15: int, off_15: int, on_05: int, off_05: int) -> dict:
    def passed(n):
        return {"overall": {"passed": n}}
    return {"calls-1.5b-on": passed(on_15), "calls-1.5b-off": passed(off_15),
            "calls-0.5b-on": passed(on_05), "calls-0.5b-off": passed(off_05)}


@pytest.fixture
def calls_answers(tmp_path, monkeypatch):
    """Writes calls_eval.py-style answer files: `exact` flags for each model with and without adapter."""
    monkeypatch.setattr(pe, "OUT", tmp_path)

    def write(model: str, adapter: bool, exact: list[bool]):
        name = f"calls-eval-{pe.MODELS[model]}{'-adapter' if adapter else ''}.jsonl"
        (tmp_path / name).write_text("".join(json.dumps({"exact": e}) + "\n" for e in exact))
    return write


def test_the_calling_adapter_is_chosen_only_where_calls_and_tasks_both_hold(calls_answers):
    calls_answers("1.5b", False, [True, True, False])
    calls_answers("1.5b", True, [True, True, True])     # more exact calls ...
    calls_answers("0.5b", False, [True, False, False])
    calls_answers("0.5b", True, [True, True, False])
    choice = pe.choose_calling_adapter(summaries(on_15=70, off_15=71, on_05=60, off_05=60), {})
    assert choice["1.5b"]["calling_adapter"] is False     # ... but fewer tasks answered: off
    assert choice["0.5b"]["calling_adapter"] is True      # more exact calls, as many tasks: on
    assert choice["0.5b"]["calling_validation"]["calls_exact_on"] == "2/3"
    assert choice["0.5b"]["mode"] == "react"              # the rest comes from the earlier choice


def test_equal_calls_or_unequal_samples_keep_the_adapter_off(calls_answers):
    calls_answers("1.5b", False, [True, False])
    calls_answers("1.5b", True, [True, False])            # no gain
    calls_answers("0.5b", False, [False, False, False])
    calls_answers("0.5b", True, [True, True])             # a shorter run cannot be compared
    choice = pe.choose_calling_adapter(summaries(80, 70, 80, 70), {"1.5b": {"mode": "code"}})
    assert choice["1.5b"] == {"mode": "code", "calling_adapter": False,
                              "calling_validation": choice["1.5b"]["calling_validation"]}
    assert choice["0.5b"]["calling_adapter"] is False


def test_missing_answers_keep_the_adapter_off(calls_answers):
    choice = pe.choose_calling_adapter(summaries(80, 70, 80, 70), {})
    assert not choice["1.5b"]["calling_adapter"] and not choice["0.5b"]["calling_adapter"]


def test_a_model_without_both_calls_runs_keeps_its_earlier_choice(calls_answers):
    calls_answers("1.5b", False, [True, False])
    calls_answers("1.5b", True, [True, True])
    only_15 = {k: v for k, v in summaries(80, 80, 0, 0).items() if k.startswith("calls-1.5b")}
    previous = {"0.5b": {"mode": "react", "calling_adapter": True}}
    choice = pe.choose_calling_adapter(only_15, previous)
    assert choice["1.5b"]["calling_adapter"] is True
    assert choice["0.5b"] == previous["0.5b"]


def test_chosen_changes_put_the_calling_adapter_on_by_path():
    settings = dict(pe.SHIPPED, calling_adapter=True)
    changes = pe.chosen_changes(settings, "0.5b")
    assert changes == {"adapter": str(pe.calling_adapter_file("0.5b"))}
    assert pe.chosen_changes(dict(pe.SHIPPED), "0.5b") == {}
    assert pe.chosen_changes(dict(pe.SHIPPED, reasoning_adapter=False), "1.5b") == {"reasoning_adapter": None}


def test_the_base_rows_of_the_test_plan_have_no_lora_in_either_role(tmp_path, monkeypatch):
    monkeypatch.setattr(pe, "OUT", tmp_path)
    (tmp_path / "pe-choice.json").write_text(json.dumps({"1.5b": dict(pe.SHIPPED),
                                                         "0.5b": dict(pe.SHIPPED, calling_adapter=True)}))
    monkeypatch.setattr(pe, "split_tasks", lambda split, limit: [{"id": "t"}])
    jobs = {job.name: job for job in pe.plan_test(0)}
    assert jobs["test-0.5b-default"].changes == {"adapter": str(pe.calling_adapter_file("0.5b"))}
    assert jobs["test-0.5b-noadapter"].changes == {"reasoning_adapter": None, "adapter": None}
    assert jobs["test-1.5b-default"].changes == {}
    assert jobs["test-1.5b-original"].profile is None


def reasoning_summaries(figures: dict[str, tuple[int, int, int, float]]) -> dict:
    """{MODEL-SIDE: (validation, compound, dev passed, mean steps)} as the reasoning plan's summaries."""
    out = {}
    for key, (*passed, steps) in figures.items():
        for name, n in zip(pe.REASONING_SETS, passed):
            out[f"reasoning-{key}-{name}"] = {"overall": {"passed": n, "n": 12}, "mean_steps": steps}
    return out


def test_a_retrained_reasoning_adapter_replaces_the_shipped_one_only_if_it_answers_more_or_as_many_in_fewer_steps():
    figures = {"1.5b-current": (70, 8, 11, 1.6), "1.5b-new": (69, 11, 11, 1.4),   # 91 vs 89: adopted
               "0.5b-current": (70, 8, 11, 1.6), "0.5b-new": (71, 7, 11, 1.7)}    # 89 vs 89, more steps: kept
    choice = pe.choose_reasoning_adapter(reasoning_summaries(figures), {"0.5b": {"mode": "react", "calling_adapter": True,
                                                                                "reasoning_adapter": True}})
    assert choice["1.5b"]["reasoning_adapter_file"] == str(pe.reasoning_candidate_file("1.5b"))
    assert choice["0.5b"].get("reasoning_adapter_file") is None
    assert choice["0.5b"]["calling_adapter"] is True  # the earlier choice is kept
    assert choice["1.5b"]["reasoning_validation"]["new"] == {"validation": 69, "compound": 11, "dev": 11}
    assert pe.chosen_changes(choice["1.5b"], "1.5b") == {"reasoning_adapter": str(pe.reasoning_candidate_file("1.5b"))}
    assert "reasoning_adapter" not in pe.chosen_changes(choice["0.5b"] | {"calling_adapter": False}, "0.5b")


def test_as_many_answers_in_fewer_steps_adopts_the_retrained_adapter():
    figures = {"1.5b-current": (70, 8, 11, 1.6), "1.5b-new": (70, 8, 11, 1.5),
               "0.5b-current": (70, 8, 11, 1.6), "0.5b-new": (70, 8, 11, 1.6)}
    choice = pe.choose_reasoning_adapter(reasoning_summaries(figures), {})
    assert choice["1.5b"]["reasoning_adapter_file"] and not choice["0.5b"].get("reasoning_adapter_file")


def test_a_model_with_missing_runs_keeps_its_choice_and_an_adopted_adapter_is_switched_on():
    figures = {"0.5b-current": (70, 8, 11, 1.6), "0.5b-new": (71, 8, 11, 1.6)}  # no 1.5B runs (--only)
    previous = {"1.5b": {"mode": "react", "reasoning_adapter": True},
                "0.5b": {"mode": "react", "reasoning_adapter": False}}
    choice = pe.choose_reasoning_adapter(reasoning_summaries(figures), previous)
    assert choice["1.5b"] == previous["1.5b"]
    assert choice["0.5b"]["reasoning_adapter"] is True
    assert pe.chosen_changes(choice["0.5b"], "0.5b") == {"reasoning_adapter": str(pe.reasoning_candidate_file("0.5b"))}
