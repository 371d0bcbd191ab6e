"""The function-calling step: an Action to validated JSON calls.

First, an Action that already is a well-formed call of a known tool (`name(arg=value)`) is taken as
is. Otherwise the model is asked, with the adapter on, to write the calls, in one of two formats
(the profile's `calling_format`): "json", a JSON list of calls after a prompt of its own
(`JsonListCalls`), or "template", the chat template's own `<tool_call>` blocks
(template_calls.py). Its decoder is constrained to the tools' schemas where the engine supports
it, so the output is valid by construction. Unconstrained output goes through the tolerant parser;
if it still fails, one retry shows the model its error. Both formats give the same calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..guards.nesting import find_nested, mark_written_calls
from ..models.base import Engine, Sampling, Usage
from ..parsing import ParsedCalls, parse_action, parse_calls
from ..prompts import calling_system_prompt, calling_user_message
from ..settings import CALLING_FORMATS
from ..tools import Registry
from .template_calls import TemplateCalls


def calls_schema(registry: Registry, max_calls: int = 4) -> dict:
    """JSON schema of a list of calls: each a known tool name with arguments matching its schema."""
    variants = []
    for tool in registry.tools.values():
        variants.append({
            "type": "object",
            "properties": {"name": {"const": tool.name}, "arguments": strict_schema(tool.parameters)},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        })
    return {"type": "array", "items": {"anyOf": variants}, "maxItems": max_calls}


def strict_schema(schema: dict) -> dict:
    """Standard JSON schema from get_json_schema's output: `nullable` becomes a union with null,
    and objects with listed properties accept no others."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k not in ("nullable", "description")}
    if "properties" in out:
        out["properties"] = {k: strict_schema(v) for k, v in out["properties"].items()}
        out.setdefault("additionalProperties", False)
    if isinstance(out.get("items"), dict):
        out["items"] = strict_schema(out["items"])
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = strict_schema(out["additionalProperties"])
    if schema.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass
class CallingResult:
    calls: list[dict]
    source: str  # "action" or "calling-step"
    repairs: list[str] = field(default_factory=list)
    retried: bool = False
    error: str | None = None  # set when no valid calls could be produced
    turns: list[tuple[list[dict], str, Usage, bool]] = field(default_factory=list)  # (messages, raw, usage, constrained)


class CallRequest(Protocol):
    """One calling format: the messages for an Action, the model's reply, and the reply read as calls."""

    retry_note: str  # the retry's instruction, after the error

    @property
    def constrained(self) -> bool: ...

    def messages(self, question: str, observations: list[str], action: str) -> list[dict]: ...

    def reply(self, messages: list[dict]) -> tuple[str, Usage]: ...

    def parse(self, text: str, tool_params: dict[str, list[str]]) -> ParsedCalls: ...


class JsonListCalls:
    """The request in the "json" format: a system prompt of its own with the tools' schemas, and a
    JSON list of calls decoded under the grammar of the whole list."""

    retry_note = "Reply with the corrected JSON list only."

    def __init__(self, engine: Engine, registry: Registry, list_grammar: Any, max_new_tokens: int):
        self.engine = engine
        self.grammar = list_grammar
        self.max_new_tokens = max_new_tokens
        self.system = {"role": "system", "content": calling_system_prompt(registry)}

    @property
    def constrained(self) -> bool:
        return self.grammar is not None

    def messages(self, question: str, observations: list[str], action: str) -> list[dict]:
        return [self.system, calling_user_message(question, observations, action)]

    def parse(self, text: str, tool_params: dict[str, list[str]]) -> ParsedCalls:
        return parse_calls(text, tool_params)

    def reply(self, messages: list[dict]) -> tuple[str, Usage]:
        gen = self.engine.generate(messages, role="calling", max_new_tokens=self.max_new_tokens,
                                   sampling=Sampling(), grammar=self.grammar)
        return gen.text, gen.usage


class CallingStep:
    def __init__(self, engine: Engine, registry: Registry, *, constrained: bool = True,
                 use_action_calls: bool = True, max_new_tokens: int = 256, calling_format: str = "json"):
        if calling_format not in CALLING_FORMATS:
            raise ValueError(f"unknown calling_format {calling_format!r} (valid: {', '.join(CALLING_FORMATS)})")
        self.engine = engine
        self.registry = registry
        self.use_action_calls = use_action_calls
        self.max_new_tokens = max_new_tokens
        self.tool_params = {n: list(t.parameters.get("properties", {})) for n, t in registry.tools.items()}
        self.grammar = self.single_call_grammar = None
        if constrained and engine.supports_grammar and registry.tools:
            schema = calls_schema(registry)
            if calling_format == "json":
                self.grammar = engine.compile_grammar(schema)
            self.single_call_grammar = engine.compile_grammar(schema["items"])
        self.request: CallRequest = (
            TemplateCalls(engine, registry, self.single_call_grammar, max_new_tokens) if calling_format == "template"
            else JsonListCalls(engine, registry, self.grammar, max_new_tokens))

    def validation_errors(self, calls: list[dict]) -> list[str]:
        errors = []
        for call in calls:
            tool = self.registry.get(call["name"])
            if tool is None:
                errors.append(f"unknown tool {call['name']!r} (valid: {', '.join(self.registry.names())})")
                continue
            try:
                tool.validate(call["arguments"])
            except ValueError as exc:
                errors.append(str(exc))
        return errors

    def from_action_text(self, actions: list[str]) -> list[dict] | None:
        """Calls written directly in the Action lines, if every line is a valid call."""
        calls: list[dict] = []
        for action in actions:
            parsed = parse_action(action, self.tool_params)
            if not parsed:
                return None
            calls.extend(mark_written_calls(action, parsed, self.tool_params))
        # a call with another call as an argument value is checked once that inner call has run
        checked = [c for c in calls if not find_nested(c["arguments"], set(self.tool_params))]
        return calls if calls and not self.validation_errors(checked) else None

    def run(self, question: str, observations: list[str], actions: list[str]) -> CallingResult:
        if self.use_action_calls:
            direct = self.from_action_text(actions)
            if direct is not None:
                return CallingResult(direct, "action")
        messages = self.request.messages(question, observations, "\n".join(actions))
        result = CallingResult([], "calling-step")
        parsed, error = self._ask(messages, result)
        if error is not None:
            result.retried = True
            retry = messages + [{"role": "assistant", "content": result.turns[-1][1]},
                                {"role": "user", "content": f"That reply is not valid: {error}. "
                                                            f"{self.request.retry_note}"}]
            parsed, error = self._ask(retry, result)
        result.error = error
        if error is None:
            result.calls = parsed.calls
        return result

    def _ask(self, messages: list[dict], result: CallingResult) -> tuple[ParsedCalls, str | None]:
        text, usage = self.request.reply(messages)
        result.turns.append((messages, text, usage, self.request.constrained))
        parsed = self.request.parse(text, self.tool_params)
        result.repairs.extend(parsed.repairs)
        if not parsed.ok:
            return parsed, parsed.error
        unique = [c for i, c in enumerate(parsed.calls) if c not in parsed.calls[:i]]
        if len(unique) < len(parsed.calls):
            parsed.calls = unique
            result.repairs.append("repeated calls removed")
        if usage.stop_reason == "length" and parsed.calls and self.validation_errors(parsed.calls[-1:]):
            parsed.calls = parsed.calls[:-1]  # the output was cut off inside its last call
            result.repairs.append("cut-off last call dropped")
        errors = self.validation_errors(parsed.calls)
        return parsed, "; ".join(errors) if errors else None
