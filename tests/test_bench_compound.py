"""The compound-arithmetic questions (bench/tasks/compound.py): train and validation shapes never meet,
and each validation answer is what the expression tool returns for the expression of its plan."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench" / "tasks"))

import compound as C  # noqa: E402
from expression import evaluate_expression  # noqa: E402


def test_train_and_validation_shapes_share_no_expression_and_no_question_template():
    train, validation = C.TRAIN_SHAPES, C.VALIDATION_SHAPES
    assert not {s.expression for s in train} & {s.expression for s in validation}
    assert not {q for s in train for q in s.questions} & {q for s in validation for q in s.questions}
    assert not {s.name for s in train} & {s.name for s in validation}


def test_the_task_file_is_the_generators_output_and_its_answers_come_from_the_tool():
    lines = [json.loads(line) for line in open(ROOT / "bench" / "tasks" / "data" / "compound_validation.jsonl")]
    assert lines == C.validation_tasks()
    for task in lines:
        (name, args), = task["expected"]["plan"][0]
        assert name == "evaluate_expression"
        assert task["answer"] == pytest.approx(evaluate_expression(**args))
        assert all((ROOT / path).exists() for path in task["tools"])


def test_every_train_shape_gives_a_question_without_format_fields_and_a_computable_expression():
    rng = random.Random(3)
    for shape in C.TRAIN_SHAPES:
        question, expression, meaning = C.instance(shape, rng)
        assert "{" not in question + expression + meaning
        assert isinstance(evaluate_expression(expression), float)


@pytest.mark.parametrize("text", ["__import__('os')", "10 ** 400", "(99**64)**64", "1 / 0", "x + 1", ""])
def test_the_expression_tool_refuses_what_is_not_small_arithmetic(text):
    with pytest.raises(ValueError):
        evaluate_expression(text)
