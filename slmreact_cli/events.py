"""The agent's events: a closed set of frozen dataclasses, each with a literal `type` and its step.

The loop yields them; renderers (Rich panels, verbose trace, JSON) consume them. Every run opens
with `Started`, which carries the question and the model to each consumer, and ends with exactly
one `Answer` or `NoAnswer`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


@dataclass(frozen=True)
class Started:
    """A run begins: the question as the loop received it, and the profile that answers it."""

    question: str
    model: str
    step: int = 0
    type: Literal["started"] = "started"


@dataclass(frozen=True)
class ThoughtDelta:
    """A streamed piece of the reasoning turn, before it is parsed."""

    step: int
    text: str
    type: Literal["thought_delta"] = "thought_delta"


@dataclass(frozen=True)
class ModelTurn:
    """One model call, for the verbose trace: the exact messages and the raw output."""

    step: int
    role: Literal["reasoning", "calling"]
    messages: tuple[dict, ...]
    raw: str
    prompt_tokens: int
    cached_tokens: int
    new_tokens: int
    seconds: float
    adapter: bool
    constrained: bool = False
    type: Literal["model_turn"] = "model_turn"


@dataclass(frozen=True)
class Thought:
    step: int
    text: str
    seconds: float
    new_tokens: int
    type: Literal["thought"] = "thought"


@dataclass(frozen=True)
class Action:
    step: int
    text: str
    type: Literal["action"] = "action"


@dataclass(frozen=True)
class CallPlan:
    """The function-calling step's JSON calls, and how they were obtained."""

    step: int
    calls: tuple[dict, ...]
    source: Literal["action", "calling-step", "native", "code"]
    repairs: tuple[str, ...] = ()
    retried: bool = False
    type: Literal["call_plan"] = "call_plan"


@dataclass(frozen=True)
class ToolCall:
    step: int
    name: str
    arguments: dict
    result: str | None
    error: str | None
    seconds: float
    truncated_chars: int = 0
    repeated: bool = False
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True)
class Observation:
    step: int
    text: str
    type: Literal["observation"] = "observation"


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error: context trimmed, a repair applied."""

    step: int
    text: str
    type: Literal["notice"] = "notice"


@dataclass(frozen=True)
class Answer:
    step: int
    text: str
    seconds: float
    steps: int
    new_tokens: int
    tokens_per_second: float
    type: Literal["answer"] = "answer"


@dataclass(frozen=True)
class NoAnswer:
    step: int
    reason: str
    seconds: float
    steps: int
    type: Literal["no_answer"] = "no_answer"


@dataclass(frozen=True)
class Error:
    step: int
    message: str
    type: Literal["error"] = "error"


Event = Union[Started, ThoughtDelta, ModelTurn, Thought, Action, CallPlan, ToolCall, Observation, Notice, Answer,
              NoAnswer, Error]


@dataclass
class StepRecord:
    """One step of a finished run, in the `batch` / `ask --json` output format."""

    thought: str = ""
    action: str | None = None
    calls: list[dict] = field(default_factory=list)
    observation: str | None = None
