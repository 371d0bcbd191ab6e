"""An arithmetic-expression tool for the compound questions (bench/tasks/compound.py): loaded beside a
domain module, it lets one call do what the domain's arithmetic tools do in several.

The arithmetic is the shipped calculator's (tools/calculator.py: a syntax-tree walk, never eval),
loaded from its file, since a tool module is imported by path and the repository's tools are no
package; only the name, the docstring and the rounding are this tool's own.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["evaluate_expression"]

_spec = importlib.util.spec_from_file_location(
    "_shipped_calculator", Path(__file__).resolve().parents[2] / "tools" / "calculator.py")
_calculator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_calculator)


def evaluate_expression(expression: str) -> float:
    """Work out an arithmetic expression in one go.

    Args:
        expression: Numbers with + - * / ** %, parentheses and sqrt(), abs(), round(), e.g. "(14 + 6) * 3".
    """
    return round(_calculator.calculate(expression), 6)
