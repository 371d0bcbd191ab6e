"""A safe calculator: arithmetic parsed into a syntax tree and walked, never passed to eval()."""
import ast
import math
import operator
import re

__all__ = ["calculate"]

_OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.USub: operator.neg, ast.UAdd: operator.pos,
}
_FUNCTIONS = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log10": math.log10, "sin": math.sin,
    "cos": math.cos, "tan": math.tan, "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil,
    "min": min, "max": max,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_MAX_EXPONENT = 10_000
# 2026-11-26 parses as a subtraction (1989); a date or a time of day in an expression is a slip.
_DATE_OR_TIME = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}:\d{2}\b")


def _walk(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _walk(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_walk(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _walk(node.left), _walk(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError(f"exponent {right} is too large")
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        if node.keywords:
            raise ValueError(f"{node.func.id}() takes positional arguments only")
        return _FUNCTIONS[node.func.id](*(_walk(arg) for arg in node.args))
    if isinstance(node, ast.Name):
        raise ValueError(f"unknown name {node.id!r}; allowed functions: {', '.join(_FUNCTIONS)}; constants: pi, e")
    raise ValueError(f"unsupported expression element: {type(node).__name__}")


def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression, e.g. "(3 + 4) * 2.5" or "sqrt(2) / 3".

    Args:
        expression: Numbers with + - * / // % and ** (or ^ for powers), parentheses, the constants pi and e, and the functions sqrt, exp, log, log10, sin, cos, tan, abs, round, floor, ceil, min, max.
    """
    text = expression.strip().replace("^", "**").replace("×", "*").replace("÷", "/")
    if not text:
        raise ValueError("the expression is empty")
    date = _DATE_OR_TIME.search(text)
    if date:
        raise ValueError(f"{date.group(0)!r} is a date or a time, not a number; use a date tool for dates")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(f"cannot parse {expression!r} as arithmetic") from None
    try:
        return float(_walk(tree))  # float() of a huge integer overflows too, e.g. 10**400
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except OverflowError:
        raise ValueError("the result is too large") from None
