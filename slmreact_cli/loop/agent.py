"""The agent: one engine, registry and tool runner, the session's history, and `run`, which picks
the loop by `settings.mode` (react.py, native.py, or code/loop.py) and yields its events.

The conversation persists across questions (so the prefix cache serves earlier turns) until
`reset()`. An engine failure mid-run ends the question with a NoAnswer that says why, so a batch or
a chat session goes on.
"""
from __future__ import annotations

import time
from typing import Iterator

from ..errors import ModelError
from ..events import Error, Event, NoAnswer, Started
from ..models.base import Engine
from ..prompts import reasoning_system_prompt
from ..settings import AgentSettings
from ..tools import Registry
from ..worker import ToolRunner
from .calling import CallingStep
from .native import NativeLoop
from .react import ReactLoop
from .steps import Approver, Steps


class Agent:
    def __init__(self, engine: Engine, registry: Registry, runner: ToolRunner,
                 settings: AgentSettings | None = None, approve: Approver | None = None):
        self.engine = engine
        self.registry = registry
        self.runner = runner
        self.settings = settings or AgentSettings()
        self.approve = approve
        self.calling = CallingStep(engine, registry, constrained=self.settings.constrained,
                                   max_new_tokens=self.settings.max_new_tokens,
                                   calling_format=self.settings.calling_format)
        self.steps = Steps(engine, registry, runner, self.settings, self.calling, approve)
        self.system = {"role": "system", "content": reasoning_system_prompt(registry, self.settings.user_rules)}
        self.history: list[dict] = []  # earlier questions' messages, full traces
        self.react = ReactLoop(self.steps, self.settings, self.system)
        self.native = NativeLoop(self.steps, self.settings)
        self.code = None
        if self.settings.mode == "code":
            from ..code.loop import CodeLoop

            self.code = CodeLoop(engine, registry, runner, self.settings, approve, self.steps.reason)

    def reset(self) -> None:
        self.history = []
        if self.code is not None:
            self.code.reset()

    def warm(self) -> None:
        """Prepare the reasoning prompt's fixed prefix in the engine (see Engine.warm)."""
        if self.settings.mode == "react":
            self.engine.warm([self.system], role="reasoning")
        elif self.code is not None:
            self.code.warm()

    def run(self, question: str) -> Iterator[Event]:
        """The question's events, from the loop that `settings.mode` names."""
        start = time.perf_counter()
        step = 0
        yield Started(question, self.settings.model_name)
        try:
            if self.settings.mode == "native":
                events = self.native.run(question, self.history)
            elif self.code is not None:
                events = self.code.run(question)
            else:
                events = self.react.run(question, self.history)
            for event in events:
                step = event.step
                yield event
        except ModelError as exc:
            yield Error(step, str(exc))
            yield NoAnswer(step, str(exc), time.perf_counter() - start, step)
