"""The settings `ask`, `batch` and `chat` run with, and where each one came from.

A flag given on the command line wins; then the saved default in the user's config.toml; then the
built-in default. `slmreact config` shows the result with each source. Only the settings that
config.toml can save are here (model, tools, approve, system, max_steps, mode); the fields of a
model profile (engine, generation, ...) stay with the profile (config.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DEFAULT_PROFILE, read_user_config, user_config_path
from .settings import AgentSettings

FLAG = "flag"
DEFAULT = "default"

# Settings in the order `slmreact config` shows them; config.toml names the model `default`.
NAMES = ("model", "tools", "approve", "system", "max_steps", "mode")
_CONFIG_KEYS = {"model": "default"}
_DEFAULTS: dict[str, Any] = {"model": DEFAULT_PROFILE, "tools": None, "approve": "never", "system": "",
                             "max_steps": AgentSettings.max_steps, "mode": None}


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str  # FLAG, DEFAULT, or the path of the config file the value was read from


@dataclass(frozen=True)
class EffectiveSettings:
    model: Setting  # a profile name, .gguf file, model folder or hub id
    tools: Setting  # tool module specs; None: the shipped tools
    approve: Setting  # "always", "never", or the tools that run without asking
    system: Setting  # text appended to the reasoning rules ("" for none)
    max_steps: Setting
    mode: Setting  # "react", "native", "code"; None: the profile's mode
    config_file: Path

    def items(self) -> list[tuple[str, Setting]]:
        return [(name, getattr(self, name)) for name in NAMES]


def _config_tool_spec(spec: str, folder: Path) -> str:
    """A relative .py path in config.toml is read from the config file's folder, not from wherever
    the command runs; a dotted module name stays as it is."""
    if not (spec.endswith(".py") or "/" in spec or "\\" in spec):
        return spec
    path = Path(spec).expanduser()
    return str(path if path.is_absolute() else folder / path)


def effective_settings(flags: dict[str, Any], config_path: Path | None = None) -> EffectiveSettings:
    """`flags` holds only the settings given on the command line (name to value, with `approve`
    already as "always", "never" or a list of tool names)."""
    unknown = set(flags) - set(NAMES)
    if unknown:
        raise ValueError(f"not a saved setting: {', '.join(sorted(unknown))}")
    path = config_path or user_config_path()
    saved = read_user_config(path)
    settings: dict[str, Setting] = {}
    for name in NAMES:
        value = getattr(saved, _CONFIG_KEYS.get(name, name))
        if name in flags:
            settings[name] = Setting(flags[name], FLAG)
        elif value is not None:
            if name == "tools":
                value = [_config_tool_spec(spec, path.parent) for spec in value]
            settings[name] = Setting(value, str(path))
        else:
            settings[name] = Setting(_DEFAULTS[name], DEFAULT)
    return EffectiveSettings(config_file=path, **settings)


def given_on_command_line(ctx, values: dict[str, Any]) -> dict[str, Any]:
    """The entries of `values` (parameter name to value) whose parameter the user typed, as the
    command's context records it; a value left at its default is not a flag and does not override
    config.toml. (Another command's context, as when `slmreact` alone starts `chat`, has none.)"""
    typed = ("COMMANDLINE", "ENVIRONMENT", "PROMPT")
    return {name: value for name, value in values.items()
            if getattr(ctx.get_parameter_source(name), "name", None) in typed}


def shown_settings(settings: EffectiveSettings) -> list[dict[str, Any]]:
    """The rows of `slmreact config`: name, value and source. Values left to the model profile
    (mode) or to the shipped tools are resolved here so the user sees what a question would use."""
    rows = []
    for name, setting in settings.items():
        value, source = setting.value, setting.source
        if name == "tools" and value is None:
            from .tools import default_tool_specs

            value = default_tool_specs()
        elif name == "mode" and value is None:
            from .config import resolve_model

            profile = resolve_model(settings.model.value)
            value, source = profile.mode, f"profile {profile.name}"
        rows.append({"name": name, "value": value, "source": source})
    return rows
