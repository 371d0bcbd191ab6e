"""The tool registry: import `--tools` modules, build schemas, validate arguments, run calls.

A module exports its `__all__`, or else the public functions defined in it. Schemas come from
type hints and Google-style docstrings through `transformers.utils.get_json_schema`; a function
it rejects is skipped with a warning that says what to add. Arguments are validated and coerced
by a pydantic model built from the signature. Calls run in a separate worker process (see
`worker.py`), so a tool that hangs, exits or crashes the interpreter never ends the session.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import ConfigDict, ValidationError, create_model

from .errors import ToolLoadError
from .paths import bundled

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_CHARS = 4000


@dataclass(frozen=True)
class ModuleRef:
    """How to import a tool module again in the worker: a file path or a dotted name."""

    spec: str
    module_name: str
    is_path: bool


@dataclass
class Tool:
    name: str
    description: str
    parameters: dict  # JSON schema of the arguments object
    func: Callable[..., Any]
    module: ModuleRef
    validator: Any = field(repr=False, default=None)

    @property
    def schema(self) -> dict:
        """The OpenAI-style function schema, as chat templates expect."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}

    def signature_line(self) -> str:
        """`name(arg: type, ...)`: a compact description for the reasoning prompt."""
        props = self.parameters.get("properties", {})
        required = set(self.parameters.get("required", []))
        args = []
        for arg, spec in props.items():
            text = f"{arg}: {_type_name(spec)}"
            args.append(text if arg in required else text + " = optional")
        return f"{self.name}({', '.join(args)})"

    def validate(self, arguments: Any) -> dict:
        """Coerced arguments, or raise ValueError with a message the model can act on."""
        if not isinstance(arguments, dict):
            raise ValueError(f"arguments for {self.name} must be an object, got {type(arguments).__name__}")
        try:
            model = self.validator.model_validate(arguments)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "arguments"
                msg = "unknown argument" if err["type"] == "extra_forbidden" else err["msg"]
                problems.append(f"{loc}: {msg}")
            expected = ", ".join(self.parameters.get("properties", {}))
            raise ValueError(f"invalid arguments for {self.name}: {'; '.join(problems)} "
                             f"(expected: {expected})") from None
        return {k: v for k, v in model.model_dump().items() if k in arguments or v is not None}


def _type_name(spec: dict) -> str:
    if "enum" in spec:
        return " | ".join(json.dumps(v) for v in spec["enum"])
    kind = spec.get("type", "any")
    if isinstance(kind, list):
        return " | ".join(kind)
    if kind == "array" and "items" in spec:
        return f"list[{_type_name(spec['items'])}]"
    return {"integer": "int", "number": "float", "string": "str", "boolean": "bool", "object": "dict",
            "array": "list"}.get(kind, kind)


@dataclass
class Skipped:
    module: str
    name: str
    reason: str


@dataclass
class Registry:
    tools: dict[str, Tool] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    modules: list[ModuleRef] = field(default_factory=list)

    def names(self) -> list[str]:
        return list(self.tools)

    def get(self, name: str) -> Tool | None:
        return self.tools.get(name)

    def schemas(self) -> list[dict]:
        return [t.schema for t in self.tools.values()]

    def fingerprint(self) -> str:
        """Identifies the tool set, e.g. to cache a compiled grammar."""
        return hashlib.sha256(json.dumps(self.schemas(), sort_keys=True).encode()).hexdigest()[:16]


def _import(spec: str) -> tuple[Any, ModuleRef]:
    path = Path(spec).expanduser()
    looks_like_path = spec.endswith(".py") or "/" in spec or path.exists()
    if looks_like_path:
        if not path.is_file():
            raise ToolLoadError(f"tools file not found: {spec}")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
        module_name = f"slmreact_user_tools_{path.stem}_{digest}"
        ref = ModuleRef(str(path.resolve()), module_name, True)
    else:
        ref = ModuleRef(spec, spec, False)
    try:
        return import_module(ref), ref
    except SyntaxError as exc:
        raise ToolLoadError(f"tools module {spec}: syntax error at line {exc.lineno}: {exc.msg}") from None
    except ModuleNotFoundError as exc:
        if not looks_like_path and exc.name and spec.startswith(exc.name):
            raise ToolLoadError(f"tools module not found: {spec} (give a .py path or an importable module)") from None
        raise ToolLoadError(f"tools module {spec}: cannot import {exc.name!r}: {exc}") from None
    except Exception as exc:  # anything the module's top level raises
        raise ToolLoadError(f"tools module {spec} failed to import: {type(exc).__name__}: {exc}") from None


def import_module(ref: ModuleRef):
    """Import a tool module (used by the registry and again by the worker)."""
    if not ref.is_path:
        return importlib.import_module(ref.spec)
    if ref.module_name in sys.modules:
        return sys.modules[ref.module_name]
    spec = importlib.util.spec_from_file_location(ref.module_name, ref.spec)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {ref.spec}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[ref.module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(ref.module_name, None)
        raise
    return module


def exported_functions(module) -> list[tuple[str, Any]]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return [(n, getattr(module, n, None)) for n in names]
    return [(n, f) for n, f in vars(module).items()
            if not n.startswith("_") and inspect.isfunction(f) and f.__module__ == module.__name__]


def _validator(name: str, func: Callable) -> Any:
    fields = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (param.annotation, default)
    return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


def build_tool(name: str, func: Any, ref: ModuleRef) -> Tool | Skipped:
    from transformers.utils import get_json_schema

    if not callable(func):
        return Skipped(ref.spec, name, "listed in __all__ but not a function")
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        return Skipped(ref.spec, name, "generator functions are not supported: return a list or a string instead")
    try:
        schema = get_json_schema(func)["function"]
    except Exception as exc:
        reason = str(exc).replace(f"Cannot generate JSON schema for {getattr(func, '__name__', name)} because ", "")
        return Skipped(ref.spec, name, f"{reason.rstrip('!')}; add type hints and a Google-style docstring "
                                       "with an Args: section")
    try:
        validator = _validator(name, func)
    except Exception as exc:
        return Skipped(ref.spec, name, f"cannot build an argument validator: {exc}")
    params = schema.get("parameters") or {"type": "object", "properties": {}}
    return Tool(name=name, description=schema.get("description", "").strip(), parameters=params,
                func=func, module=ref, validator=validator)


def default_tool_specs() -> list[str]:
    return [str(p) for p in sorted(bundled("tools").glob("*.py")) if not p.name.startswith("_")]


def load_registry(specs: list[str] | None) -> Registry:
    """Import every module and collect its tools; clashes and empty modules are errors."""
    registry = Registry()
    owners: dict[str, str] = {}
    for spec in specs or default_tool_specs():
        module, ref = _import(spec)
        registry.modules.append(ref)
        found = 0
        for name, func in exported_functions(module):
            built = build_tool(name, func, ref)
            if isinstance(built, Skipped):
                registry.skipped.append(built)
                continue
            if name in owners:
                raise ToolLoadError(f"tool name clash: {name!r} is defined in both {owners[name]} and {spec}")
            owners[name] = spec
            registry.tools[name] = built
            found += 1
        if not found:
            skipped = [f"{s.name}: {s.reason}" for s in registry.skipped if s.module == ref.spec]
            reasons = "; ".join(skipped[:3]) + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
            raise ToolLoadError(f"tools module {spec} has no usable functions"
                                + (f" ({reasons})" if reasons else " (define public functions with type hints "
                                   "and docstrings)"))
    return registry
