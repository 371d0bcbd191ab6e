"""The tool registry: load `--tools` modules, build schemas, validate arguments.

A module exports its `__all__`, or else the public functions defined in it. Schemas come from
type hints and Google-style docstrings through `transformers.utils.get_json_schema`; a function
it rejects is skipped with a warning that says what to add.

User modules never run in this process: a short-lived worker process (see `worker.py`) imports
them, builds the schemas and sends them back, so a module that prints, hangs or ends its process
at import cannot corrupt the output or end the program. Arguments are checked here against the
schema (with a pydantic model built from it) and again in the worker against the function's own
signature, which turns text into dates and the like. Calls run in the worker too.
"""
from __future__ import annotations

import datetime
import hashlib
import importlib
import importlib.util
import inspect
import json
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Union

from pydantic import ConfigDict, ValidationError, create_model

from .errors import ToolLoadError
from .paths import bundled

DEFAULT_MAX_CHARS = 4000
DEFAULT_MEMORY_MB = 4096  # the worker's memory limit; 0: none
IMPORT_TIMEOUT = 120.0  # for importing the tool modules and building their schemas


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
    module: ModuleRef
    defaults: dict = field(default_factory=dict)  # the parameters' default values that JSON can carry
    validator: Any = field(repr=False, default=None)

    def __post_init__(self) -> None:
        if self.validator is None:
            self.validator = schema_validator(self.name, self.parameters, self.defaults)

    @property
    def func(self) -> Callable[..., Any]:
        """The function itself, imported into this process on first use. The agent never needs it
        (its calls run in the worker); it is there for using a registry from Python."""
        return getattr(import_module(self.module), self.name)

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
        model = checked_arguments(self.name, self.validator, arguments, list(self.parameters.get("properties", {})))
        return {k: v for k, v in model.model_dump().items() if k in arguments or v is not None}


def checked_arguments(name: str, validator: Any, arguments: dict, expected: list[str]) -> Any:
    """`arguments` validated by a pydantic model, or ValueError with a message the model can act on."""
    try:
        return validator.model_validate(arguments)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "arguments"
            msg = "unknown argument" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{loc}: {msg}")
        raise ValueError(f"invalid arguments for {name}: {'; '.join(problems)} "
                         f"(expected: {', '.join(expected)})") from None
    except Exception as exc:  # a type pydantic cannot check
        raise ValueError(f"cannot check the arguments for {name}: {type(exc).__name__}: {exc}") from None


_JSON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "null": type(None)}


def schema_annotation(spec: dict) -> Any:
    """The Python type that accepts what a JSON schema (as get_json_schema writes it) describes."""
    if "enum" in spec:
        annotation = Literal[tuple(spec["enum"])]
    elif isinstance(spec.get("type"), list):
        annotation = Union[tuple(schema_annotation({"type": kind}) for kind in spec["type"])]
    elif spec.get("type") == "array":
        annotation = list[schema_annotation(spec["items"])] if isinstance(spec.get("items"), dict) else list
    elif spec.get("type") == "object":
        values = spec.get("additionalProperties")
        annotation = dict[str, schema_annotation(values)] if isinstance(values, dict) else dict
    else:
        annotation = _JSON_TYPES.get(spec.get("type"), Any)
    return Optional[annotation] if spec.get("nullable") else annotation


def schema_validator(name: str, parameters: dict, defaults: dict) -> Any:
    """A pydantic model of the arguments built from their JSON schema, so that arguments can be
    checked and coerced without importing the tool's module."""
    required = set(parameters.get("required", []))
    fields = {arg: (schema_annotation(spec), ... if arg in required else defaults.get(arg))
              for arg, spec in parameters.get("properties", {}).items()}
    return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


def _type_name(spec: dict) -> str:
    if "enum" in spec:
        return " | ".join(json.dumps(v) for v in spec["enum"])
    if "const" in spec:
        return json.dumps(spec["const"])
    choices = spec.get("anyOf") or spec.get("oneOf")  # MCP tools' schemas write Optional[int] this way
    if isinstance(choices, list) and all(isinstance(c, dict) for c in choices):
        return " | ".join(dict.fromkeys(_type_name(c) for c in choices))
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

    def exports(self) -> list[tuple[ModuleRef, list[str]]]:
        """Each module with the names of its tools: what the worker takes from it, and nothing else."""
        return [(ref, [t.name for t in self.tools.values() if t.module == ref]) for ref in self.modules]


