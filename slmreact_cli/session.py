"""One loaded session: profile, engine, tools and agent, wired once and shared by ask, batch and chat."""
from __future__ import annotations

from typing import Callable

from .config import Profile, resolve_model
from .events import Event
from .loop import Agent, Approver
from .models.base import Engine
from .settings import AgentSettings, SessionOptions
from .tools import Registry, load_registry
from .worker import ToolRunner

__all__ = ["Session", "SessionOptions", "open_session"]

LoadProgress = Callable[[str, int, int], None]


class Session:
    def __init__(self, profile: Profile, engine: Engine, registry: Registry, runner: ToolRunner,
                 options: SessionOptions, approve: Approver | None = None):
        self.profile = profile
        self.engine = engine
        self.registry = registry
        self.runner = runner
        self.options = options
        self.settings = AgentSettings.from_profile(profile, options.overrides())
        self.agent = Agent(engine, registry, runner, self.settings, approve=approve)
        self.log = None
        if options.log:
            from .logs import TranscriptLog

            self.log = TranscriptLog()

    def ask(self, question: str, *consumers: Callable[[Event], None]) -> None:
        """Run one question, handing every event to each consumer and to the transcript log."""
        if self.log is not None:
            consumers = (*consumers, self.log)
        try:
            for event in self.agent.run(question):
                for consume in consumers:
                    consume(event)
        except BaseException as exc:
            if self.log is not None:
                self.log.fail("interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}")
            raise

    def warm_in_background(self) -> None:
        """Prefill (or load from disk) the system prompt's state while the user types the first
        question; a failure here only means the first question does that work itself."""
        import threading

        def warm() -> None:
            try:
                self.agent.warm()
            except Exception:
                pass

        threading.Thread(target=warm, name="slmreact-warm-up", daemon=True).start()

    @property
    def model_name(self) -> str:
        return self.profile.name

    def close(self) -> None:
        self.runner.close()
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_session(options: SessionOptions, progress: LoadProgress | None = None,
                 approve: Approver | None = None, engine: Engine | None = None) -> Session:
    """Tools first (cheap errors fail fast), then the model, which is the slow part. The tool modules
    are imported by worker processes only (see tools.load_registry). `engine`: an engine already
    loaded (a scripted one, in tests) instead of the profile's."""
    profile = resolve_model(options.model)
    registry = load_registry(options.tools)
    runner = ToolRunner(registry, timeout=options.tool_timeout, memory_limit_mb=profile.tool_memory_mb)
    runner.start()  # the worker imports the tools while the model loads
    if engine is None:
        try:
            from .models.loader import load_engine

            engine = load_engine(profile, progress)
        except BaseException:
            runner.close()
            raise
    return Session(profile, engine, registry, runner, options, approve)
