"""`slmreact.Agent`: the agent as a Python object, for programs that ask their own questions.

    from slmreact import Agent

    def get_exchange_rate(base: str, quote: str) -> float:
        '''Return how many units of the quote currency one unit of the base currency buys.

        Args:
            base: Three-letter code of the currency converted from, e.g. "EUR".
            quote: Three-letter code of the currency converted to, e.g. "JPY".
        '''
        ...

    with Agent(tools=[get_exchange_rate, "calculator.py"]) as agent:
        print(agent.ask("How many yen is 20 euros?")["answer"])

`ask` returns the record that `slmreact ask --json` prints; `stream` yields the events as they
happen. Questions asked of one Agent are one conversation, as in `slmreact chat`.

Tools run as in the CLI, in a worker process with the same validation, timeout and memory limit,
never in the calling process. A function passed as a tool is therefore imported again by that worker
from its module: by module name where it belongs to a package, else from its file. So it must be
defined at the top level of a module or script (not a lambda, a nested function or a method, and not
typed into an interactive interpreter), and a script that passes its own functions keeps the rest of
its top-level code under `if __name__ == "__main__":`, as with multiprocessing. Only the functions
passed are tools, not their module's other functions; a string names a whole module, as `--tools` does.

The settings are the arguments and the model profile. config.toml's saved defaults for the CLI
(tools, approve, system, max_steps, mode) are not read; `model=None` is the default profile.
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .errors import ToolLoadError
from .events import Event
from .models.base import Engine
from .safe_io import replace_surrogates
from .settings import DEFAULT_TOOL_TIMEOUT, AgentSettings
from .tools import ModuleRef, Registry, module_ref
from .tool_loading import load_registry

MAX_QUESTION_CHARS = 20_000
ToolSpec = Callable[..., Any] | str
Approver = Callable[[str, dict], bool]


def checked_question(question: str) -> str:
    """The question as every entry point runs it: stripped, lone surrogates replaced; ValueError
    when it is empty or too long."""
    question = replace_surrogates(question).strip()
    if not question:
        raise ValueError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(f"the question is too long ({len(question)} characters; the limit is {MAX_QUESTION_CHARS})")
    return question


def function_module(func: Callable[..., Any]) -> str:
    """The module spec (a dotted name or a .py path) the tool worker imports a function from."""
    name = getattr(func, "__name__", None)
    if not inspect.isfunction(func) or name == "<lambda>" or getattr(func, "__qualname__", name) != name:
        raise ToolLoadError(f"tool {name or func!r}: pass a function defined at the top level of a module or "
                            "script (the tool worker imports it from there), or a module as a string")
    module = sys.modules.get(func.__module__)
    file = getattr(module, "__file__", None)
    if module is None or not file:
        raise ToolLoadError(f"tool {name}: module {func.__module__} has no file for the tool worker to import "
                            "(define the function in a .py file)")
    if getattr(module, name, None) is not func:
        raise ToolLoadError(f"tool {name}: module {func.__module__} has no function of that name (a renamed or "
                            "replaced function cannot be imported again by the tool worker)")
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.parent:  # in a package: by name, so its relative imports work
        return spec.name
    return str(Path(file).resolve())


def tool_registry(tools: Sequence[ToolSpec] | None) -> Registry:
    """The registry of a list of functions and module specs (None: the shipped tools). A module
    named by a string gives all its tools; one known only through functions gives just those."""
    if tools is None:
        return load_registry(None)
    if isinstance(tools, (str, bytes)) or callable(tools):
        raise TypeError("tools must be a list of functions and module names or .py paths")
    if not tools:
        raise ValueError("tools is empty: give functions or modules, or None for the shipped tools")
    specs: dict[ModuleRef, str] = {}
    chosen: dict[ModuleRef, set[str]] = {}  # modules given only through functions: the functions given
    whole: set[ModuleRef] = set()
    for tool in tools:
        spec = tool if isinstance(tool, str) else function_module(tool)
        ref = module_ref(spec)
        specs.setdefault(ref, spec)
        if isinstance(tool, str):
            whole.add(ref)
        else:
            chosen.setdefault(ref, set()).add(tool.__name__)
    registry = load_registry(list(specs.values()))
    for ref, names in chosen.items():
        if ref not in whole:
            _keep_only(registry, ref, names)
    return registry


def _keep_only(registry: Registry, ref: ModuleRef, names: set[str]) -> None:
    for name in sorted(names):
        if registry.get(name) is None or registry.tools[name].module != ref:
            reasons = [s.reason for s in registry.skipped if s.module == ref.spec and s.name == name]
            raise ToolLoadError(f"tool {name}: " + (reasons[0] if reasons else
                                f"not exported by {ref.spec} (it has an __all__ without it)"))
    registry.tools = {name: tool for name, tool in registry.tools.items() if tool.module != ref or name in names}
    registry.skipped = [s for s in registry.skipped if s.module != ref.spec or s.name in names]


def _approver(approve: Approver | Iterable[str] | None, registry: Registry) -> Approver | None:
    if approve is None or callable(approve):
        return approve
    from .approval import AllowList

    if isinstance(approve, str):
        raise TypeError("approve must be a function (name, arguments) -> bool or a list of tool names")
    allowed = AllowList(frozenset(approve), "approve")
    allowed.check(registry.names())
    return allowed


class Agent:
    """A model, its tools and one conversation; `close()` (or a `with` block) stops the tool worker.

    model: a profile name, a .gguf file, a model folder or a hub id (None: the default profile).
    tools: functions and module specs (.py paths or dotted names); None: the shipped tools.
    engine: an engine to use instead of loading the profile's model (the profile still gives the
        stop strings and generation settings), e.g. a ScriptedEngine in tests.
    approve: a function (tool name, arguments) -> bool asked before each call, or the names of the
        tools allowed to run; a refused call is not run and the model reads that it was declined.
    system: text appended to the rules of the system prompt.
    log: write each question to the transcript log, as the CLI does (`slmreact logs`).
    """

    def __init__(self, model: str | None = None, tools: Sequence[ToolSpec] | None = None, *,
                 engine: Engine | None = None, max_steps: int = AgentSettings.max_steps, mode: str | None = None,
                 system: str = "", approve: Approver | Iterable[str] | None = None,
                 tool_timeout: float = DEFAULT_TOOL_TIMEOUT, grammar: bool | None = None, log: bool = False):
        from .config import resolve_model
        from .session import Session, SessionOptions
        from .worker import ToolRunner

        if mode not in (None, "react", "native", "code"):
            raise ValueError(f"mode must be react, native or code, not {mode!r}")
        if not 1 <= max_steps <= 64:
            raise ValueError(f"max_steps must be from 1 to 64, not {max_steps}")
        options = SessionOptions(model=model, max_steps=max_steps, constrained=grammar, tool_timeout=tool_timeout,
                                 log=log, mode=mode, user_rules=system)
        profile = resolve_model(model)
        registry = tool_registry(tools)
        approver = _approver(approve, registry)
        runner = ToolRunner(registry, timeout=tool_timeout, memory_limit_mb=profile.tool_memory_mb)
        try:
            if engine is None:  # a given engine has nothing to load: the first call starts the worker
                runner.start()  # the worker imports the tools while the model loads
                from .models.loader import load_engine

                engine = load_engine(profile)
            self._session = Session(profile, engine, registry, runner, options, approver)
        except BaseException:
            runner.close()
            raise

    @property
    def model(self) -> str:
        return self._session.model_name

    @property
    def tools(self) -> list[str]:
        return self._session.registry.names()

    def stream(self, question: str) -> Iterator[Event]:
        """The question's events as they happen (slmreact_cli.events), ending with one Answer or
        NoAnswer. ValueError at once for an empty or too long question."""
        return self._session.events(checked_question(question))

    def ask(self, question: str) -> dict:
        """Run the question to its end; the record `slmreact ask --json` prints: id, question, answer
        (None without one), steps (thought, action, calls, observation), seconds, model, error."""
        from .render import RecordBuilder

        question = checked_question(question)
        record = RecordBuilder()
        for event in self._session.events(question):
            record(event)
        return record.result()

    def reset(self) -> None:
        """Forget the conversation: the next question starts a new one."""
        self._session.agent.reset()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "Agent":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
