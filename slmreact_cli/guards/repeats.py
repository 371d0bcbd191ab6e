"""Repeats: an Action or a tool call the model has written before.

Under greedy decoding a small model writes the same step again and again. A call made before in
the question is not run again: the note gives the earlier result (`repeated_call_note`). A turn
whose Actions only repeat earlier ones (`only_repeats`) is drawn again with sampling by the loop
(loop/steps.py), and after two steps that only repeated, the loop starts the next turn as the
Answer (`prompts.STUCK_PREFIX`).
"""
from __future__ import annotations

import json
import re

from ..prompts import format_call


def action_key(action: str) -> str:
    """An Action line without its white space: the same Action, however it was spaced."""
    return re.sub(r"\s+", "", action)


def call_key(name: str, arguments: dict) -> str:
    """One key per call: the tool's name and its arguments, in a fixed order."""
    return f"{name}:{json.dumps(arguments, sort_keys=True, default=str)}"


def only_repeats(actions: tuple[str, ...], calls: list[dict], earlier_actions: set[str],
                 seen_calls: dict[str, str]) -> bool:
    """Every Action was written before (`earlier_actions` holds their `action_key`s), or every
    call in them has been made already (`seen_calls` holds their `call_key`s)."""
    if {action_key(a) for a in actions} <= earlier_actions:
        return True
    return bool(calls) and all(call_key(c["name"], c["arguments"]) in seen_calls for c in calls)


def repeated_call_note(name: str, arguments: dict, seen_calls: dict[str, str]) -> str | None:
    """The note for a call made before in this question (`seen_calls`: call key -> what it gave)."""
    earlier = seen_calls.get(call_key(name, arguments))
    if earlier is None:
        return None
    return (f"you already called {format_call(name, arguments)} and got: {earlier.rstrip('.')}. "
            "Do not repeat the call; use that result or write the Answer.")
