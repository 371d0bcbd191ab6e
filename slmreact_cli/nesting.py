"""Tool calls nested inside a string argument, e.g. calculate(expression="get_x('a') * 2").

Small models often compose calls this way. Rather than fail, the inner calls (each with literal
arguments only) run first and their results replace them in the text, which the outer tool
then receives. Nothing is evaluated: the text is parsed into a syntax tree, inner calls of known
tools are swapped for constants, and the tree is written back as text.
"""
from __future__ import annotations

import ast
from typing import Callable

from .parsing import call_argument


class InnerCallFailed(Exception):
    pass


def find_nested(arguments: dict, tool_names: set[str]) -> dict[str, ast.Expression]:
    """String arguments that parse as expressions containing a call of a known tool."""
    found = {}
    for key, value in arguments.items():
        if not isinstance(value, str) or not any(f"{n}(" in value for n in tool_names):
            continue
        try:
            tree = ast.parse(value.strip(), mode="eval")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in tool_names
               for n in ast.walk(tree)):
            found[key] = tree
    return found


def _constant(text: str) -> ast.Constant:
    try:
        number = float(text)
        return ast.Constant(int(number) if number.is_integer() and abs(number) < 1e15 else number)
    except ValueError:
        return ast.Constant(text)


def substitute(tree: ast.Expression, tool_params: dict[str, list[str]],
               run: Callable[[str, dict], tuple[bool, str]]) -> str:
    """Run inner calls (innermost first) through `run` and return the rewritten expression text."""

    class Replace(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call):
            self.generic_visit(node)
            if not (isinstance(node.func, ast.Name) and node.func.id in tool_params):
                return node
            params = tool_params[node.func.id]
            try:
                args = {params[i]: call_argument(a) for i, a in enumerate(node.args)}
                args.update({kw.arg: call_argument(kw.value) for kw in node.keywords if kw.arg})
            except (ValueError, IndexError, TypeError, SyntaxError):
                raise InnerCallFailed(f"cannot read the arguments of the inner call {ast.unparse(node)}") from None
            ok, text = run(node.func.id, args)
            if not ok:
                raise InnerCallFailed(text)
            return _constant(text)

    alone = whole_call(tree, tool_params)
    replaced = Replace().visit(tree)
    if alone and isinstance(replaced.body, ast.Constant):
        return str(replaced.body.value)  # the argument was the inner call itself: its result, unquoted
    return ast.unparse(replaced)


def whole_call(tree: ast.Expression, tool_names) -> bool:
    """The argument is one tool call and nothing else, e.g. expression="weekday('2000-01-01')"."""
    body = tree.body
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in tool_names
