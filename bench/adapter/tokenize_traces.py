"""Token ids and loss labels for the traces, rendered exactly as the loop sends them to the model.

The prompt is the model's own (repaired) chat template over the system message, the question and
the assistant scratchpad being continued, as the engines render it; the scratchpad ends with the
end-of-turn token, which the model must learn to write after its Answer. Labels are -100 except on
the text the model writes (the `trained` segments) and that final token. Token ids come from the
GGUF's own tokenizer, checked against llama.cpp's tokenization of the same text.

Calling-step examples (bench/adapter/make_calls.py) carry their request as "messages" instead of a
system prompt and a question: the prompt is then those messages with the assistant turn opened, as
the calling step sends them, and the one trained segment is the JSON list of calls.

Usage: python bench/adapter/tokenize_traces.py TRACES.jsonl OUT.npz [--model qwen2.5-coder-0.5b]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import gguf_path  # noqa: E402
from slmreact_cli.models.templates import ChatTemplate  # noqa: E402

END_OF_TURN = "<|im_end|>"


def rendered(template: ChatTemplate, trace: dict) -> tuple[str, list[tuple[int, int]]]:
    """A trace's text (its request, then the reply the model continues, then the end of the turn)
    and the character spans the model is trained on."""
    scratch = "".join(text for text, _ in trace["segments"])
    request = trace.get("messages") or [{"role": "system", "content": trace["system"]},
                                        {"role": "user", "content": f"Question: {trace['question']}"}]
    prompt = template.render(request + [{"role": "assistant", "content": scratch}])
    assert prompt.endswith(scratch), "the template must end with the continued scratchpad"
    if "messages" in trace:
        assert prompt == template.render(request) + scratch, "the reply must follow the request's prompt"
    text = prompt + END_OF_TURN
    start = len(prompt) - len(scratch)
    spans = []
    for seg, trained in trace["segments"]:
        if trained:
            spans.append((start, start + len(seg)))
        start += len(seg)
    spans.append((len(prompt), len(text)))
    return text, spans


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("traces")
    ap.add_argument("out")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--max-tokens", type=int, default=2048)
    args = ap.parse_args()
    gguf = Path(gguf_path(args.model))
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    template = ChatTemplate.from_gguf(gguf)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    vocab = Llama(str(gguf), vocab_only=True, verbose=False)
    ids_all, labels_all, offsets = [], [], [0]
    skipped = 0
    for n, line in enumerate(open(args.traces)):
        text, spans = rendered(template, json.loads(line))
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"]
        if n < 20:
            assert ids == vocab.tokenize(text.encode(), add_bos=False, special=True), "tokenizers disagree"
        if len(ids) > args.max_tokens:
            skipped += 1
            continue
        labels = [tok if any(a <= s < b for a, b in spans) else -100
                  for tok, (s, _) in zip(ids, enc["offset_mapping"])]
        ids_all.extend(ids)
        labels_all.extend(labels)
        offsets.append(len(ids_all))
    np.savez_compressed(args.out, ids=np.array(ids_all, dtype=np.int32), labels=np.array(labels_all, dtype=np.int32),
                        offsets=np.array(offsets, dtype=np.int64))
    trained = sum(1 for x in labels_all if x != -100)
    print(f"{len(offsets) - 1} sequences, {len(ids_all)} tokens, {trained} trained, {skipped} too long",
          file=sys.stderr)


if __name__ == "__main__":
    main()
