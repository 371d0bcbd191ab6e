"""Arithmetic questions that one calculator expression answers: "the average of 14, 38 and 61",
"the sum of 12 and 7, times 4".

The minimal plan is a single call of an expression tool with the whole computation in it; a model
that computes the parts one call at a time answers right in two or three steps where one does. The
shapes are split like the tool domains: the *train* shapes feed the reasoning adapter's corpus
(bench/adapter/make_traces.py), the *validation* shapes are a task file for choosing between
adapters (bench/tasks/data/compound_validation.jsonl), and no shape is in both. Each shape has its
own wordings; the expression is written once and the answer comes from running it.

Usage: python bench/tasks/compound.py   # writes bench/tasks/data/compound_validation.jsonl
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from expression import evaluate_expression

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Shape:
    """One kind of compound computation: wordings of the question (format fields a, b, c, n, p), the
    expression that answers it, and what the thought says the expression computes."""
    name: str
    questions: tuple[str, ...]
    expression: str
    meaning: str
    numbers: Callable[[random.Random], dict]


def _ab(r):
    return {"a": r.randint(12, 99), "b": r.randint(2, 60), "c": r.randint(2, 30)}


def _square_and_number(r):
    a = r.randint(11, 60)
    return {"a": a, "b": r.randint(5, a * a - 1)}


def _three(r):
    return {"a": r.randint(10, 400), "b": r.randint(10, 400), "c": r.randint(10, 400)}


def _percent(r):
    return {"a": r.randint(40, 2000), "b": r.randint(20, 900), "p": r.choice([5, 8, 12, 15, 20, 25, 35, 40])}


def _legs(r):
    return {"a": r.randint(3, 90), "b": r.randint(3, 90)}


def _power(r):
    return {"a": r.randint(2, 15), "n": r.randint(3, 5), "b": r.randint(1, 500)}


TRAIN_SHAPES = (
    Shape("sum_times", ("What is the sum of {a} and {b}, multiplied by {c}?", "Add {a} and {b}, then multiply by {c}.",
                        "What do you get if you multiply {a} plus {b} by {c}?"),
          "({a} + {b}) * {c}", "{a} plus {b}, times {c}", _ab),
    Shape("difference_over", ("What is the difference between {a} and {b}, divided by {c}?",
                              "Subtract {b} from {a} and divide the result by {c}."),
          "({a} - {b}) / {c}", "{a} minus {b}, divided by {c}", _ab),
    Shape("average3", ("What is the average of {a}, {b} and {c}?", "What is the mean of {a}, {b} and {c}?"),
          "({a} + {b} + {c}) / 3", "the mean of the three numbers", _three),
    Shape("hypotenuse", ("What is the square root of the sum of {a} squared and {b} squared?",
                         "How long is the hypotenuse of a right triangle with legs {a} and {b}?"),
          "sqrt({a}**2 + {b}**2)", "the square root of {a}² plus {b}²", _legs),
    Shape("root_of_square_plus", ("What is the square root of {a}^2 plus {b}?",
                                  "Take the square root of {a} squared plus {b}."),
          "sqrt({a}**2 + {b})", "the square root of {a}² plus {b}", _square_and_number),
    Shape("power_minus", ("What is {a} to the power of {n}, minus {b}?", "What is {a}^{n} - {b}?"),
          "{a}**{n} - {b}", "{a} to the {n}th power minus {b}", _power),
    Shape("increase", ("What is {a} increased by {p}%?", "If {a} grows by {p} percent, what does it become?"),
          "{a} * (1 + {p} / 100)", "{a} plus {p}% of it", _percent),
    Shape("squares_sum", ("What is the sum of the squares of {a} and {b}?", "What is {a}^2 + {b}^2?"),
          "{a}**2 + {b}**2", "{a}² plus {b}²", _legs),
    Shape("triangle_area", ("What is the area of a triangle with base {a} and height {b}?",
                            "What is half the product of {a} and {b}?"),
          "{a} * {b} / 2", "half of {a} times {b}", _legs),
    Shape("percent_change", ("By what percentage does a value change from {b} to {a}?",
                             "What is the percent change from {b} to {a}?"),
          "({a} - {b}) / {b} * 100", "the change from {b} to {a} as a percentage of {b}", _percent),
)

VALIDATION_SHAPES = (
    Shape("squares_over", ("What is {a} squared plus {b} squared, divided by {c}?",),
          "({a}**2 + {b}**2) / {c}", "", _ab),
    Shape("percent_of_sum", ("What is {p}% of the sum of {a} and {b}?",), "({a} + {b}) * {p} / 100", "", _percent),
    Shape("cube_of_difference", ("What is the cube of the difference between {a} and {b}?",),
          "({a} - {b})**3", "", _legs),
    Shape("product_minus_sum", ("What is the product of {a} and {b}, minus their sum?",),
          "{a} * {b} - ({a} + {b})", "", _legs),
    Shape("decrease", ("What is {a} decreased by {p}%?",), "{a} * (1 - {p} / 100)", "", _percent),
    Shape("root_of_product", ("What is the square root of the product of {a} and {b}?",),
          "sqrt({a} * {b})", "", _legs),
)

def instance(shape: Shape, rng: random.Random) -> tuple[str, str, str]:
    """(question, expression, meaning) with fresh numbers."""
    nums = shape.numbers(rng)
    return (rng.choice(shape.questions).format(**nums), shape.expression.format(**nums),
            shape.meaning.format(**nums))


def validation_tasks(per_shape: int = 2, seed: int = 0) -> list[dict]:
    """Tasks over validation shapes with an expression tool and a validation domain as distractor, in
    the task format of bench/tasks/data/*.jsonl (kind "compound", one call at minimum)."""
    rng = random.Random(seed)
    tasks = []
    for shape in VALIDATION_SHAPES:
        for i in range(per_shape):
            question, expression, _ = instance(shape, rng)
            answer = evaluate_expression(expression)
            tasks.append({"id": f"compound_{shape.name}_{i + 1}", "question": question, "kind": "compound",
                          "domain": "arithmetic", "split": "validation", "features": ["one_expression"],
                          "min_steps": 1, "min_calls": 1,
                          "tools": ["bench/tasks/expression.py", "bench/tasks/domains/ice_rinks.py",
                                    "bench/tasks/arith.py"],
                          "answer": answer, "check": "number",
                          "expected": {"answer": answer, "plan": [[["evaluate_expression", {"expression": expression}]]]},
                          "tolerance": 0.01, "abs_tol": 0.006})
    return tasks


def main() -> None:
    path = HERE / "data" / "compound_validation.jsonl"
    with open(path, "w") as fh:
        for task in validation_tasks():
            fh.write(json.dumps(task, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
