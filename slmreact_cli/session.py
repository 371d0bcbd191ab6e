"""One loaded session: profile, engine, tools and agent, wired once and shared by ask, batch and chat.

A session is one conversation at a time, with an id that the log keeps with each question; `reset`
starts a new one and `resume` takes up an earlier one (see conversations.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

from .config import Profile, resolve_model
from .events import Event, Started
from .logs import new_conversation_id
from .loop import Agent, Approver
from .models.base import Engine, LoadProgress
from .settings import AgentSettings, SessionOptions
from .tools import Registry
from .tool_loading import load_registry
from .worker import ToolRunner

if TYPE_CHECKING:
    from .conversations import Conversation

__all__ = ["Session", "SessionOptions", "open_session", "open_tools"]


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
        self.conversation_id = new_conversation_id()
        self.last_exchange: list[dict] = []  # the messages the last question added to the history
        self.log = None
        if options.log:
            from .logs import TranscriptLog

            self.log = TranscriptLog()

    def _history_holder(self):
        """The object whose `history` the next question reads (code mode's loop keeps its own)."""
        return self.agent.code if self.agent.code is not None else self.agent

    def reset(self) -> None:
        """Forget the conversation; the next question starts a new one."""
        self.agent.reset()
        self.conversation_id = new_conversation_id()

    def resume(self, conversation: "Conversation") -> None:
        """Take up an earlier conversation: its history, and its id where it has one in the log."""
        self.agent.reset()
        self._history_holder().history = conversation.history(self.settings.mode)
        self.conversation_id = conversation.id or new_conversation_id()

    def ask(self, question: str, *consumers: Callable[[Event], None]) -> None:
        """Run one question, handing every event to each consumer and to the transcript log."""
        stream = self.events(question)
        for event in stream:
            try:
                for consume in consumers:
                    consume(event)
            except BaseException as exc:
                stream.throw(exc)  # the log records why the run ended; the exception comes back out
                raise

    def events(self, question: str) -> Iterator[Event]:
        """One question's events as they happen, each written to the transcript log first. A run
        that an exception ends, or that its reader stops early, is recorded as failed."""
        earlier = list(self._history_holder().history)
        self.last_exchange = []
        try:
            for event in self.agent.run(question):
                if self.log is not None:
                    self._log(event)
                yield event
        except BaseException as exc:
            if self.log is not None:
                reason = {KeyboardInterrupt: "interrupted", GeneratorExit: "stopped by its reader"}.get(type(exc))
                self.log.fail(reason or f"{type(exc).__name__}: {exc}")
            raise
        self.last_exchange = added_messages(earlier, self._history_holder().history)
        if self.last_exchange and self.log is not None:
            self.log.keep_exchange(self.last_exchange)

    def _log(self, event: Event) -> None:
        """The run's Started event opens its row in the log, in this conversation; every later event
        is written as it comes."""
        if isinstance(event, Started):
            self.log.begin(event.question, event.model, self.conversation_id, self.settings.mode)
        else:
            self.log(event)

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


def added_messages(earlier: list[dict], history: list[dict]) -> list[dict]:
    """The messages a question appended to the history. The loops append an answered question's
    messages at the end (in place or in a new list) and may drop the oldest from the front to fit the
    context window, so the new ones are those after the last message object that was there before."""
    known = {id(message) for message in earlier}  # `earlier` keeps them alive, so no id is reused
    last_known = max((i for i, message in enumerate(history) if id(message) in known), default=-1)
    return history[last_known + 1:]


def open_tools(specs: list[str] | None, mcp: list[str] | None, **runner_options) -> tuple[Registry, ToolRunner]:
    """The registry and its runner: the tool modules (described by a short-lived worker), then the
    MCP servers, which the runner's worker connects to and lists before this returns. Without MCP
    servers the runner is not started yet."""
    from .mcp.registry import add_server_tools
    from .mcp.servers import session_servers

    servers = session_servers(mcp)
    registry = load_registry(specs)
    runner = ToolRunner(registry, mcp_servers=servers, **runner_options)
    if not servers:
        return registry, runner
    try:
        runner.start()
        add_server_tools(registry, servers, runner.mcp_listings)
    except BaseException:
        runner.close()
        raise
    return registry, runner


def open_session(options: SessionOptions, progress: LoadProgress | None = None,
                 approve: Approver | None = None, engine: Engine | None = None) -> Session:
    """Tools first (cheap errors fail fast), then the model, which is the slow part. The tool modules
    are imported by worker processes only (see tool_loading.load_registry). `engine`: an engine already
    loaded (a scripted one, in tests) instead of the profile's."""
    profile = resolve_model(options.model)
    registry, runner = open_tools(options.tools, options.mcp, timeout=options.tool_timeout,
                                  memory_limit_mb=profile.tool_memory_mb)
    try:
        if engine is None:  # a given engine has nothing to load: its session's first call starts the worker
            runner.start()  # the worker imports the tools while the model loads
            from .models.loader import load_engine

            engine = load_engine(profile, progress)
    except BaseException:
        runner.close()
        raise
    return Session(profile, engine, registry, runner, options, approve)
