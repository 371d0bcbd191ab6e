"""What a program may not do, found before any of it runs, each with one line the model can act on.

Checking the whole tree first means a refused program makes no tool call at all, rather than
half of its calls before it reaches the refused line.
"""
from __future__ import annotations

import ast

from .values import MATH_NAMES

# Names that are refused wherever they appear, with why.
FORBIDDEN_NAMES = {
    "open": "open is not available: programs cannot read or write files",
    "eval": "eval is not available: write the code itself",
    "exec": "exec is not available: write the code itself",
    "compile": "compile is not available: write the code itself",
    "__import__": "imports are not available: the tools are already defined as functions",
    "input": "input is not available: the program runs without a user; use the values of the question",
    "globals": "globals is not available", "locals": "locals is not available", "vars": "vars is not available",
    "getattr": "getattr is not available: write obj.name or d['key']",
    "setattr": "setattr is not available", "delattr": "delattr is not available",
    "dir": "dir is not available", "type": "type is not available: use isinstance(x, int)",
    "breakpoint": "breakpoint is not available", "help": "help is not available",
    "exit": "exit is not available: the program ends by itself", "quit": "quit is not available: the program ends by itself",
    "memoryview": "memoryview is not available", "object": "object is not available",
    "super": "super is not available", "classmethod": "classmethod is not available",
    "staticmethod": "staticmethod is not available", "property": "property is not available",
}

_STATEMENTS = {
    ast.While: "while loops are not available: use a for loop over range(...) or a list",
    ast.ClassDef: "class is not available: use dicts and lists",
    ast.Try: "try is not available: an error ends the program and comes back as the Observation",
    ast.With: "with is not available: programs cannot open files or resources",
    ast.AsyncWith: "async with is not available",
    ast.AsyncFor: "async for is not available",
    ast.AsyncFunctionDef: "async def is not available",
    ast.Await: "await is not available",
    ast.Global: "global is not available: assign variables at the top level",
    ast.Nonlocal: "nonlocal is not available",
    ast.Delete: "del is not available: assign a new value instead",
    ast.Raise: "raise is not available: print the problem instead",
    ast.Yield: "yield is not available: build a list instead",
    ast.YieldFrom: "yield is not available: build a list instead",
    ast.Match: "match is not available: use if and elif",
}
if hasattr(ast, "TryStar"):
    _STATEMENTS[ast.TryStar] = _STATEMENTS[ast.Try]


def _import_refusal(node: ast.Import | ast.ImportFrom, tools: set[str]) -> str | None:
    """`import math`, `from math import sqrt` and imports of the tools themselves are allowed (the
    names exist already, so they change nothing); any other import is refused."""
    if isinstance(node, ast.Import):
        other = [a.name for a in node.names if a.name != "math"]
        if not other:
            return None
        if other[0] in tools:
            return (f"import {other[0]} is not needed: {other[0]} is a tool, already defined as a function; call it "
                    f"directly, e.g. {other[0]}(...) with its arguments")
        return (f"import {other[0]} is not available: only math can be imported, and the tools are already "
                "defined as functions")
    names = [a.name for a in node.names]
    if node.module == "math" and all(n in MATH_NAMES for n in names):
        return None
    if node.module != "math" and all(n in tools for n in names):
        return None
    return (f"from {node.module or '.'} import {', '.join(names)} is not available: only math can be imported, "
            "and the tools are already defined as functions")


def _bound_names(node: ast.AST) -> list[str]:
    """The names a node binds: assignment and loop targets, parameters, function names, import aliases."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return [node.id]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.FunctionDef):
        return [node.name]
    if isinstance(node, ast.alias):
        return [(node.asname or node.name).split(".")[0]]
    return []


def refusal(tree: ast.AST, tools: set[str]) -> str | None:
    """The first refused construct (by line) as "line N: why", or None when the program may run."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        reason = None
        if type(node) in _STATEMENTS:
            reason = _STATEMENTS[type(node)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            reason = _import_refusal(node, tools)
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            reason = f"the attribute {node.attr} is not available: names that start with _ are internal"
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            reason = FORBIDDEN_NAMES[node.id]
        elif isinstance(node, ast.Name) and node.id.startswith("__"):
            reason = f"the name {node.id} is not available: names that start with __ are internal"
        elif isinstance(node, ast.FunctionDef) and node.decorator_list:
            reason = "decorators are not available"
        if reason is None:
            shadowed = [n for n in _bound_names(node) if n in tools]
            if shadowed and isinstance(node, ast.FunctionDef):
                reason = (f"def {shadowed[0]} would replace the tool {shadowed[0]}: call the tool, do not define it "
                          "again")
            elif shadowed and not isinstance(node, ast.alias):
                reason = f"{shadowed[0]} is a tool: call it, do not assign to it"
        if reason is not None:
            found.append((getattr(node, "lineno", 0), reason))
    if not found:
        return None
    line, reason = min(found, key=lambda item: item[0])
    return f"line {line}: {reason}" if line else reason
