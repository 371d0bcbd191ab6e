"""Guards: the checks that keep a small model on track, each a pure function.

A guard reads parsed calls or text, plus whatever state it needs passed in, and returns the note
the model reads next, or None where nothing is wrong. A few return a decision rather than a note
(`repeats.only_repeats`: draw the turn again; `history.fit_to_window`: what still fits). No guard
calls the engine or the tool runner, and none yields events: the loops in slmreact_cli/loop decide
when to ask a guard and turn its note into an `Observation` or a refused `ToolCall`.

| name           | module            | catches                                                          |
|----------------|-------------------|------------------------------------------------------------------|
| `repeats`      | `repeats.py`      | a call made before, a turn that only repeats earlier Actions     |
| `placeholders` | `placeholders.py` | stand-ins (`"..."`, `<int>`) copied from a format example         |
| `grounding`    | `grounding.py`    | numbers from nowhere, calls about something else, dropped exponents |
| `nesting`      | `nesting.py`      | calls written as argument values: inner calls run first, quoted text never |
| `history`      | `history.py`      | earlier exchanges a question should not see, a prompt past the window |

The names are what `AgentSettings.disabled_guards` and a profile's `disabled_guards` accept, so a
benchmark can measure what each guard is worth.
"""
GUARDS = ("repeats", "placeholders", "grounding", "nesting", "history")


def unknown_guards(names) -> list[str]:
    """The names that are not guards, in the order given."""
    return [name for name in names if name not in GUARDS]
