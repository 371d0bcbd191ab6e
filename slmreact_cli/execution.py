"""One tool call as every loop runs it: `--approve` first, then the tool runner, which checks the
arguments against the registry's schema before the worker checks them against the function's own
signature. The event carries the validated arguments of a call that ran."""
from __future__ import annotations

from typing import Callable

from .events import ToolCall
from .tools import Registry
from .worker import ToolRunner

DECLINED = "the user declined to run this call"


def run_tool(step: int, name: str, arguments: dict, runner: ToolRunner, registry: Registry,
             approve: Callable[[str, dict], bool] | None = None) -> ToolCall:
    """The call's ToolCall event; a declined call has the error DECLINED and never reaches the worker."""
    if approve is not None and not approve(name, arguments):
        return ToolCall(step, name, arguments, None, DECLINED, 0.0)
    outcome = runner.call(name, arguments)
    tool = registry.get(name)
    shown_args = tool.validate(arguments) if tool is not None and outcome.ok else arguments
    if outcome.ok:
        return ToolCall(step, name, shown_args, outcome.text, None, outcome.seconds, outcome.truncated_chars)
    return ToolCall(step, name, shown_args, None, outcome.text, outcome.seconds, outcome.truncated_chars)
