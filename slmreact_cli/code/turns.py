"""A code-mode turn as text to its parts: the thought, the program, the answer.

The program is the first fenced block (```python, ```py or a bare ```), or failing a fence, what
follows an "Action:" label. A turn with a program runs it even if it also wrote an Answer: the
answer of a turn that has not seen the program's output is a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_OPENING_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n?", re.IGNORECASE)
_ACTION = re.compile(r"^\s*Action\s*:[ \t]*", re.IGNORECASE | re.MULTILINE)
_ANSWER = re.compile(r"^\s*(?:Final Answer|Answer)\s*:[ \t]*", re.IGNORECASE | re.MULTILINE)
_THOUGHT = re.compile(r"^\s*Thought\s*:\s*", re.IGNORECASE)
_PAUSE = re.compile(r"\n\s*PAUSE\s*$")


@dataclass(frozen=True)
class CodeTurn:
    thought: str
    code: str | None
    answer: str | None


def _strip_thought(text: str) -> str:
    return _THOUGHT.sub("", text, count=1).strip()


def parse_code_turn(text: str) -> CodeTurn:
    fence = _OPENING_FENCE.search(text)
    if fence:
        head, body = text[:fence.start()], text[fence.end():]
        code = body.split("```", 1)[0]
        action = _ACTION.search(head)
        thought_end = action.start() if action else len(head)
        answer = _ANSWER.search(head[:thought_end])
        thought = head[:answer.start() if answer else thought_end]
        return CodeTurn(_strip_thought(thought), _PAUSE.sub("", code.rstrip()).strip("\n") or None, None)
    action = _ACTION.search(text)
    if action:
        body = text[action.end():]
        answer = _ANSWER.search(body)
        code = _PAUSE.sub("", (body[:answer.start()] if answer else body).rstrip()).strip()
        return CodeTurn(_strip_thought(text[:action.start()]), code or None, None)
    answer = _ANSWER.search(text)
    if answer:
        return CodeTurn(_strip_thought(text[:answer.start()]), None, text[answer.end():].strip() or None)
    return CodeTurn(_strip_thought(text), None, None)


def program_key(code: str) -> str:
    """Programs that differ only in blank space and comments are the same program."""
    lines = [line.split("#", 1)[0].rstrip() for line in code.strip().splitlines()]
    return "\n".join(line for line in lines if line.strip())
