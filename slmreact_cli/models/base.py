"""The engine contract: chat messages in, streamed text chunks out, usage figures at the end.

`Engine.stream()` is the same for every engine: it clamps the token limit to the context window,
ends on stop strings (never on one tokenizer's token id; the stop text itself is not yielded), on
the cancel flag and on end-of-sequence ids, releases the held-back tail and yields one `Usage` last.
An engine implements only `_pieces()`, a generator of what its backend produces (`Piece`s), and
reports its figures on the `Request` it is handed.

A call runs in one of two roles: "reasoning" (the ReAct turns) or "calling" (the function-calling
step). One base model serves both; a profile may give either role a LoRA of its own (`adapter` for
calling, `reasoning_adapter` for reasoning), which is on in that role only.
A final message with role "assistant" is continued rather than answered (assistant prefill).
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Literal, Sequence

Message = dict[str, Any]  # {"role": ..., "content": ...}
Role = Literal["reasoning", "calling"]
ROLES: tuple[Role, ...] = ("reasoning", "calling")
LoadProgress = Callable[[str, int, int], None]  # (stage, done, total)


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
class Completion:
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


class NewText:
    """Turns the growing decode of all new tokens into the text added since the last call, holding
    back an incomplete UTF-8 character (decoded as U+FFFD) until the tokens that finish it arrive."""

    def __init__(self) -> None:
        self._released_upto = ""

    def update(self, decoded: str) -> str:
        if decoded.endswith("\ufffd"):
            return ""
        piece, self._released_upto = decoded[len(self._released_upto):], decoded
        return piece


@dataclass(frozen=True)
class Piece:
    """What an engine's `_pieces()` yields.

    With `token`, one sampled token: `stream()` checks it against the end-of-sequence ids, counts
    it and stops at the token limit. Without, text from a backend that samples and limits by itself
    (a server, `generate()`), which reports `Request.new_tokens`. A piece with neither text nor token
    lets `stream()` check the cancel flag while the engine waits."""

    text: str = ""
    token: int | None = None


@dataclass
class Request:
    """One `stream()` call as `_pieces()` sees it, and the figures the engine reports back."""

    messages: Sequence[Message]
    stop: tuple[str, ...]
    max_new_tokens: int
    sampling: Sampling
    role: Role
    grammar: Any
    tools: list[dict] | None
    context_length: int
    # Reported by the engine. Set `prompt_tokens` as soon as the prompt is encoded: the token limit
    # depends on it.
    prompt_tokens: int = 0
    cached_tokens: int = 0
    new_tokens: int | None = None  # where the backend counts them; else the counted pieces
    end: str = "length"  # why the pieces ran out, where the backend ended by itself
    trailer: str = ""  # text after the output, outside stop-string matching (a server's native tool calls)

    @property
    def token_limit(self) -> int:
        """`max_new_tokens`, clamped so that the prompt and the reply fit the context window."""
        if self.prompt_tokens + self.max_new_tokens > self.context_length:
            return max(1, self.context_length - self.prompt_tokens)
        return self.max_new_tokens


@dataclass
class CancelToken:
    """Set from another thread or a signal handler; `stream()` checks it between pieces."""

    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Engine(ABC):
    """One loaded model. Subclasses implement `_pieces` (and `load`, where a profile names them)."""

    name: str = "engine"
    model_id: str = ""
    supports_grammar: bool = False  # False: `compile_grammar` gives None, and a grammar is refused
    context_length: int = 4096
    lora_roles: frozenset[Role] = frozenset()  # the roles that run with a LoRA of their own
    end_ids: frozenset[int] = frozenset()  # token ids that end the sequence
    prefix_cache_enabled: bool = True  # reuse the state of the prompt prefix shared with earlier calls

    def __init__(self) -> None:
        self.cancel = CancelToken()

    @classmethod
    def load(cls, profile: Any, progress: LoadProgress | None = None) -> "Engine":
        """The engine for `profile` (a config.Profile, which imports this module), loaded; the loader's
        table calls it (see loader.load_engine)."""
        raise NotImplementedError(f"{cls.__name__} is not loaded from a profile")

    def stream(
        self,
        messages: Sequence[Message],
        *,
        stop: Sequence[str] = (),
        max_new_tokens: int = 256,
        sampling: Sampling = Sampling(),
        role: Role = "reasoning",
        grammar: Any = None,
        tools: list[dict] | None = None,
    ) -> Iterator[str | Usage]:
        """Yield text chunks, then one Usage. `grammar` comes from `compile_grammar` (or is None);
        `tools` (function schemas) are rendered by the chat template, for native tool calling."""
        if grammar is not None and not self.supports_grammar:
            raise ValueError(f"the {self.name} engine cannot constrain its output to a grammar")
        timer = Timer()
        request = Request(messages, tuple(stop), max_new_tokens, sampling, role, grammar, tools,
                          self.context_length)
        scanner = StopScanner(stop)
        reason: str | None = None
        counted = 0
        first_at: float | None = None
        pieces = self._pieces(request)
        try:
            for piece in pieces:
                if first_at is None and (piece.text or piece.token is not None):
                    first_at = timer.elapsed()
                if self.cancel.cancelled:
                    reason = "interrupted"
                    break
                if piece.token is not None:
                    if piece.token in self.end_ids:
                        reason = "eos"
                        break
                    counted += 1
                out = scanner.feed(piece.text)
                if out:
                    yield out
                if scanner.stopped:
                    reason = "stop"
                    break
                if piece.token is not None and counted >= request.token_limit:
                    reason = "length"
                    break
        finally:
            pieces.close()  # the engine's cleanup runs now, and its figures are final
        if not scanner.stopped:
            tail = scanner.flush()
            if tail:
                yield tail
        reason = reason or request.end
        if request.trailer and reason != "interrupted":
            yield request.trailer
        yield Usage(prompt_tokens=request.prompt_tokens,
                    new_tokens=counted if request.new_tokens is None else request.new_tokens,
                    seconds=timer.elapsed(), cached_tokens=request.cached_tokens, stop_reason=reason,
                    prefill_seconds=first_at or 0.0)

    @abstractmethod
    def _pieces(self, request: Request) -> Iterator[Piece]:
        """What the backend produces for this request, as it comes. Stopping is `stream()`'s job:
        it closes this generator when it has enough, so cleanup belongs in `finally`."""

    def warm(self, messages: Sequence[Message], *, role: Role = "reasoning", tools: list[dict] | None = None) -> None:
        """Compute the state of these messages' fixed prefix ahead of the first request (the REPL
        calls it in the background while the user types). Engines without a prefix store do nothing."""

    def reset_cache(self) -> None:
        """Forget every stored prompt state; the next call prefills its whole prompt."""

    def compile_grammar(self, json_schema: dict) -> Any:
        """An engine-specific constraint object for `stream(grammar=...)`; None if unsupported."""
        return None

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt length in tokens; engines override with their tokenizer."""
        return sum(len(str(m.get("content", ""))) for m in messages) // 3

    def generate(self, messages: Sequence[Message], **kwargs: Any) -> Completion:
        parts: list[str] = []
        usage = Usage(0, 0, 0.0)
        for item in self.stream(messages, **kwargs):
            if isinstance(item, Usage):
                usage = item
            else:
                parts.append(item)
        return Completion("".join(parts), usage)


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