def _looks_like_path(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or Path(spec).expanduser().exists()


def module_ref(spec: str) -> ModuleRef:
    """Where a `--tools` entry is imported from; a missing file is reported before any process starts."""
    if not _looks_like_path(spec):
        return ModuleRef(spec, spec, False)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ToolLoadError(f"tools file not found: {spec}")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return ModuleRef(str(path.resolve()), f"slmreact_user_tools_{path.stem}_{digest}", True)


def import_error_message(spec: str, ref: ModuleRef, exc: BaseException) -> str:
    """One line for a module whose import failed."""
    if isinstance(exc, SyntaxError):
        return f"tools module {spec}: syntax error at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, ModuleNotFoundError):
        if not ref.is_path and exc.name and ref.spec.startswith(exc.name):
            return f"tools module not found: {spec} (give a .py path or an importable module)"
        return f"tools module {spec}: cannot import {exc.name!r}: {exc}"
    return f"tools module {spec} failed to import: {type(exc).__name__}: {exc}"


def import_module(ref: ModuleRef):
    """Import a tool module (in the worker; in this process only through `Tool.func`)."""
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


def signature_validator(name: str, func: Callable) -> Any:
    """A pydantic model of the function's own parameters. Type hints are resolved first, so hints
    written as text (`from __future__ import annotations`) check as the types they name."""
    hints = typing.get_type_hints(func)
    fields = {}
    for param in inspect.signature(func).parameters.values():
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints.get(param.name, Any), default)
    return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


def _var_parameters(signature: inspect.Signature) -> list[str]:
    return [("*" if p.kind is p.VAR_POSITIONAL else "**") + p.name for p in signature.parameters.values()
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


_TEXT_WRITTEN_TYPES = (datetime.date, datetime.time)  # datetime.datetime is a date


def _dates_as_text(parameters: dict, hints: dict) -> dict:
    """get_json_schema describes a date or time as an object; the model writes it as text (ISO 8601),
    which the worker's check turns into the date."""
    for arg, spec in parameters.get("properties", {}).items():
        hint = hints.get(arg)
        if any(isinstance(t, type) and issubclass(t, _TEXT_WRITTEN_TYPES) for t in (typing.get_args(hint) or (hint,))):
            spec["type"] = "string"
    return parameters


def _json_defaults(signature: inspect.Signature) -> dict:
    defaults = {}
    for param in signature.parameters.values():
        if param.default is param.empty:
            continue
        try:
            json.dumps(param.default)
        except (TypeError, ValueError):
            continue  # left to the function itself
        defaults[param.name] = param.default
    return defaults


def build_tool(name: str, func: Any, ref: ModuleRef) -> Tool | Skipped:
    if not callable(func):
        return Skipped(ref.spec, name, "listed in __all__ but not a function")
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        return Skipped(ref.spec, name, "generator functions are not supported: return a list or a string instead")
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        return Skipped(ref.spec, name, f"its signature cannot be read: {exc}")
    variadic = _var_parameters(signature)
    if variadic:
        return Skipped(ref.spec, name, f"{' and '.join(variadic)} cannot be given as named arguments; "
                                       "give each argument its own name and type hint")
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        return Skipped(ref.spec, name, f"its type hints cannot be resolved ({type(exc).__name__}: {exc})")
    from transformers.utils import get_json_schema  # a second of imports, paid only for a function to describe

    try:
        schema = get_json_schema(func)["function"]
    except Exception as exc:
        reason = str(exc).replace(f"Cannot generate JSON schema for {getattr(func, '__name__', name)} because ", "")
        return Skipped(ref.spec, name, f"{reason.rstrip('!')}; add type hints and a Google-style docstring "
                                       "with an Args: section")
    params = _dates_as_text(schema.get("parameters") or {"type": "object", "properties": {}}, hints)
    try:
        signature_validator(name, func)  # what the worker checks each call with
        return Tool(name=name, description=schema.get("description", "").strip(), parameters=params,
                    module=ref, defaults=_json_defaults(signature))
    except Exception as exc:
        return Skipped(ref.spec, name, f"cannot build an argument validator: {exc}")


def describe_module(spec: str, ref: ModuleRef) -> tuple[str | None, list]:
    """Import one module and describe its tools (this runs in the worker): an error line, or None
    and, per exported name, a Skipped or the fields of a Tool as plain data."""
    try:
        module = import_module(ref)
    except BaseException as exc:  # SystemExit at import too
        return import_error_message(spec, ref, exc), []
    entries: list = []
    for name, func in exported_functions(module):
        built = build_tool(name, func, ref)
        if isinstance(built, Tool):
            built = {"name": built.name, "description": built.description, "parameters": built.parameters,
                     "defaults": built.defaults}
        entries.append(built)
    return None, entries


def default_tool_specs() -> list[str]:
    return [str(p) for p in sorted(bundled("tools").glob("*.py")) if not p.name.startswith("_")]
