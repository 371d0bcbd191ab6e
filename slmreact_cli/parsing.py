"""Model text to structure. Nothing here raises on bad text: it returns a value that says what failed.

- `parse_reply`: a reasoning turn to its Thought, Action lines and Answer.
- `parse_calls`: function-calling output to a list of {"name", "arguments"}, with tolerant repairs
  for small-model slips (code fences, tool-call tags, doubled braces, single quotes, trailing
  prose, one object instead of a list, arguments nested under "function" or given as a string).
- `parse_tool_calls`: a reply in the chat template's own format, zero or more `<tool_call>` blocks.
- `parse_action`: an Action written as a Python-style call, `name(arg=value)`, or `name: text`.
Model text is only parsed (JSON, or Python syntax trees whose leaves must be literals), never run.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

import json_repair

_MARKER = re.compile(r"^\s*(Thought|Action|Answer|Observation|PAUSE|Final Answer)\b\s*:?", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Reply:
    thought: str
    actions: tuple[str, ...]
    answer: str | None


def parse_reply(text: str) -> Reply:
    """Split a reasoning turn into labelled sections. Unlabelled leading text counts as thought."""
    text = text or ""
    marks = list(_MARKER.finditer(text))
    thought_parts, actions, answer = [], [], None
    lead = text[: marks[0].start()] if marks else text
    if lead.strip():
        thought_parts.append(lead.strip())
    for i, m in enumerate(marks):
        label = m.group(1).lower()
        body = text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
        if label == "thought" and body:
            thought_parts.append(body)
        elif label == "action" and body:
            actions.append(body)
        elif label in ("answer", "final answer") and answer is None:
            answer = body
        elif label == "observation":
            break  # the model started inventing results: ignore everything after
    return Reply(thought="\n".join(thought_parts), actions=tuple(actions), answer=answer)


@dataclass
class ParsedCalls:
    calls: list[dict] | None  # None when nothing could be parsed
    repairs: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.calls is not None


_ONE_OBJECT = "one object instead of a list"  # a repair in the JSON-list format, the norm in a <tool_call> block
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*(.*?)\s*```", re.DOTALL)
_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def _first_json_span(text: str) -> str | None:
    """The first balanced [...] or {...} span, ignoring brackets inside strings."""
    start = next((i for i, c in enumerate(text) if c in "[{"), None)
    if start is None:
        return None
    depth, in_string, escape = 0, False, False
    for i in range(start, len(text)):
        c = text[i]
        if in_string:
            if escape:
                escape = False
            elif c == "\\":
                escape = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return text[start: i + 1]
    return text[start:]


def _normalize_call(item: Any, repairs: list[str]) -> dict | str:
    """One call in any of the common shapes to {"name", "arguments"}; a string explains a failure."""
    if not isinstance(item, dict):
        return f"a call must be an object, got {type(item).__name__}"
    if isinstance(item.get("function"), dict):
        item = {**item["function"], **{k: v for k, v in item.items() if k not in ("function", "type", "id")}}
        repairs.append("call nested under 'function'")
    name = next((item[k] for k in ("name", "tool", "tool_name", "function") if isinstance(item.get(k), str)), None)
    if not name:
        return "a call has no 'name'"
    args_key = next((k for k in ("arguments", "parameters", "args", "input") if k in item), None)
    if args_key is None:
        args = {k: v for k, v in item.items() if k not in ("name", "tool", "tool_name", "function", "type", "id")}
        if args:
            repairs.append("arguments given at the top level")
    else:
        args = item[args_key]
        if args_key != "arguments":
            repairs.append(f"arguments under {args_key!r}")
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            args = json_repair.loads(args)
        repairs.append("arguments given as a JSON string")
    if args is None or args == "":
        args = {}
    if not isinstance(args, dict):
        return f"the arguments of {name} must be an object"
    return {"name": name, "arguments": args}


def _normalize_calls(value: Any, repairs: list[str]) -> ParsedCalls:
    if isinstance(value, dict):
        for key in ("tool_calls", "calls"):
            if isinstance(value.get(key), list):
                value = value[key]
                repairs.append(f"calls wrapped in {key!r}")
                break
        else:
            value = [value]
            repairs.append(_ONE_OBJECT)
    if not isinstance(value, list):
        return ParsedCalls(None, repairs, f"expected a JSON list of calls, got {type(value).__name__}")
    calls = []
    for item in value:
        call = _normalize_call(item, repairs)
        if isinstance(call, str):
            return ParsedCalls(None, repairs, call)
        calls.append(call)
    return ParsedCalls(calls, repairs)


def _loads(text: str, repairs: list[str]) -> Any:
    """JSON from model text, repaired where it can be; "" where nothing parses. Nesting past the
    parsers' depth limits (RecursionError, or json_repair's ValueError) counts as nothing parsed."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if "{{" in text:
        undoubled = text.replace("{{", "{").replace("}}", "}")
        try:
            value = json.loads(undoubled)
            repairs.append("doubled braces")
            return value
        except (ValueError, RecursionError):
            text = undoubled
    try:
        value = json_repair.loads(text)
    except (ValueError, RecursionError):
        return ""
    if value not in ("", None):
        repairs.append("JSON repaired (quotes, commas or brackets)")
    return value


def parse_calls(text: str, tool_params: dict[str, list[str]] | None = None) -> ParsedCalls:
    """Parse function-calling output. `tool_params` (name to parameter names) enables Python-style calls."""
    repairs: list[str] = []
    raw = (text or "").strip()
    if not raw:
        return ParsedCalls(None, repairs, "empty output")
    tagged = _TOOL_CALL_TAG.findall(raw)
    if tagged:
        values = []
        for block in tagged:
            span = _first_json_span(block)
            if span is None:
                continue
            value = _loads(span, repairs)
            values.extend(value if isinstance(value, list) else [value])
        return _normalize_calls(values, repairs)
    fenced = _FENCE.search(raw)
    if fenced:
        raw = fenced.group(1).strip()
        repairs.append("code fence removed")
    span = _first_json_span(raw)
    if span is not None and raw.lstrip()[:1] in "[{":
        if span != raw.strip():
            repairs.append("text around the JSON ignored")
        value = _loads(span, repairs)
        if value not in ("", None):
            return _normalize_calls(value, repairs)
    if tool_params is not None:
        calls = parse_action(raw, tool_params)
        if calls:
            repairs.append("Python-style call")
            return ParsedCalls(calls, repairs)
    if span is not None:
        value = _loads(span, repairs)
        if value not in ("", None):
            repairs.append("text around the JSON ignored")
            return _normalize_calls(value, repairs)
    return ParsedCalls(None, repairs, "no JSON list of calls found")


def parse_tool_calls(text: str, tool_params: dict[str, list[str]] | None = None) -> ParsedCalls:
    """A reply in the chat template's own format: zero or more `<tool_call>` blocks, each one call
    (read as `parse_calls` reads it). A reply without a block is no call, unless it is a call that
    only lacks its tags; a block that holds no call is an error."""
    raw = text or ""
    blocks = _TOOL_CALL_TAG.findall(raw)
    if not blocks:
        untagged = parse_calls(raw, tool_params) if "{" in raw else None
        if untagged is not None and untagged.ok and untagged.calls:
            return ParsedCalls(untagged.calls, ["tool-call tags missing"]
                               + [r for r in untagged.repairs if r != _ONE_OBJECT])
        return ParsedCalls([])
    calls: list[dict] = []
    repairs: list[str] = []
    for block in blocks:
        parsed = parse_calls(block, tool_params)
        repairs += [r for r in parsed.repairs if r != _ONE_OBJECT]
        if not parsed.ok:
            return ParsedCalls(None, repairs, f"a <tool_call> block holds no call ({parsed.error})")
        calls += parsed.calls
    return ParsedCalls(calls, repairs)


def call_argument(node: ast.AST) -> Any:
    """The value of a literal syntax node (numbers, strings, lists, dicts, True/False/None). A bare
    word, as in `get_mass(Mars)`, is the text the model meant to quote."""
    if isinstance(node, ast.Name) and node.id not in ("True", "False", "None"):
        return node.id
    return ast.literal_eval(node)


def _argument(node: ast.AST, tool_params: dict[str, list[str]]) -> Any:
    """A literal, or a call of a known tool given as the value (`f(x=g(y=1))`): that inner call is
    kept as its text, which the loop runs first and replaces with its result (see guards/nesting.py)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in tool_params:
        return ast.unparse(node)
    return call_argument(node)


def _python_call(node: ast.AST, tool_params: dict[str, list[str]]) -> dict | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in tool_params):
        return None
    name, params = node.func.id, tool_params[node.func.id]
    if len(node.args) > len(params):
        return None
    try:
        args = {params[i]: _argument(a, tool_params) for i, a in enumerate(node.args)}
        for kw in node.keywords:
            if kw.arg is None:
                return None
            args[kw.arg] = _argument(kw.value, tool_params)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return {"name": name, "arguments": args}


_SHORTHAND = re.compile(r"^\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*:\s*(.+?)\s*$", re.DOTALL)


def parse_action(text: str, tool_params: dict[str, list[str]]) -> list[dict] | None:
    """Calls written in an Action: `name(a=1)` (one or more, by line or `;`), or `name: text` for a
    tool with exactly one parameter. None if the text is not entirely such calls."""
    text = (text or "").strip().strip("`").strip()
    if not text:
        return None
    try:
        tree = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        tree = None
    if tree is not None and tree.body:
        calls = []
        for stmt in tree.body:
            call = _python_call(stmt.value, tool_params) if isinstance(stmt, ast.Expr) else None
            if call is None:
                break
            calls.append(call)
        else:
            return calls
    m = _SHORTHAND.match(text)
    if m and m.group(1) in tool_params and len(tool_params[m.group(1)]) == 1:
        value = m.group(2).strip().strip("\"'")
        return [{"name": m.group(1), "arguments": {tool_params[m.group(1)][0]: value}}]
    return None
