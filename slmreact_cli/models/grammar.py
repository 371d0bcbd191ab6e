"""Grammar-constrained decoding through xgrammar: the next-token mask that keeps output inside a JSON schema.

A `CompiledSchema` is built once per (tokenizer, schema) and cached, so a tool set's grammar is
compiled once per session, not at every step. Each generation gets a fresh `SchemaMatcher`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

_COMPILERS: dict[int, Any] = {}


class SchemaMatcher:
    """Per-generation state: masks logits and advances on each accepted token."""

    def __init__(self, compiled, vocab_size: int):
        import xgrammar as xgr

        self._xgr = xgr
        self._matcher = xgr.GrammarMatcher(compiled)
        self._bitmask = xgr.allocate_token_bitmask(1, vocab_size)
        self._vocab_size = vocab_size

    def mask(self, logits):
        self._matcher.fill_next_token_bitmask(self._bitmask)
        logits = logits.clone().unsqueeze(0)
        self._xgr.apply_token_bitmask_inplace(logits, self._bitmask.to(logits.device), vocab_size=self._vocab_size)
        return logits[0]

    def accept(self, token: int) -> None:
        if not self._matcher.accept_token(token):
            raise RuntimeError(f"grammar rejected token {token}")

    def is_terminated(self) -> bool:
        return self._matcher.is_terminated()


class CompiledSchema:
    def __init__(self, compiled, vocab_size: int, schema: dict):
        self.compiled = compiled
        self.vocab_size = vocab_size
        self.schema = schema

    def matcher(self) -> SchemaMatcher:
        return SchemaMatcher(self.compiled, self.vocab_size)


def _compiler(tokenizer, vocab_size: int):
    import xgrammar as xgr

    key = id(tokenizer)
    if key not in _COMPILERS:
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        _COMPILERS[key] = xgr.GrammarCompiler(info, max_threads=2)
    return _COMPILERS[key]


@lru_cache(maxsize=32)
def _compile(tokenizer_key: int, schema_json: str, vocab_size: int):
    compiler = _COMPILERS[tokenizer_key]
    # Compact separators and no free whitespace: fewer tokens to decode, and no runaway blank runs.
    return compiler.compile_json_schema(schema_json, any_whitespace=False, separators=(", ", ": "))


def compile_json_schema(tokenizer, schema: dict, *, vocab_size: int) -> CompiledSchema:
    _compiler(tokenizer, vocab_size)
    schema_json = json.dumps(schema)
    return CompiledSchema(_compile(id(tokenizer), schema_json, vocab_size), vocab_size, schema)
