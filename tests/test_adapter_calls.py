"""The calling-step corpus (bench/adapter/make_calls.py) and its evaluation (calls_eval.py), no model.

The corpus must use the train domains only, every target must be a valid call list for its tools,
and each example's request must be the one the calling step really sends for that Action: checked
by running `CallingStep.run` with a scripted engine that answers with the target.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench" / "adapter"))
sys.path.insert(0, str(ROOT / "bench" / "tasks"))

import calls_eval  # noqa: E402
import generate as G  # noqa: E402
import make_calls  # noqa: E402
import specs  # noqa: E402

from slmreact_cli.loop.calling import CallingStep  # noqa: E402
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply  # noqa: E402

N = 400


@pytest.fixture(scope="module")
def corpus():
    return make_calls.CallsCorpus("train", seed=0, train_tools_share=0.1)


@pytest.fixture(scope="module")
def examples(corpus):
    return list(corpus.examples(N))


@pytest.fixture(scope="module")
def records(corpus, examples):
    return [e.record(corpus.sets.registry(e.tool_order)) for e in examples]


def _names(keys) -> set[str]:
    return {name for key in keys for name in G.module(G.domain_path(key)).__all__}


def test_corpus_uses_train_domains_only(examples, records):
    allowed = {G.domain_path(k) for k in specs.SPLITS["train"]} | {G.ARITH, make_calls.TRAIN_TOOLS}
    held_out = _names(specs.SPLITS["validation"]) | _names(specs.SPLITS["test"])
    for example, record in zip(examples, records):
        assert example.split == "train"
        assert example.domain in specs.SPLITS["train"] or example.domain == "train_tools"
        assert set(example.modules) <= allowed
        text = json.dumps(record["messages"]) + record["target"]
        assert not [name for name in held_out if name in text], example.action


def test_held_out_splits_make_no_corpus():
    with pytest.raises(ValueError, match="not 'test'"):
        make_calls.split_modules("test")


def test_every_target_validates_against_its_tools(corpus, examples, records):
    for example, record in zip(examples, records):
        registry = corpus.sets.registry(example.tool_order)
        assert json.loads(record["target"]) == example.calls
        for call in example.calls:
            tool = registry.get(call["name"])
            assert tool is not None, call
            tool.validate(call["arguments"])  # the validation the tool worker runs; raises on a bad call
            assert list(call["arguments"]) == [k for k in tool.parameters["properties"] if k in call["arguments"]]


def test_every_case_is_covered(examples):
    features = Counter(f for e in examples for f in e.features)
    for feature in ["one_call", "parallel", "enum", "optional", "nested", "list_arg", "indirect", "dependent",
                    "no_fit"]:
        assert features[feature] >= 5, (feature, features)
    empty = [e for e in examples if not e.calls]
    assert 0.08 * N <= len(empty) <= 0.3 * N
    assert all(e.features == ["no_fit"] for e in empty)
    assert {e.kind for e in empty} >= {"no_tool"}  # general knowledge, beside Actions no tool fits
    assert Counter(e.source for e in examples)["train_tools"] >= 0.05 * N


def test_a_list_argument_stays_one_call(examples):
    listed = [e for e in examples if "list_arg" in e.features]
    assert listed
    for example in listed:
        sums = [c for c in example.calls if c["name"] == "add_values"]
        assert len(sums) == 1 and len(sums[0]["arguments"]["values"]) >= 2


def test_dependent_actions_expect_only_the_calls_known_now(examples):
    dependent = [e for e in examples if "dependent" in e.features]
    assert dependent
    for example in dependent:
        assert ", then " in example.action
        assert len(example.calls) >= 1


def test_messages_are_what_the_calling_step_sends(corpus, examples, records):
    """The real calling step, given the Action, asks the model with exactly the recorded messages,
    and reads the target back as the expected calls: the Action never passes the direct-call shortcut."""
    for example, record in list(zip(examples, records))[:150]:
        engine = ScriptedEngine(replies=[ScriptedReply(record["target"], role="calling")])
        step = CallingStep(engine, corpus.sets.registry(example.tool_order))
        result = step.run(example.question, example.observations, example.actions)
        assert engine.unused() == []
        assert [c.role for c in engine.calls] == ["calling"]
        assert engine.calls[0].messages == record["messages"]
        assert result.source == "calling-step"
        assert result.error is None and not result.retried
        assert result.calls == example.calls


def test_records_are_what_tokenize_traces_reads(records):
    for record in records[:20]:
        assert record["segments"] == [[record["target"], True]]
        assert [m["role"] for m in record["messages"]] == ["system", "user"]


def test_tokenize_traces_trains_on_the_target_only(records):
    """With the model's own chat template: the text is the request's prompt, the target and the end
    of the turn, and the trained spans cover exactly the target and that token."""
    tt = pytest.importorskip("tokenize_traces")
    from slmreact_cli.models.templates import ChatTemplate

    try:
        gguf = tt.gguf_path("qwen2.5-coder-0.5b")
    except Exception as exc:  # the embedded model is not installed here
        pytest.skip(f"no embedded GGUF: {exc}")
    template = ChatTemplate.from_gguf(gguf)
    for record in records[:5]:
        text, spans = tt.rendered(template, record)
        prompt = template.render(record["messages"])
        assert text == prompt + record["target"] + tt.END_OF_TURN
        assert "".join(text[a:b] for a, b in spans) == record["target"] + tt.END_OF_TURN


def test_the_corpus_is_deterministic(examples):
    again = list(make_calls.CallsCorpus("train", seed=0, train_tools_share=0.1).examples(30))
    assert again == examples[:30]


# ---- calls_eval.py ----

@pytest.fixture(scope="module")
def held_out():
    corpus = make_calls.CallsCorpus("validation", seed=0, shuffle_tools=False, fixed_distractor=True)
    return corpus, list(corpus.examples(40))


def test_evaluation_requests_come_from_validation_domains(held_out):
    corpus, examples = held_out
    for example in examples:
        assert example.domain in specs.SPLITS["validation"]
        # a session's order: the domain, its fixed distractor, the arithmetic tools
        assert example.modules == [G.domain_path(example.domain),
                                   G.domain_path(G.partner_domain("validation", example.domain)), G.ARITH]
        assert example.tool_order == [n for m in example.modules for n in corpus.sets.names_of[m]]


def test_evaluate_scores_the_calling_steps_reply(held_out):
    corpus, examples = held_out
    parallel = next(e for e in examples if "parallel" in e.features)
    empty = next(e for e in examples if not e.calls)

    def run(example, reply):
        engine = ScriptedEngine(replies=[ScriptedReply(reply, role="calling")])
        return calls_eval.evaluate(CallingStep(engine, corpus.sets.registry(example.tool_order)), example)

    swapped = json.dumps(list(reversed(parallel.calls)))  # independent calls in another order
    row = run(parallel, swapped)
    assert row["exact"] and row["well_formed"] and row["error"] is None
    row = run(parallel, json.dumps(parallel.calls[:1]))
    assert not row["exact"]
    row = run(empty, "[]")
    assert row["exact"] and row["got"] == []
    lines = calls_eval.summary([row, run(parallel, "[]")])
    assert "[] where expected 1/1 (100%)" in lines
    assert "[] where not      1/1 (100%)" in lines


def test_same_calls_ignores_order_and_whole_floats():
    a = [{"name": "f", "arguments": {"x": 30.0}}, {"name": "g", "arguments": {"y": "A"}}]
    b = [{"name": "g", "arguments": {"y": "A"}}, {"name": "f", "arguments": {"x": 30}}]
    assert calls_eval.same_calls(a, b)
    assert not calls_eval.same_calls(a, b[:1])
    assert not calls_eval.same_calls(a, [b[0], {"name": "f", "arguments": {"x": 31}}])


def test_calls_eval_reports_a_bad_model_in_one_line():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "adapter" / "calls_eval.py"), "--model",
                           "no-such-model", "--n", "1"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: unknown model 'no-such-model'")
    assert "Traceback" not in proc.stderr
