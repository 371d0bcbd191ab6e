"""An MCP tool's `inputSchema`: the form the prompts and the calling grammar take, and argument checks.

The prompts, `calls_schema` and code mode read `properties` and `required` of a plain object
schema, and the grammar nests each tool's schema inside a larger one, where a `$ref` to the tool's
own `$defs` would point nowhere. So `tool_parameters` inlines local references (a recursive one
becomes "any value" past a few levels) and drops `title` keywords, which only add noise.
Arguments are checked against the server's schema itself with `jsonschema`. As for Python tools,
a number or a truth value written as text ("3", "true") is taken as one, and an argument the schema
does not list is refused unless the schema allows extra ones.
"""
from __future__ import annotations

import json
from typing import Any

_MAX_DEPTH = 8  # levels of reference inlining before a recursive schema stops being described
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")


def _resolve(ref: str, root: dict) -> dict | None:
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def _inline(schema: Any, root: dict, depth: int) -> Any:
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = _resolve(schema["$ref"], root) if depth < _MAX_DEPTH else None
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if target is None:
            return _inline(siblings, root, depth)  # any value of the siblings' kind
        return {**_inline(target, root, depth + 1), **_inline(siblings, root, depth)}
    out = {}
    for key, value in schema.items():
        if key in ("title", "$defs", "definitions", "$schema", "$id"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _inline(spec, root, depth) for name, spec in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_inline(spec, root, depth) for spec in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            out[key] = _inline(value, root, depth)
        else:
            out[key] = value
    return out


def tool_parameters(input_schema: Any) -> dict:
    """The arguments schema that the prompts and the grammar use: an object schema without
    references or titles."""
    if not isinstance(input_schema, dict):
        return {"type": "object", "properties": {}}
    parameters = _inline(input_schema, input_schema, 0)
    parameters["type"] = "object"
    if not isinstance(parameters.get("properties"), dict):
        parameters["properties"] = {}
    return parameters


def _as_scalar(value: str, kind: Any) -> Any:
    """A number or truth value written as text, read as its type; otherwise the text itself."""
    kinds = kind if isinstance(kind, list) else [kind]
    text = value.strip()
    if "string" in kinds:
        return value
    if "integer" in kinds:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in kinds:
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


class ArgumentChecker:
    """Checks a call's arguments against an MCP tool's input schema with `jsonschema`."""

    def __init__(self, tool_name: str, input_schema: Any):
        from jsonschema import validators

        self.tool_name = tool_name
        self.schema = input_schema if isinstance(input_schema, dict) else {"type": "object"}
        cls = validators.validator_for(self.schema)
        cls.check_schema(self.schema)  # SchemaError for a schema that is not one
        self.validator = cls(self.schema)
        properties = self.schema.get("properties")
        self.properties: dict = properties if isinstance(properties, dict) else {}
        self.closed = self.schema.get("additionalProperties") in (None, False) and bool(self.properties)

    def check(self, arguments: Any) -> dict:
        """The arguments, numbers written as text read as numbers; or ValueError with a message the
        model can act on."""
        if not isinstance(arguments, dict):
            raise ValueError(f"arguments for {self.tool_name} must be an object, got {type(arguments).__name__}")
        checked = {}
        for name, value in arguments.items():
            spec = self.properties.get(name)
            if isinstance(value, str) and isinstance(spec, dict) and "type" in spec:
                value = _as_scalar(value, spec["type"])
            checked[name] = value
        problems = [f"{name}: unknown argument" for name in checked if self.closed and name not in self.properties]
        for error in sorted(self.validator.iter_errors(checked), key=lambda e: list(map(str, e.absolute_path))):
            where = ".".join(str(p) for p in error.absolute_path) or "arguments"
            problems.append(f"{where}: {error.message}")
        if problems:
            expected = ", ".join(self.properties) or "no arguments"
            raise ValueError(f"invalid arguments for {self.tool_name}: {'; '.join(problems)} (expected: {expected})")
        return checked


def schema_problem(input_schema: Any) -> str | None:
    """Why an input schema cannot be used, or None."""
    from jsonschema import SchemaError

    try:
        ArgumentChecker("tool", input_schema)
    except SchemaError as exc:
        return f"its inputSchema is not a valid JSON schema: {exc.message}"
    except Exception as exc:  # a $schema dialect or reference jsonschema cannot handle
        return f"its inputSchema cannot be used: {type(exc).__name__}: {exc}"
    try:
        json.dumps(input_schema)
    except (TypeError, ValueError) as exc:
        return f"its inputSchema is not JSON: {exc}"
    return None
