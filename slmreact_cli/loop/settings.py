"""The loop's settings: one dataclass, filled from a profile and the command line by session.py."""
from __future__ import annotations

from dataclasses import dataclass

from ..guards import GUARDS, unknown_guards
from ..models.base import Sampling

CALLING_FORMATS = ("json", "template")  # see loop/calling.py


@dataclass
class AgentSettings:
    max_steps: int = 8
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ("PAUSE", "Observation:")
    constrained: bool = True
    use_action_calls: bool = True
    mode: str = "react"  # or "native": the chat template's own tool-call format; or "code" (code/loop.py)
    sampling: Sampling = Sampling()
    # A reasoning turn whose Actions only repeat earlier ones is drawn again, this many times at most
    # per question, with sampling (see steps.REDRAW_SAMPLING): greedy decoding would write it again.
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
