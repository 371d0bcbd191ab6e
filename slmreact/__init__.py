"""slmreact as a library: `Agent` answers questions with a small local model and your Python functions.

    from slmreact import Agent

    with Agent(tools=[my_function, "more_tools.py"]) as agent:
        record = agent.ask("...")        # the record `slmreact ask --json` prints
        for event in agent.stream("..."):  # or the events as they happen (slmreact.events)
            ...

See `slmreact_cli/api.py` for the arguments and for how functions passed as tools are run.
"""
from slmreact_cli import events
from slmreact_cli.api import Agent

__all__ = ["Agent", "events"]
