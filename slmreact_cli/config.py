"""Model profiles: shipped `configs/*.toml`, plus `[profiles.NAME]` tables in the user's config.toml.

A profile names an engine, a model source, an optional LoRA adapter and generation defaults.
Unknown keys and wrong types are errors that list what is valid. `--model` takes a profile name
or a path (a Hugging Face folder or a .gguf file).
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .paths import bundled, config_dir

DEFAULT_PROFILE = "qwen2.5-coder-1.5b"
EMBEDDED_PREFIX = "embedded:"


class Generation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    top_k: int = Field(0, ge=0)
    max_new_tokens: int = Field(256, gt=0)
    seed: int | None = None


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    # "auto": llama.cpp for GGUF sources where llama-cpp-python is installed, else transformers.
    engine: Literal["auto", "transformers", "llama.cpp", "unsloth"] = "auto"
    # "embedded:<gguf file name>", a local folder or file, or a hub id.
    source: str
    gguf_file: str | None = None
    adapter: str | None = None
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    quantize: Literal["none", "int8"] = "none"
    max_seq_length: int = Field(4096, gt=0)
    stop: list[str] = Field(default_factory=lambda: ["PAUSE", "Observation:"])
    mode: Literal["react", "native"] = "react"
    constrained: bool = True
    generation: Generation = Field(default_factory=Generation)

    @property
    def embedded_file(self) -> str | None:
        return self.source.removeprefix(EMBEDDED_PREFIX) if self.source.startswith(EMBEDDED_PREFIX) else None


def _format_validation(where: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            valid = ", ".join(sorted(Profile.model_fields if len(err["loc"]) == 1 else Generation.model_fields))
            problems.append(f"unknown key {loc!r} (valid keys: {valid})")
        else:
            problems.append(f"{loc}: {err['msg']}")
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


def load_profiles(user_config: Path | None = None) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for path in sorted(bundled("configs").glob("*.toml")):
        profiles[path.stem] = _profile(path.stem, _read_toml(path), str(path))
    user_config = user_config or user_config_path()
    if user_config.is_file():
        data = _read_toml(user_config)
        extra_keys = set(data) - {"profiles", "default"}
        if extra_keys:
            raise ConfigError(f"{user_config}: unknown key(s) {', '.join(sorted(extra_keys))} "
                              "(valid: default, profiles)")
        for name, table in (data.get("profiles") or {}).items():
            profiles[name] = _profile(name, table, f"{user_config} [profiles.{name}]")
    return profiles


def default_profile_name(user_config: Path | None = None) -> str:
    user_config = user_config or user_config_path()
    if user_config.is_file():
        default = _read_toml(user_config).get("default")
        if default is not None:
            if not isinstance(default, str):
                raise ConfigError(f"{user_config}: 'default' must be a profile name (a string)")
            return default
    return DEFAULT_PROFILE


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
    if "/" in spec and not spec.startswith((".", "/", "~")) and spec.count("/") == 1:
        return Profile(name=spec, source=spec)  # a hub id, tried where a hub is reachable
    raise ConfigError(f"unknown model {spec!r}: use a profile ({', '.join(sorted(profiles))}), "
                      "a .gguf file, a model folder or a hub id")
