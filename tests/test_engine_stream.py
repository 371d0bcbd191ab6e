"""`Engine.stream`, the part every engine shares, over an engine that yields scripted pieces: stop
strings split across pieces, cancel, end-of-sequence ids, the token limit and the usage figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import pytest

from slmreact_cli.models.base import Engine, NewText, Piece, Request, Usage

END = 99


@dataclass
class PieceEngine(Engine):
    """Yields `script` (forever, repeating its last piece, when `endless`), then ends as `end` says.
    Records each request, how many pieces it produced and whether the stream closed it."""

    script: list[Piece] = field(default_factory=list)
    endless: bool = False
    end: str = "eos"
    prompt_tokens: int = 10
    cached_tokens: int = 0
    context_length: int = 4096
    end_ids: frozenset[int] = frozenset({END})
    requests: list[Request] = field(default_factory=list)
    produced: int = 0
    closed: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def _pieces(self, request: Request) -> Iterator[Piece]:
        self.requests.append(request)
        request.prompt_tokens, request.cached_tokens = self.prompt_tokens, self.cached_tokens
        try:
            for piece in self.script:
                self.produced += 1
                yield piece
            while self.endless:
                self.produced += 1
                yield self.script[-1]
            request.end = self.end
        finally:
            self.closed = True


def tokens(*texts: str) -> list[Piece]:
    return [Piece(text, token=i) for i, text in enumerate(texts)]


def collect(engine: Engine, **kwargs) -> tuple[list[str], Usage]:
    items = list(engine.stream([{"role": "user", "content": "q"}], **kwargs))
    assert isinstance(items[-1], Usage) and all(isinstance(i, str) for i in items[:-1])
    return items[:-1], items[-1]


def test_a_stop_string_split_across_pieces_ends_the_stream_without_its_text():
    engine = PieceEngine(script=tokens("Thought: ok\nPA", "US", "E and more", "never read"))
    chunks, usage = collect(engine, stop=["PAUSE", "Observation:"])
    assert chunks == ["Thought: ok\n"]  # "PA" and "PAUS" were held back, then dropped with the stop
    assert usage.stop_reason == "stop" and usage.new_tokens == 3
    assert engine.produced == 3 and engine.closed


def test_held_back_text_that_starts_no_stop_string_is_released():
    engine = PieceEngine(script=tokens("a PA", "Y", "S"))
    chunks, usage = collect(engine, stop=["PAUSE"])
    assert "".join(chunks) == "a PAYS" and chunks[0] == "a "
    assert usage.stop_reason == "eos"  # the engine's own end


def test_a_tail_held_back_at_the_end_is_released():
    chunks, usage = collect(PieceEngine(script=tokens("done. PAU")), stop=["PAUSE"])
    assert "".join(chunks) == "done. PAU" and usage.stop_reason == "eos"


def test_cancel_drops_the_next_piece_and_closes_the_engine():
    engine = PieceEngine(script=tokens("one ", "two "), endless=True)
    stream = engine.stream([{"role": "user", "content": "q"}])
    assert next(stream) == "one "
    engine.cancel.cancel()
    rest = list(stream)
    assert rest[:-1] == [] and rest[-1].stop_reason == "interrupted" and rest[-1].new_tokens == 1
    assert engine.closed and engine.produced == 2


def test_cancel_is_seen_while_an_engine_waits():
    """Empty pieces let a waiting engine (a warm-up holding the model) be cancelled."""
    engine = PieceEngine(script=[Piece()], endless=True, prompt_tokens=0)
    engine.cancel.cancel()
    chunks, usage = collect(engine)
    assert chunks == [] and usage.stop_reason == "interrupted"
    assert usage.new_tokens == 0 and usage.prefill_seconds == 0.0 and engine.closed


def test_an_end_of_sequence_id_ends_the_stream_uncounted():
    engine = PieceEngine(script=[Piece("4", 1), Piece("<|im_end|>", END), Piece("never", 2)])
    chunks, usage = collect(engine)
    assert chunks == ["4"] and usage.stop_reason == "eos" and usage.new_tokens == 1


def test_the_token_limit_is_clamped_to_the_context_window():
    engine = PieceEngine(script=tokens("x"), endless=True, prompt_tokens=10, context_length=16)
    chunks, usage = collect(engine, max_new_tokens=256)
    assert usage.stop_reason == "length" and usage.new_tokens == 6 and "".join(chunks) == "x" * 6
    assert engine.produced == 6  # no piece is computed past the limit
    _, usage = collect(engine, max_new_tokens=4)
    assert usage.new_tokens == 4
    _, usage = collect(PieceEngine(script=tokens("x"), endless=True, prompt_tokens=20, context_length=16))
    assert usage.new_tokens == 1  # a prompt past the window still gets one token


def test_text_pieces_are_counted_by_the_backend_not_the_stream():
    """A server or generate() samples and limits by itself: its pieces carry no token, and the
    engine reports the count; the limit does not cut its stream short."""

    class Server(PieceEngine):
        def _pieces(self, request):
            request.new_tokens = 7
            yield from super()._pieces(request)

    engine = Server(script=[Piece("a"), Piece(""), Piece("b")], end="length", context_length=11)
    chunks, usage = collect(engine, max_new_tokens=1)
    assert "".join(chunks) == "ab" and usage.new_tokens == 7 and usage.stop_reason == "length"


def test_usage_reports_the_engine_figures():
    engine = PieceEngine(script=tokens("a", "b", "c"), prompt_tokens=42, cached_tokens=30)
    _, usage = collect(engine)
    assert (usage.prompt_tokens, usage.cached_tokens, usage.new_tokens) == (42, 30, 3)
    assert 0 < usage.prefill_seconds <= usage.seconds


def test_a_trailer_follows_the_text_unless_interrupted():
    class Calls(PieceEngine):
        def _pieces(self, request):
            request.trailer = '<tool_call>\n{"name": "f"}\n</tool_call>'
            yield from super()._pieces(request)

    chunks, _ = collect(Calls(script=tokens("calling PAU")), stop=["PAUSE"])
    assert chunks == ["calling ", "PAU", '<tool_call>\n{"name": "f"}\n</tool_call>']
    cancelled = Calls(script=tokens("x"))
    cancelled.cancel.cancel()
    chunks, usage = collect(cancelled)
    assert chunks == [] and usage.stop_reason == "interrupted"


def test_the_request_carries_the_call():
    engine = PieceEngine(script=tokens("x"))
    engine.generate([{"role": "user", "content": "q"}], stop=["PAUSE"], max_new_tokens=9, role="calling")
    request = engine.requests[0]
    assert request.stop == ("PAUSE",) and request.max_new_tokens == 9 and request.role == "calling"


def test_an_engine_without_grammar_support_refuses_a_grammar():
    engine = PieceEngine(script=tokens("x"))
    assert engine.compile_grammar({"type": "array"}) is None
    with pytest.raises(ValueError, match="cannot constrain"):
        engine.generate([{"role": "user", "content": "q"}], grammar=object())
    assert engine.requests == []


def test_new_text_holds_back_an_incomplete_character():
    text = NewText()
    assert text.update("caf") == "caf"
    assert text.update("caf\ufffd") == ""  # the first byte of "é" alone
    assert text.update("café") == "é"
