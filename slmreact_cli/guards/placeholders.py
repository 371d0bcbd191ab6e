"""Placeholders: stand-ins copied from the prompt's format examples instead of values.

The reasoning prompt's examples write `"..."`, `<int>` or `[...]` where a value goes, and small
models copy them. A call with such a value is not run (`placeholder_note`); an Action that keeps
the examples' typed stand-ins (`days=<int>`) is no valid call, and is not handed to the
function-calling step, which would fill the gaps with values of its own (`copied_example_note`).
Either note names the two ways on: call the tool that gives the value first, or, where no tool
does, answer from what the model knows.
"""
from __future__ import annotations

import json
import re

from ..prompts import example_placeholders

# "...", "<date>", "?" : stand-ins copied from a format example instead of a value.
_PLACEHOLDER = re.compile(r"^\s*(\.{2,}|…|<[^<>]*>|\?+|\[\s*\.\.\.\s*\]|\{\s*\.\.\.\s*\})\s*$")


def placeholder_arguments(arguments: dict) -> list[str]:
    """Names of string arguments whose value is only a stand-in."""
    return [k for k, v in arguments.items() if isinstance(v, str) and _PLACEHOLDER.match(v)]


def placeholder_note(arguments: dict) -> str | None:
    """The note for a call with stand-in values; None when every value is a value."""
    stand_ins = placeholder_arguments(arguments)
    if not stand_ins:
        return None
    listed = ", ".join(f"{k}={json.dumps(arguments[k])}" for k in stand_ins)
    return (f"{listed} {'is a placeholder' if len(stand_ins) == 1 else 'are placeholders'}, not "
            "a value. If another tool gives the value, call it first; if no tool does, write the Answer "
            "from what you know.")


def copied_example_note(actions: tuple[str, ...], calls: list[dict] | None) -> str | None:
    """The note for Actions that keep the format example's typed stand-ins (`days=<int>`) and so
    are no valid call. `calls`: what the Actions read as when written as calls
    (`CallingStep.from_action_text`); None when they are not. Actions that are valid calls pass."""
    stand_ins = list(dict.fromkeys(p for a in actions for p in example_placeholders(a)))
    if not stand_ins or calls is not None:
        return None
    one = len(stand_ins) == 1
    return (f"Error: {', '.join(stand_ins)} {'is a placeholder' if one else 'are placeholders'} copied from the "
            f"format example, not {'a value' if one else 'values'}. Write the call with real values. If another "
            "tool gives a value, call it first; if no tool does, write the Answer from what you know.")
