"""Code mode's prompt: the tools as Python function signatures, and the Thought / Action / Answer
protocol with the Action as a ```python block. Like the react prompt, it is a pure function of the
registry, so the engine's prefix cache serves it from the second question on.
"""
from __future__ import annotations

import inspect

from ..prompts import example_tools, with_user_rules
from ..tools import Registry, Tool

CODE_RULES = """\
You answer the user's question. You work in steps of Thought, Action and Observation, and you finish with an Answer.

Thought: what the question asks, what the observations already tell you, and what is still missing.
Action: a short Python program in a ```python block. It calls the tools below as Python functions and prints what you need.
Observation: what the program printed. It is given to you; never write it yourself.
Answer: the final answer in one sentence, once the observations answer the whole question.

Rules:
- The tools are Python functions that already exist: call them, never define or import them again.
- Do every calculation in the program and print the result; never compute in your head. The math functions (sqrt, log, exp, sin, ...) and pi are available.
- One program can call several tools and combine their results. It prints the final result the question asks for, not only the facts it looked up.
- Never call round(): print values as they are.
- If no tool or calculation is needed (general knowledge, a greeting), write the Answer right away.
- If a tool returns an error and no listed tool can give that information, answer that the information is not available.
- Available builtins: print, len, min, max, sum, abs, sorted, range, int, float, str, list, dict, enumerate, zip. No other imports, no files, no while loops, no classes."""

TURN_PREFIX = "Thought:"
# After two steps that only ran a program already run, the next turn is started as the answer.
STUCK_PREFIX = "Thought: Running the program again will not add anything new, so I answer with what the observations show.\nAnswer:"
CODE_FENCE = "```python\n"

_TYPES = {"integer": "int", "number": "float", "string": "str", "boolean": "bool", "array": "list", "object": "dict"}


def _annotation(spec: dict) -> str:
    kind = spec.get("type")
    if "enum" in spec:
        return "str"
    if isinstance(kind, list):
        return " | ".join(_TYPES.get(k, "Any") for k in kind)
    return _TYPES.get(kind, "Any")


def _returns(tool: Tool) -> str:
    try:
        annotation = inspect.signature(tool.func).return_annotation
    except (TypeError, ValueError):
        return ""
    if annotation is inspect.Signature.empty:
        return ""
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return f" -> {name}" if name else ""


def python_signature(tool: Tool) -> str:
    """`def name(a: str, b: float = None) -> float:` with the description and arguments as its docstring."""
    props = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    params = [f"{arg}: {_annotation(spec)}" + ("" if arg in required else " = None") for arg, spec in props.items()]
    lines = [f"def {tool.name}({', '.join(params)}){_returns(tool)}:", f'    """{" ".join(tool.description.split())}']
    for arg, spec in props.items():
        detail = " ".join(spec.get("description", "").split())
        if "enum" in spec:
            detail = f"{detail} One of: {', '.join(map(str, spec['enum']))}.".strip()
        if detail:
            lines.append(f"    {arg}: {detail}")
    lines.append('    """')
    return "\n".join(lines)


_STAND_IN_TEXT = '"..."'


def example_call(tool: Tool) -> str:
    """A call of a real tool with stand-ins for its values: `"..."` for text, `...` otherwise. Small
    models copy the example's names, so they must exist; a copied stand-in is refused when it runs."""
    props = tool.parameters.get("properties", {})
    required = tool.parameters.get("required", list(props))
    args = ", ".join(f"{a}={_STAND_IN_TEXT if props[a].get('type') == 'string' else '...'}"
                     for a in required if a in props)
    return f"{tool.name}({args})"


def code_system_prompt(registry: Registry, user_rules: str = "") -> str:
    tools = "\n\n".join(python_signature(t) for t in registry.tools.values())
    example = ""
    listed = example_tools(registry)
    if listed:
        first, second = listed[0], listed[min(1, len(listed) - 1)]
        example = f"""

A question that is only arithmetic: the program computes it.
Question: How long is the hypotenuse of a right triangle with sides 5 and 12?
Thought: The hypotenuse is the square root of the sum of the squares.
Action:
```python
hypotenuse = math.sqrt(5 ** 2 + 12 ** 2)
print(hypotenuse)
```
Observation: 13.0
Thought: 13.0 is what the question asks for.
Answer: The hypotenuse is 13.0.

A question that needs tools (the values here are placeholders): one program calls them and computes the result.
Question: ...
Thought: I need two facts from the tools, then a result computed from them.
Action:
```python
a = {example_call(first)}
b = {example_call(second)}
print(a * b)
```
Observation: 30.0
Thought: 30.0 is what the question asks for.
Answer: The answer is 30.0."""
    return f"""{with_user_rules(CODE_RULES, user_rules)}

Tools:
```python
{tools}
```{example}"""
