"""The loops that answer a question, as generators of events; they never print.

agent.py holds the session (`Agent`: history, `run` picks the mode), react.py and native.py the
two loops over JSON-style tool calls, steps.py what a step does with the engine and the tools,
calling.py the function-calling step. `AgentSettings` is in slmreact_cli/settings.py, re-exported
here. Code mode's loop is in slmreact_cli/code. The guards the loops ask are in slmreact_cli/guards.
"""
from ..settings import AgentSettings
from .agent import Agent
from .steps import Approver

__all__ = ["Agent", "AgentSettings", "Approver"]
