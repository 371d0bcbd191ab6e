"""Model profiles: shipped `configs/*.toml`, plus `[profiles.NAME]` tables in the user's config.toml.

A profile names an engine, a model source, an optional LoRA adapter and generation defaults.
Unknown keys and wrong types are errors that list what is valid. Types are strict: `redraws =
true` is an error, not 1, and a string is never read as a number (an integer is a valid float). `--model` takes a profile name
or a path (a Hugging Face folder or a .gguf file). A key the loop also has takes its default from
`settings.AgentSettings`, so each default is written once.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .guards import GUARDS, unknown_guards
from .models.base import Role, Sampling
from .models.hub import is_hub_id
from .paths import bundled, config_dir
from .settings import AgentSettings
from .tools import DEFAULT_MEMORY_MB

DEFAULT_PROFILE = "qwen2.5-coder-1.5b"
EMBEDDED_PREFIX = "embedded:"


class Generation(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    temperature: float = Field(Sampling.temperature, ge=0.0)
    top_p: float = Field(Sampling.top_p, gt=0.0, le=1.0)
    top_k: int = Field(Sampling.top_k, ge=0)
    max_new_tokens: int = Field(AgentSettings.max_new_tokens, gt=0)
    seed: int | None = Sampling.seed


class ServerSettings(BaseModel):
    """Where an `openai` engine profile sends its requests (see docs/scale-out.md)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: str
    model: str  # the served model used with the adapter off (reasoning)
    adapter_model: str | None = None  # the model or LoRA module used with the adapter on (calling step)
    body: dict = Field(default_factory=dict)  # extra request fields for every request
    base_body: dict = Field(default_factory=dict)  # extra fields with the adapter off
    adapter_body: dict = Field(default_factory=dict)  # extra fields with the adapter on (llama.cpp: lora scales)
    api: Literal["chat", "completions"] = "chat"
    template: str | None = None  # api = "completions": a profile name, .gguf or .jinja with the chat template
    prefill_body: dict = Field(default_factory=dict)  # api = "chat": fields that make a final assistant
    # message continue (vLLM: continue_final_message = true, add_generation_prompt = false)
    grammar: Literal["none", "json_schema", "response_format", "gbnf"] = "none"
    shared_prompt_cache: bool = False  # one prompt cache for both adapter states: disable it on switches
    server_stop: bool = False  # also send stop strings to the server (they are always matched here)
    stream_usage: bool = True  # ask for usage figures in the stream (stream_options.include_usage)
    api_key_env: str = "SLMREACT_API_KEY"
    api_key: str | None = None  # prefer the environment variable; never logged
    timeout: float = Field(120.0, gt=0)
    max_retries: int = Field(2, ge=0)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    description: str = ""
    # "auto": llama.cpp for GGUF sources where llama-cpp-python is installed, else transformers.
    engine: Literal["auto", "transformers", "llama.cpp", "unsloth", "openai"] = "auto"
    # "embedded:<gguf file name>", a local folder or file, or a hub id (not needed for "openai").
    source: str = ""
    gguf_file: str | None = None
    # A LoRA on for the function-calling step only (a PEFT adapter; a GGUF LoRA for llama.cpp).
    adapter: str | None = None
    # A LoRA on for reasoning turns only (a GGUF LoRA; llama.cpp and transformers engines);
    # "bundled:<file>" names one shipped in slmreact_cli/adapters. The calling step never runs with it.
    reasoning_adapter: str | None = None
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    quantize: Literal["none", "int8"] = "none"
    max_seq_length: int = Field(4096, gt=0)
    stop: list[str] = Field(default_factory=lambda: list(AgentSettings.stop))
    mode: Literal["react", "native", "code"] = AgentSettings.mode
    constrained: bool = AgentSettings.constrained  # function calls under the tools' grammar (--grammar)
    # How react mode's calling step asks for calls: "json" (a JSON list after a prompt of its own)
    # or "template" (the chat template's own tool-call format, `<tool_call>` blocks).
    calling_format: Literal["json", "template"] = AgentSettings.calling_format
    # Reasoning turns drawn again per question when the model hits a dead end (it only repeats an
    # earlier Action, or leaves an argument as a placeholder); 0 turns this off.
    redraws: int = Field(AgentSettings.redraws, ge=0)
    # Question, once, a number in a call or an Answer found in neither the question nor an observation.
    grounding: bool = AgentSettings.grounding
    # Which earlier questions of a chat session a question's prompt holds (see guards/history.py).
    history: Literal["auto", "full"] = AgentSettings.history
    # Guards switched off by name, for ablations (see slmreact_cli/guards): ["grounding", "repeats"].
    disabled_guards: list[str] = Field(default_factory=list)
    # The memory limit of the process that runs the tools, in MiB (a tool past it gets a MemoryError);
    # 0 turns it off.
    tool_memory_mb: int = Field(DEFAULT_MEMORY_MB, ge=0)
    generation: Generation = Field(default_factory=Generation)
    server: ServerSettings | None = None

    @field_validator("disabled_guards")
    @classmethod
    def _known_guards(cls, names: list[str]) -> list[str]:
        unknown = unknown_guards(names)
        if unknown:
            raise ValueError(f"unknown guard {unknown[0]!r} (valid: {', '.join(GUARDS)})")
        return names

    @model_validator(mode="after")
    def _engine_needs(self) -> "Profile":
        if self.engine == "openai" and self.server is None:
            raise ValueError('engine = "openai" needs a [server] table with base_url and model')
        if self.reasoning_adapter and self.engine in ("unsloth", "openai"):
            raise ValueError(f'reasoning_adapter needs the llama.cpp or transformers engine, not "{self.engine}"')
        if self.engine != "openai" and not self.source:
            raise ValueError("source is required (an embedded model, a folder, a .gguf file or a hub id)")
        return self

    @property
    def loras(self) -> dict[Role, str]:
        """The LoRA of each role that has one: `adapter` for the function-calling step,
        `reasoning_adapter` for reasoning turns."""
        named: dict[Role, str | None] = {"calling": self.adapter, "reasoning": self.reasoning_adapter}
        return {role: spec for role, spec in named.items() if spec}

    @property
    def embedded_file(self) -> str | None:
        return self.source.removeprefix(EMBEDDED_PREFIX) if self.source.startswith(EMBEDDED_PREFIX) else None


