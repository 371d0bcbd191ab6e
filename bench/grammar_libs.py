"""Grammar libraries side by side on the calling step's schema (a list of calls of the given tools):
xgrammar (what slmreact uses), lm-format-enforcer and outlines-core, with the 0.5B's tokenizer.

For each library: schema compile time; then, token by token along the tokenization of valid
target calls (bench/gpu/data/fc_heldout.jsonl), the time to compute the allowed-token set and
advance; whether every valid token was allowed (correctness on valid calls) and whether an
invented tool name was refused. Needs `pip install lm-format-enforcer outlines-core` (bench only).

Usage: python bench/grammar_libs.py [--limit 40]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from common import machine, write_section

from slmreact_cli.loop.calling import calls_schema
from slmreact_cli.paths import cache_dir
from slmreact_cli.tool_loading import load_registry

DATA = Path(__file__).resolve().parent / "gpu" / "data" / "fc_heldout.jsonl"
INVENTED = [{"name": "search_web", "arguments": {"query": "weather in Paris"}}]


def tokenizer():
    from transformers import AutoTokenizer

    folder = next(p for p in sorted((cache_dir() / "converted").glob("qwen2.5-coder-0.5b*")) if p.is_dir())
    return AutoTokenizer.from_pretrained(folder)


class XGrammar:
    name = "xgrammar"

    def __init__(self, tok, schema):
        import xgrammar as xgr

        self.xgr = xgr
        info = xgr.TokenizerInfo.from_huggingface(tok, vocab_size=len(tok))
        self.compiled = xgr.GrammarCompiler(info, max_threads=2, cache_enabled=False).compile_json_schema(
            json.dumps(schema), any_whitespace=False, separators=(", ", ": "))
        self.vocab = len(tok)

    def run(self, ids):
        matcher = self.xgr.GrammarMatcher(self.compiled)
        bitmask = self.xgr.allocate_token_bitmask(1, self.vocab)
        for token in ids:
            matcher.fill_next_token_bitmask(bitmask)
            allowed = bool((bitmask[0, token // 32] >> (token % 32)) & 1)
            if not allowed or not matcher.accept_token(token):
                return False
            yield
        return True


class FormatEnforcer:
    name = "lm-format-enforcer"

    def __init__(self, tok, schema):
        from lmformatenforcer import JsonSchemaParser, TokenEnforcer
        from lmformatenforcer.tokenenforcer import TokenEnforcerTokenizerData

        # Its transformers integration does not import under transformers 5, so the tokenizer data
        # is built here through the documented constructor: (id, text with its leading space, starts
        # a word) for every regular token, decoded after a digit so a leading space survives.
        digit = tok.encode("0", add_special_tokens=False)[-1]
        special = set(tok.all_special_ids)
        regular = []
        for idx in range(len(tok)):
            if idx in special:
                continue
            text = tok.decode([digit, idx])[1:]
            regular.append((idx, text, len(text) > len(tok.decode([idx]))))
        data = TokenEnforcerTokenizerData(regular, lambda ids: tok.decode(ids).rstrip("\ufffd"), tok.eos_token_id,
                                          False, len(tok))
        self.enforcer = TokenEnforcer(data, JsonSchemaParser(schema))

    def run(self, ids):
        prefix: list[int] = []
        for token in ids:
            allowed = self.enforcer.get_allowed_tokens(prefix)
            allowed = getattr(allowed, "allowed_tokens", allowed)
            if token not in set(allowed):
                return False
            prefix.append(token)
            yield
        return True


class OutlinesCore:
    name = "outlines-core"

    def __init__(self, tok, schema):
        from outlines_core import Guide, Index, Vocabulary
        from outlines_core.json_schema import build_regex_from_schema
        from transformers.convert_slow_tokenizer import bytes_to_unicode

        decoder = {v: k for k, v in bytes_to_unicode().items()}
        special = set(tok.all_special_ids)
        tokens: dict[bytes, list[int]] = {}
        for token, idx in tok.get_vocab().items():
            if idx in special or idx == tok.eos_token_id:
                continue
            try:
                tokens.setdefault(bytes(decoder[c] for c in token), []).append(idx)
            except KeyError:
                continue  # added tokens outside the byte alphabet
        self.Guide = Guide
        self.words = (max(tok.get_vocab().values()) + 32) // 32
        regex = build_regex_from_schema(json.dumps(schema), r" ?")
        self.index = Index(regex, Vocabulary(tok.eos_token_id, tokens))

    def run(self, ids):
        import torch

        guide = self.Guide(self.index)
        mask = torch.zeros((self.words,), dtype=torch.int32)  # one bit per token, as xgrammar's
        for token in ids:
            guide.write_mask_into(mask.data_ptr(), mask.numel(), mask.element_size())
            if not (int(mask[token // 32]) >> (token % 32)) & 1:
                return False
            guide.advance(token, return_tokens=False)
            yield
        return True


def drive(lib, ids) -> tuple[bool, list[float]]:
    """Walk `ids` through the library; (all tokens allowed, seconds per token)."""
    times: list[float] = []
    gen = lib.run(ids)
    while True:
        start = time.perf_counter()
        try:
            next(gen)
        except StopIteration as stop:
            return bool(stop.value), times
        times.append(time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=40)
    a = ap.parse_args()
    tok = tokenizer()
    registry = load_registry(None)
    schema = calls_schema(registry)
    rows = [json.loads(line) for line in DATA.read_text().splitlines()][: a.limit]
    targets = [json.dumps(json.loads(r["target"]), ensure_ascii=False) for r in rows]
    lines = [f"Machine: {machine()}. Schema: the calling step's list of calls over the shipped tools "
             f"({len(registry.tools)} tools); tokenizer: Qwen2.5-Coder 0.5B; {len(targets)} valid target calls "
             f"from bench/gpu/data/fc_heldout.jsonl; run {time.strftime('%Y-%m-%d %H:%M')}.", "",
             "| library | version | compile ms | mask+advance ms/token (median) | p95 | valid calls accepted | "
             "invented tool refused |", "|---|---|---|---|---|---|---|"]
    from importlib.metadata import version

    for cls, dist in ((XGrammar, "xgrammar"), (FormatEnforcer, "lm-format-enforcer"), (OutlinesCore, "outlines-core")):
        try:
            start = time.perf_counter()
            lib = cls(tok, schema)
            compile_ms = (time.perf_counter() - start) * 1000
        except Exception as exc:  # a library that cannot take the schema is a result too
            lines.append(f"| {cls.name} | {version(dist)} | failed: {type(exc).__name__}: {str(exc)[:80]} | | | | |")
            print(lines[-1], flush=True)
            continue
        accepted, per_token = 0, []
        for text in targets:
            ok, times = drive(lib, tok.encode(text, add_special_tokens=False))
            accepted += ok
            per_token += times
        refused = not drive(lib, tok.encode(json.dumps(INVENTED), add_special_tokens=False))[0]
        per_token.sort()
        median = statistics.median(per_token) * 1000
        p95 = per_token[int(len(per_token) * 0.95)] * 1000
        lines.append(f"| {cls.name} | {version(dist)} | {compile_ms:.0f} | {median:.3f} | {p95:.3f} | "
                     f"{accepted}/{len(targets)} | {'yes' if refused else 'no'} |")
        print(lines[-1], flush=True)
    write_section("grammar-libs", "## Grammar libraries, side by side\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
