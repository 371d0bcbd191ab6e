"""A strict scripted engine for tests and demos: it replays replies in order and fails on surprises.

Each scripted reply says which role it answers (reasoning turns run with the adapter off, the
function-calling step with it on). A call beyond the script, or for the wrong role, raises; a
test then checks `unused()` is empty, so a script with steps the loop never asked for fails too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from .base import Engine, Message, Sampling, StopScanner, Usage


class ScriptError(AssertionError):
    pass


@dataclass
class Reply:
    text: str
    adapter: bool = False  # False: a reasoning turn; True: the function-calling step


@dataclass
class RecordedCall:
    messages: list[Message]
    stop: tuple[str, ...]
    adapter: bool
    constrained: bool
    sampling: Sampling = Sampling()


@dataclass
class ScriptedEngine(Engine):
    replies: list[Reply] = field(default_factory=list)
    calls: list[RecordedCall] = field(default_factory=list)
    name: str = "scripted"
    model_id: str = "scripted"
    supports_grammar: bool = False
    context_length: int = 32768

    def __post_init__(self) -> None:
        super().__init__()

    def stream(self, messages: Sequence[Message], *, stop: Sequence[str] = (), max_new_tokens: int = 256,
               sampling: Sampling = Sampling(), adapter: bool = False, grammar: Any = None,
               **_: Any) -> Iterator[str | Usage]:
        self.calls.append(RecordedCall([dict(m) for m in messages], tuple(stop), adapter, grammar is not None,
                                       sampling))
        if not self.replies:
            raise ScriptError(f"unexpected model call #{len(self.calls)} (adapter={adapter}): the script is empty; "
                              f"last message: {messages[-1]['content'][:200]!r}")
        reply = self.replies.pop(0)
        if reply.adapter != adapter:
            raise ScriptError(f"model call #{len(self.calls)} ran with adapter={adapter}, the script expected "
                              f"adapter={reply.adapter} for {reply.text[:80]!r}")
        scanner = StopScanner(stop)
        words = reply.text.split(" ")
        emitted = 0
        for i, word in enumerate(words):
            piece = scanner.feed(word + (" " if i < len(words) - 1 else ""))
            emitted += 1
            if piece:
                yield piece
            if scanner.stopped:
                break
        else:
            tail = scanner.flush()
            if tail:
                yield tail
        yield Usage(prompt_tokens=sum(len(str(m["content"])) for m in messages) // 4, new_tokens=emitted,
                    seconds=0.001, stop_reason="stop" if scanner.stopped else "eos")

    def unused(self) -> list[Reply]:
        return list(self.replies)