def _format_validation(where: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            section = {"generation": Generation, "server": ServerSettings}.get(str(err["loc"][0]), Profile)
            valid = ", ".join(sorted((Profile if len(err["loc"]) == 1 else section).model_fields))
            problems.append(f"unknown key {loc!r} (valid keys: {valid})")
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{loc}: {message}" if loc else message)
    return f"{where}: " + "; ".join(problems)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _profile(name: str, data: dict, where: str) -> Profile:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: profile {name!r} must be a table")
    try:
        return Profile(name=name, **data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(where, exc)) from None
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def user_config_path() -> Path:
    return config_dir() / "config.toml"


MODES = ("react", "native", "code")  # the loops a question can run in (Profile.mode)


class UserConfigFile(BaseModel):
    """The user's config.toml: a default profile name, `[profiles.NAME]` tables (each checked as a
    Profile on its own, so an error names its profile), `[[mcp]]` servers (checked in mcp/servers.py),
    and saved defaults for the flags of `ask`, `batch` and `chat` (a flag given on the command line
    wins; see effective_settings.py)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    default: str | None = None
    profiles: dict[str, dict] = Field(default_factory=dict)
    tools: list[str] | None = Field(None, min_length=1)  # like --tools: .py paths (relative to this file's folder) or module names
    approve: Literal["always", "never"] | list[str] | None = None  # who decides on each tool call
    system: str | None = None  # text appended to the reasoning rules of every prompt
    max_steps: int | None = Field(None, ge=1, le=64)
    mode: Literal["react", "native", "code"] | None = None
    mcp: list[str | dict] = Field(default_factory=list)  # [[mcp]] servers, read by mcp/servers.py


# What each saved default accepts, for one-line errors that say how to fix the value.
_EXPECTED = {
    "default": "a profile name",
    "profiles": "a table of [profiles.NAME] tables",
    "tools": 'a non-empty list of .py paths or module names, e.g. tools = ["my_tools.py"]',
    "approve": '"always" (ask before every call), "never" (run every call) or a list of tool names '
               'that run without asking',
    "system": "a string",
    "max_steps": "an integer from 1 to 64",
    "mode": " or ".join(f'"{m}"' for m in MODES),
    "mcp": "[[mcp]] tables (or a list of --mcp values)",
}


def read_user_config(path: Path) -> UserConfigFile:
    """The validated user config file; an empty one if there is none."""
    if not path.is_file():
        return UserConfigFile()
    data = _read_toml(path)
    try:
        return UserConfigFile(**data)
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"])
            key = str(err["loc"][0]) if err["loc"] else ""
            if err["type"] == "extra_forbidden":
                problem = f"unknown key {loc!r} (valid: {', '.join(UserConfigFile.model_fields)})"
            elif key == "profiles" and len(err["loc"]) > 1:
                problem = f"{loc}: must be a table ([{loc}])"
            elif key in _EXPECTED:  # a union gives one error per member: one line per key is enough
                problem = f"{key}: must be {_EXPECTED[key]}"
            else:
                problem = f"{loc}: {err['msg']}"
            if problem not in problems:
                problems.append(problem)
        raise ConfigError(f"{path}: " + "; ".join(problems)) from None


def load_profiles(user_config: Path | None = None) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for path in sorted(bundled("configs").glob("*.toml")):
        profiles[path.stem] = _profile(path.stem, _read_toml(path), str(path))
    user_config = user_config or user_config_path()
    for name, table in read_user_config(user_config).profiles.items():
        profiles[name] = _profile(name, table, f"{user_config} [profiles.{name}]")
    return profiles


def default_profile_name(user_config: Path | None = None) -> str:
    return read_user_config(user_config or user_config_path()).default or DEFAULT_PROFILE


def resolve_model(spec: str | None, user_config: Path | None = None) -> Profile:
    """A profile name, a .gguf path or a model folder, to a Profile."""
    profiles = load_profiles(user_config)
    spec = spec or default_profile_name(user_config)
    if spec in profiles:
        return profiles[spec]
    path = Path(spec).expanduser()
    if spec.endswith(".gguf") or path.suffix == ".gguf":
        if not path.is_file():
            raise ConfigError(f"model file not found: {path}")
        return Profile(name=path.name, source=str(path.resolve().parent), gguf_file=path.name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"{path} is not a model folder (no config.json)")
        return Profile(name=path.name, source=str(path.resolve()))
    if is_hub_id(spec):
        return Profile(name=spec, source=spec)  # a hub id, tried where a hub is reachable
    raise ConfigError(f"unknown model {spec!r}: use a profile ({', '.join(sorted(profiles))}), "
                      "a .gguf file, a model folder or a hub id")
