"""The generated benchmark (bench/tasks/): split rules, tool modules, and answers that come from the tools.

Fast: no model. The adapter-corpus check builds a few hundred traces.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TASKS = ROOT / "bench" / "tasks"
sys.path.insert(0, str(TASKS))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "adapter"))

import generate as G  # noqa: E402
import specs  # noqa: E402

from slmreact_cli.tool_loading import load_registry  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def tool_modules_described_ahead(tool_descriptions):
    """The tests below load the domain modules one or two at a time, in many combinations (and
    make_traces one at a time); one worker describes them all first."""
    from common import SHARED

    shared = SHARED / "eval_tools.py"
    paths = [ROOT / G.domain_path(d.key) for d in specs.DOMAINS] + [
        ROOT / G.ARITH, ROOT / "bench" / "adapter" / "train_tools.py", ROOT / "bench" / "heldout" / "shop_tools.py",
        *(ROOT / "tools").glob("*.py"), *([shared] if shared.exists() else [])]
    tool_descriptions.describe_ahead([str(p) for p in paths])


def _scorer():
    """The shared scorer, found as bench/common.py finds it."""
    from common import SHARED

    if not (SHARED / "score.py").exists():
        pytest.skip("the shared scorer is not available")
    spec = importlib.util.spec_from_file_location("shared_score", SHARED / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tasks(split: str) -> list[dict]:
    return [json.loads(line) for line in open(TASKS / "data" / f"{split}.jsonl") if line.strip()]


@functools.cache
def _tool_count(paths: tuple[str, ...]) -> int:
    """How many tools the registry of these modules holds; many tasks share one tool set."""
    return len(load_registry([str(ROOT / p) for p in paths]).tools)


def _tool_names(keys) -> set[str]:
    names = set()
    for key in keys:
        names |= set(G.module(G.domain_path(key)).__all__)
    return names


def test_splits_are_disjoint_and_large_enough():
    sets = {s: set(keys) for s, keys in specs.SPLITS.items()}
    assert not sets["train"] & sets["validation"]
    assert not sets["train"] & sets["test"]
    assert not sets["validation"] & sets["test"]
    assert len(sets["test"]) >= 12
    assert sum(len(v) for v in sets.values()) >= 40
    assert set().union(*sets.values()) == {d.key for d in specs.DOMAINS}


def test_split_tool_names_are_disjoint():
    train = _tool_names(specs.SPLITS["train"])
    held = _tool_names(specs.SPLITS["validation"]) | _tool_names(specs.SPLITS["test"])
    assert not train & held


def test_domains_do_not_reuse_existing_tools():
    existing = set()
    from common import SHARED

    for path in [*(ROOT / "tools").glob("*.py"), ROOT / "bench" / "heldout" / "shop_tools.py",
                 ROOT / "bench" / "adapter" / "train_tools.py", SHARED / "eval_tools.py"]:
        if path.exists():
            existing |= set(load_registry([str(path)]).names())
    ours = _tool_names(d.key for d in specs.DOMAINS) | set(G.module(G.ARITH).__all__)
    assert not ours & existing


@pytest.mark.parametrize("key", [d.key for d in specs.DOMAINS])
def test_modules_load_through_the_registry_with_nothing_skipped(key):
    registry = load_registry([str(ROOT / G.domain_path(key)), str(ROOT / G.ARITH)])
    assert not registry.skipped
    assert len(registry.tools) == 12


def test_generated_files_match_a_fresh_generation():
    for split in ("validation", "test"):
        assert G.generate(split, G.PER_KIND[split]) == _tasks(split)


@pytest.mark.parametrize("split", ["validation", "test"])
def test_every_kind_is_present_and_balanced(split):
    kinds = Counter(t["kind"] for t in _tasks(split))
    assert set(kinds) == set(G.KINDS)
    assert max(kinds.values()) - min(kinds.values()) <= 2


def test_train_split_has_every_kind():
    rng = random.Random(0)
    for kind in G.KINDS * 3:
        task = G.build(rng, "train", kind)
        assert task.kind == kind and task.domain in specs.SPLITS["train"]
        assert all(p in {G.domain_path(k) for k in specs.SPLITS["train"]} | {G.ARITH} for p in task.tools)


@pytest.mark.parametrize("split", ["validation", "test"])
def test_sizes_and_tool_sets(split):
    tasks = _tasks(split)
    assert (60 <= len(tasks) <= 90) if split == "validation" else (100 <= len(tasks) <= 150)
    allowed = {G.domain_path(k) for k in specs.SPLITS[split]} | {G.ARITH}
    for t in tasks:
        assert t["split"] == split and t["domain"] in specs.SPLITS[split]
        assert set(t["tools"]) <= allowed, "distractors stay in the task's split"
        assert G.domain_path(t["domain"]) in t["tools"]
        assert 10 <= _tool_count(tuple(t["tools"])) <= 20
        assert t["min_calls"] == sum(len(step) for step in t["expected"]["plan"])
        assert t["min_steps"] == len(t["expected"]["plan"])


@pytest.mark.parametrize("split", ["validation", "test"])
def test_expected_answers_come_from_running_the_tools(split):
    scorer = _scorer()
    for t in _tasks(split):
        funcs = {}
        for path in t["tools"]:
            mod = G.module(path)
            funcs.update({n: getattr(mod, n) for n in mod.__all__})
        last, texts = None, []
        for step, results in zip(t["expected"]["plan"], t["expected"]["results"]):
            for (name, args), recorded in zip(step, results):
                try:
                    last = funcs[name](**args)
                    text = G.fmt(last)
                except ValueError as exc:
                    last, text = exc, f"Error: ValueError: {exc}"
                assert text == recorded, (t["id"], name)
                texts.append(text)
        if t["kind"] == "no_tool":
            assert not t["expected"]["plan"]
        elif t["kind"] == "error":
            assert isinstance(last, ValueError), t["id"]
        elif t["check"] == "number":
            value = len(last) if isinstance(last, list) else last
            assert scorer.check_answer(t, G.fmt(value)), t["id"]
        else:
            assert any(scorer.text_matches(text, t["answer"]) for text in texts), t["id"]


def test_no_tool_questions_differ_between_splits():
    questions = {s: {q for q, _, _ in G.GENERAL[s]} for s in G.GENERAL}
    assert not questions["train"] & questions["validation"]
    assert not questions["train"] & questions["test"]
    assert not questions["validation"] & questions["test"]


def test_adapter_corpus_names_no_validation_or_test_tool():
    import make_traces

    held = _tool_names(specs.SPLITS["validation"]) | _tool_names(specs.SPLITS["test"])
    rng = random.Random(1)
    for _ in range(300):
        trace = make_traces.domain_trace(rng)
        text = trace["system"] + trace["question"] + "".join(s for s, _ in trace["segments"])
        assert trace["domain"] in specs.SPLITS["train"]
        assert not any(name in text for name in held)


def test_compound_traces_use_train_shapes_and_name_no_validation_or_test_tool():
    import compound
    import make_traces

    held = _tool_names(specs.SPLITS["validation"]) | _tool_names(specs.SPLITS["test"]) | {"evaluate_expression"}
    train_patterns = {f"compound_{shape.name}" for shape in compound.TRAIN_SHAPES}
    rng = random.Random(2)
    for _ in range(40):
        trace = make_traces.compound_trace(rng)
        text = trace["system"] + trace["question"] + "".join(s for s, _ in trace["segments"])
        assert trace["pattern"] in train_patterns
        assert not any(name in text for name in held)
        written = "".join(piece for piece, trained in trace["segments"] if trained)
        assert written.count("Action: ") == 1  # one call with the whole expression


@pytest.mark.parametrize("split", ["validation", "test"])
def test_followups_are_generated_and_reexecuted(split):
    lines = [json.loads(line) for line in open(TASKS / "data" / f"followups_{split}.jsonl") if line.strip()]
    assert lines == G.generate_followups(split, G.FOLLOWUPS[split])
    for conv in lines:
        assert len(conv["questions"]) == 2 and conv["domain"] in specs.SPLITS[split]
        funcs = {}
        for path in conv["tools"]:
            mod = G.module(path)
            funcs.update({n: getattr(mod, n) for n in mod.__all__})
        results = [G.fmt(funcs[n](**a)) for step in conv["expected"]["plan"] for n, a in step]
        assert results == [r for step in conv["expected"]["results"] for r in step]
        if conv["check"] == "number":
            assert G.fmt(conv["answer"]) == results[-1]
        else:
            assert conv["answer"] in results[-1]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_questions_are_unique_within_a_split(split):
    questions = [t["question"] for t in _tasks(split)]
    assert len(questions) == len(set(questions))
