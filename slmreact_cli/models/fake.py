"""A strict scripted engine for tests and demos: it replays replies in order and fails on surprises.

Each scripted reply says which role it answers ("reasoning" for the ReAct turns, "calling" for the
function-calling step). A call beyond the script, or for the wrong role, raises; a test then checks
`unused()` is empty, so a script with steps the loop never asked for fails too. A reply streams one
word at a time, each word one token, through the same `Engine.stream` as the real engines.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .base import Engine, Message, Piece, Request, Role, Sampling


class ScriptError(AssertionError):
    pass


@dataclass
class ScriptedReply:
    text: str
    role: Role = "reasoning"


@dataclass
class RecordedCall:
    messages: list[Message]
    stop: tuple[str, ...]
    role: Role
    constrained: bool
    sampling: Sampling = Sampling()


@dataclass
class ScriptedEngine(Engine):
    replies: list[ScriptedReply] = field(default_factory=list)
    calls: list[RecordedCall] = field(default_factory=list)
    name: str = "scripted"
    model_id: str = "scripted"
    supports_grammar: bool = False
    context_length: int = 32768

    def __post_init__(self) -> None:
        super().__init__()

    def _pieces(self, request: Request) -> Iterator[Piece]:
        messages, role = request.messages, request.role
        self.calls.append(RecordedCall([dict(m) for m in messages], request.stop, role,
                                       request.grammar is not None, request.sampling))
        if not self.replies:
            raise ScriptError(f"unexpected model call #{len(self.calls)} (role={role}): the script is empty; "
                              f"last message: {messages[-1]['content'][:200]!r}")
        reply = self.replies.pop(0)
        if reply.role != role:
            raise ScriptError(f"model call #{len(self.calls)} ran in the {role} role, the script expected "
                              f"{reply.role} for {reply.text[:80]!r}")
        request.prompt_tokens = sum(len(str(m["content"])) for m in messages) // 4
        words = reply.text.split(" ")
        for i, word in enumerate(words):
            yield Piece(word + (" " if i < len(words) - 1 else ""), token=i)
        request.end = "eos"

    def unused(self) -> list[ScriptedReply]:
        return list(self.replies)
