"""The engine contract: chat messages in, streamed text chunks out, usage figures at the end.

Every engine implements `stream()`. It yields `str` chunks and, last, one `Usage`. Generation
stops on strings (never on one tokenizer's token id); the stop text itself is not yielded.
`adapter=True` runs with the profile's LoRA adapter enabled, `False` with it disabled: one base
model serves both the reasoning role and the function-calling role.
A final message with role "assistant" is continued rather than answered (assistant prefill).
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

Message = dict[str, Any]  # {"role": ..., "content": ...}


@dataclass(frozen=True)
class Sampling:
    """temperature 0 means greedy decoding."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    new_tokens: int
    seconds: float
    cached_tokens: int = 0  # prompt tokens served from the prefix cache, not prefilled again
    stop_reason: str = "stop"  # "stop" (a stop string), "eos", "length", "interrupted"
    prefill_seconds: float = 0.0

    @property
    def decode_tokens_per_second(self) -> float:
        decode = self.seconds - self.prefill_seconds
        return self.new_tokens / decode if decode > 0 else 0.0


@dataclass
class Generation:
    """A finished `stream()`, collected."""

    text: str
    usage: Usage


class StopScanner:
    """Finds stop strings in streamed text, holding back any tail that could start one."""

    def __init__(self, stops: Iterable[str]):
        self.stops = [s for s in stops if s]
        self._hold = max((len(s) for s in self.stops), default=1) - 1
        self._buffer = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Add text; return what can be released now. Sets `stopped` when a stop string appeared."""
        self._buffer += text
        hits = [i for i in (self._buffer.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            out, self._buffer = self._buffer[: min(hits)], ""
            return out
        # Release up to the longest suffix that is a prefix of some stop string.
        for keep in range(min(self._hold, len(self._buffer)), 0, -1):
            tail = self._buffer[-keep:]
            if any(s.startswith(tail) for s in self.stops):
                cut = len(self._buffer) - keep
                break
        else:
            cut = len(self._buffer)
        out, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return out

    def flush(self) -> str:
        out, self._buffer = self._buffer, ""
        return out


class IncrementalText:
    """Turns the growing decode of all new tokens into releasable pieces: holds back an incomplete
    UTF-8 character (decoded as U+FFFD) and anything the stop scanner holds back."""

    def __init__(self, stops: Iterable[str]):
        self.scanner = StopScanner(stops)
        self._released_upto = ""

    @property
    def stopped(self) -> bool:
        return self.scanner.stopped

    def update(self, decoded: str) -> str:
        if decoded.endswith("\ufffd"):
            return ""
        piece, self._released_upto = decoded[len(self._released_upto):], decoded
        return self.scanner.feed(piece)

    def finish(self) -> str:
        """What is still held back, unless a stop string ended the text."""
        return "" if self.scanner.stopped else self.scanner.flush()


@dataclass
class CancelToken:
    """Set from another thread or a signal handler; engines check it between tokens."""

    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Engine(ABC):
    """One loaded model. Subclasses implement `stream`."""

    name: str = "engine"
    model_id: str = ""
    has_adapter: bool = False
    supports_grammar: bool = False
    context_length: int = 4096

    def __init__(self) -> None:
        self.cancel = CancelToken()

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        *,
        stop: Sequence[str] = (),
        max_new_tokens: int = 256,
        sampling: Sampling = Sampling(),
        adapter: bool = False,
        grammar: Any = None,
        tools: list[dict] | None = None,
    ) -> Iterator[str | Usage]:
        """Yield text chunks, then one Usage. `grammar` comes from `compile_grammar` (or is None);
        `tools` (function schemas) are rendered by the chat template, for native tool calling."""

    def warm(self, messages: Sequence[Message], *, adapter: bool = False, tools: list[dict] | None = None) -> None:
        """Compute the state of these messages' fixed prefix ahead of the first request (the REPL
        calls it in the background while the user types). Engines without a prefix store do nothing."""

    def compile_grammar(self, json_schema: dict) -> Any:
        """An engine-specific constraint object for `stream(grammar=...)`; None if unsupported."""
        return None

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt length in tokens; engines override with their tokenizer."""
        return sum(len(str(m.get("content", ""))) for m in messages) // 3

    def generate(self, messages: Sequence[Message], **kwargs: Any) -> Generation:
        parts: list[str] = []
        usage = Usage(0, 0, 0.0)
        for item in self.stream(messages, **kwargs):
            if isinstance(item, Usage):
                usage = item
            else:
                parts.append(item)
        return Generation("".join(parts), usage)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "model": self.model_id, "adapter": self.has_adapter}


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
