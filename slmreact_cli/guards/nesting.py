"""Tool calls given as an argument's value, e.g. convert(value=get_mass(planet="Mars"), unit="kg").

Small models often compose calls this way. Rather than fail, the inner calls (each with literal
arguments only) run first and their results replace them, and the outer tool receives the result.
Only an argument that the Action wrote as a call is run (the parser keeps it as the call's text,
marked as a WrittenCall); a quoted string is text, even one that reads like a call, so
echo(text="delete_file('notes.txt')") echoes the text and deletes nothing. Nothing is evaluated:
the call's text is parsed into a syntax tree, inner calls of known tools are swapped for constants,
and the tree is written back as text.

Running the inner calls is the loop's work (loop/steps.py hands `substitute` the function that runs
one call); this module only reads, marks and rewrites the calls' text.
"""
from __future__ import annotations

import ast
from typing import Callable

from ..parsing import call_argument


class InnerCallFailed(Exception):
    pass


class WrittenCall(str):
    """An argument that the Action gave as a tool call, `f(x=g(y=1))`, kept as that call's text until
    it has run. Any other string, quoted in the Action or from the calling step, is plain text."""


def mark_written_calls(action: str, calls: list[dict], tool_params: dict[str, list[str]]) -> list[dict]:
    """The calls that parsing.parse_action read from `action`, with each argument that the Action
    wrote as a call (rather than as a quoted string) marked as a WrittenCall."""
    try:
        tree = ast.parse(action.strip().strip("`").strip(), mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return calls  # the `name: text` form, whose argument is text
    written = [node.value for node in tree.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    if len(written) != len(tree.body) or len(written) != len(calls):
        return calls
    return [{**call, "arguments": _marked(call["arguments"], _call_valued(node, tool_params.get(call["name"], [])))}
            for node, call in zip(written, calls)]


def _call_valued(node: ast.Call, params: list[str]) -> set[str]:
    """The parameters that a call gives another call as their value."""
    named = {params[i]: arg for i, arg in enumerate(node.args) if i < len(params)}
    named.update({kw.arg: kw.value for kw in node.keywords if kw.arg})
    return {param for param, value in named.items() if isinstance(value, ast.Call)}


def _marked(arguments: dict, keys: set[str]) -> dict:
    return {k: WrittenCall(v) if k in keys and isinstance(v, str) else v for k, v in arguments.items()}


def find_nested(arguments: dict, tool_names: set[str]) -> dict[str, ast.Expression]:
    """Arguments written as a call (WrittenCall) that parse as expressions containing a call of a known tool."""
    found = {}
    for key, value in arguments.items():
        if not isinstance(value, WrittenCall):
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
    try:
        replaced = Replace().visit(tree)
        if alone and isinstance(replaced.body, ast.Constant):
            return str(replaced.body.value)  # the argument was the inner call itself: its result, unquoted
        return ast.unparse(replaced)
    except (RecursionError, MemoryError):
        raise InnerCallFailed("the nested calls are too deeply nested to run; make the calls one at a time") from None


def whole_call(tree: ast.Expression, tool_names) -> bool:
    """The argument is one tool call and nothing else, e.g. expression="weekday('2000-01-01')"."""
    body = tree.body
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in tool_names


def only_wraps(nested: dict[str, ast.Expression], properties: dict, tool_names) -> bool:
    """Every nested argument is a text argument that is one inner call alone,
    calculate(expression=weekday(...)): where the outer tool then fails on the inner result, the
    wrapper was a slip of form. A typed argument given as a call, convert(value=get_mass(...)), is
    a composition, not a slip. `properties`: the outer tool's parameter schemas, by name."""
    return all(whole_call(tree, tool_names) and properties.get(key, {}).get("type") == "string"
               for key, tree in nested.items())
