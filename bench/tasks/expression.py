"""An arithmetic-expression tool for the compound questions (bench/tasks/compound.py): loaded beside a
domain module, it lets one call do what the domain's arithmetic tools do in several."""
from __future__ import annotations

import ast
import math
import operator

__all__ = ["evaluate_expression"]

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow, ast.Mod: operator.mod}
_FUNCTIONS = {"sqrt": math.sqrt, "abs": abs, "round": round}


def value(expression: str) -> float:
    """The value of numbers joined by + - * / ** % with parentheses and sqrt/abs/round; ValueError else."""
    try:
        tree = ast.parse(str(expression).replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None

    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                raise ValueError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
                and not node.keywords):
            return _FUNCTIONS[node.func.id](*[walk(a) for a in node.args])
        raise ValueError(f"only numbers, + - * / ** %, parentheses and sqrt/abs/round: {expression!r}")

    try:
        return walk(tree.body)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except OverflowError:
        raise ValueError(f"the result is too large: {expression!r}") from None


def evaluate_expression(expression: str) -> float:
    """Work out an arithmetic expression in one go.

    Args:
        expression: Numbers with + - * / ** %, parentheses and sqrt(), abs(), round(), e.g. "(14 + 6) * 3".
    """
    result = value(expression)
    try:
        return round(float(result), 6)
    except OverflowError:
        raise ValueError(f"the result is too large: {expression!r}") from None
