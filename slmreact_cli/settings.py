"""The settings path: flags (`SessionOptions`) and a profile become the loop's `AgentSettings`.

Each default of the loop and the session is written here once: the profile schema (config.py) and
the CLI's flags take theirs from these classes. `AgentSettings.from_profile` is the one place where
a profile and the flags meet, so a new profile key with an `AgentSettings` field of the same name
reaches the loop without more wiring. Deliberately light to import: the CLI reads these defaults
for its `--help` before anything heavy loads.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Mapping

from .guards import GUARDS, unknown_guards
from .models.base import Sampling

if TYPE_CHECKING:  # only for the annotation: config.py imports this module
    from .config import Profile

DEFAULT_TOOL_TIMEOUT = 30.0  # seconds before a tool call is stopped
CALLING_FORMATS = ("json", "template")  # see loop/calling.py


@dataclass
class AgentSettings:
    max_steps: int = 8
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ("PAUSE", "Observation:")
    constrained: bool = True  # function calls decoded under the tools' grammar (`--grammar/--no-grammar`)
    mode: str = "react"  # or "native": the chat template's own tool-call format; or "code" (code/loop.py)
    sampling: Sampling = Sampling()
    # A reasoning turn whose Actions only repeat earlier ones is drawn again, this many times at most
    # per question, with sampling (see loop/steps.REDRAW_SAMPLING): greedy decoding would write it again.
    redraws: int = 2
    grounding: bool = True  # question numbers from nowhere (see guards/grounding.py)
    # Which earlier questions of a session a question's prompt holds: "auto" (none, unless the
    # question refers back; then the last few, see guards/history.py) or "full" (all of them).
    # Native mode always holds all of them.
    history: str = "auto"
    user_rules: str = ""  # the user's text appended to the system prompt's rules (`system` in config.toml)
    # Guards switched off, by name (guards.GUARDS), to measure what each one is worth.
    disabled_guards: frozenset[str] = frozenset()
    # How the calling step asks for calls (react mode): "json", a JSON list after a prompt of its
    # own, or "template", the chat template's `tools=` and `<tool_call>` blocks (see loop/calling.py).
    calling_format: str = "json"
    model_name: str = ""  # the profile's name, which each run's Started event reports

    def __post_init__(self) -> None:
        unknown = unknown_guards(self.disabled_guards)
        if unknown:
            raise ValueError(f"unknown guard {unknown[0]!r} (valid: {', '.join(GUARDS)})")
        if self.calling_format not in CALLING_FORMATS:
            raise ValueError(f"unknown calling_format {self.calling_format!r} (valid: {', '.join(CALLING_FORMATS)})")

    def uses(self, guard: str) -> bool:
        """Whether a guard is on: not disabled and, for grounding, not switched off by `grounding`."""
        if guard == "grounding" and not self.grounding:
            return False
        return guard not in self.disabled_guards

    @classmethod
    def from_profile(cls, profile: Profile, overrides: Mapping[str, Any] | None = None) -> AgentSettings:
        """A profile's settings: each field the profile has under the same name, its generation
        table's token limit and sampling, then each override that is not None (None is a flag that
        was not given, so the profile's value stays). An unknown override is a TypeError."""
        values: dict[str, Any] = {f.name: getattr(profile, f.name) for f in fields(cls)
                                  if f.name in type(profile).model_fields}
        generation = profile.generation
        values.update(stop=tuple(profile.stop), disabled_guards=frozenset(profile.disabled_guards),
                      model_name=profile.name, max_new_tokens=generation.max_new_tokens,
                      sampling=Sampling(**{f.name: getattr(generation, f.name) for f in fields(Sampling)}))
        values.update({name: value for name, value in (overrides or {}).items() if value is not None})
        return cls(**values)


@dataclass
class SessionOptions:
    """What the flags of `ask`, `batch` and `chat` set. None leaves a setting to the profile."""

    model: str | None = None  # a profile name, a .gguf file or a model folder; None: the default profile
    tools: list[str] | None = None  # tool modules; None: the shipped tools
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT
    log: bool = True  # write the transcript log
    mcp: list[str] | None = None  # --mcp values: MCP server commands or URLs, beside config.toml's [[mcp]]
    # AgentSettings fields of the same name
    max_steps: int | None = None
    constrained: bool | None = None
    mode: str | None = None  # "react", "native" or "code"
    user_rules: str | None = None  # appended to the system prompt's rules (`system` in config.toml)

    def overrides(self) -> dict[str, Any]:
        """The AgentSettings fields these options set (None: not set)."""
        return {"max_steps": self.max_steps, "constrained": self.constrained, "mode": self.mode,
                "user_rules": self.user_rules}
