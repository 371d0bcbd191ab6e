"""The calling step alone, on held-out requests: with and without the function-calling adapter.

The requests are make_calls.py's examples drawn from the VALIDATION domains (the same generator as
the training corpus, other domains), each tool set listed in the order a session loads it (the
domain, its fixed distractor, the arithmetic tools). Each goes through `CallingStep.run` on the real
engine with the profile's settings (grammar, token limit, calling format), exactly as react mode
runs it, the retry included; `--adapter` puts a GGUF LoRA on the calling step (the profile's
reasoning adapter is left out: the calling step never uses it).

Reported, over N requests:
- exact: the calls equal the expected ones (independent calls in any order; 30 and 30.0 are equal);
- valid JSON: the first reply reads as a list of calls with no repair (for calling_format "template",
  well-formed `<tool_call>` blocks);
- valid calls: the step ended without an error (after its one retry);
- `[]` where expected: of the requests no tool fits, the share answered with no call; and the
  share of the other requests wrongly answered with none;
- exact per feature (one_call, parallel, enum, optional, nested, list_arg, indirect, dependent).

Usage: python bench/adapter/calls_eval.py [--model qwen2.5-coder-0.5b] [--adapter FILE.gguf] [--n 30]
           [--seed 0] [--calling-format json|template] [--no-grammar] [--out FILE.jsonl]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from call_phrases import tidy  # noqa: E402
from make_calls import ROOT, CallsCorpus, Example  # noqa: E402

from slmreact_cli.config import resolve_model  # noqa: E402
from slmreact_cli.errors import SlmreactError  # noqa: E402
from slmreact_cli.loop.calling import CallingResult, CallingStep  # noqa: E402
from slmreact_cli.models.loader import load_engine  # noqa: E402
from slmreact_cli.settings import CALLING_FORMATS, AgentSettings  # noqa: E402

FEATURES = ["one_call", "parallel", "enum", "optional", "nested", "list_arg", "indirect", "dependent", "no_fit"]


def same_calls(got: list[dict], expected: list[dict]) -> bool:
    """The same calls with the same arguments; the order of independent calls does not matter."""
    def canonical(calls):
        return sorted(json.dumps(tidy(c), sort_keys=True, ensure_ascii=False) for c in calls)
    return canonical(got) == canonical(expected)


def well_formed_first_reply(step: CallingStep, result: CallingResult) -> bool:
    if not result.turns:
        return False
    parsed = step.request.parse(result.turns[0][1], step.tool_params)
    return parsed.ok and not parsed.repairs


def percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "-"


def summary(rows: list[dict]) -> list[str]:
    n = len(rows)
    empty = [r for r in rows if not r["expected"]]
    other = [r for r in rows if r["expected"]]
    lines = [f"exact             {percent(sum(r['exact'] for r in rows), n)}",
             f"valid JSON        {percent(sum(r['well_formed'] for r in rows), n)}",
             f"valid calls       {percent(sum(r['error'] is None for r in rows), n)}",
             f"[] where expected {percent(sum(r['got'] == [] and r['error'] is None for r in empty), len(empty))}",
             f"[] where not      {percent(sum(r['got'] == [] and r['error'] is None for r in other), len(other))}",
             f"retried           {percent(sum(r['retried'] for r in rows), n)}",
             f"seconds/request   {sum(r['seconds'] for r in rows) / max(n, 1):.1f}"]
    by_feature = Counter(f for r in rows for f in r["features"])
    exact_by_feature = Counter(f for r in rows if r["exact"] for f in r["features"])
    lines.append("exact by feature  " + ", ".join(f"{f} {exact_by_feature[f]}/{by_feature[f]}"
                                                   for f in FEATURES if by_feature[f]))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b", help="a profile, as for slmreact --model")
    ap.add_argument("--adapter", help="a GGUF LoRA for the calling step (bench/adapter/README.md)")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calling-format", choices=CALLING_FORMATS, help="default: the profile's")
    ap.add_argument("--no-grammar", action="store_true", help="decode without the calls' grammar")
    ap.add_argument("--out", help="one JSON line per request (default bench/out/calls-eval-MODEL.jsonl)")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be positive")
    if args.adapter and not Path(args.adapter).is_file():
        ap.error(f"adapter file not found: {args.adapter}")
    try:
        profile = resolve_model(args.model).model_copy(update={
            "adapter": str(Path(args.adapter).resolve()) if args.adapter else None, "reasoning_adapter": None})
        settings = AgentSettings.from_profile(profile, {"calling_format": args.calling_format,
                                                        "constrained": False if args.no_grammar else None})
        corpus = CallsCorpus("validation", args.seed, shuffle_tools=False, fixed_distractor=True)
        examples = sorted(corpus.examples(args.n), key=lambda e: e.tool_order)  # one prompt prefix per tool set
        engine = load_engine(profile)
    except SlmreactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    label = f"{profile.name}{' + ' + Path(args.adapter).name if args.adapter else ''}"
    print(f"{label}: {len(examples)} validation requests, calling_format {settings.calling_format}, grammar "
          f"{'on' if settings.constrained and engine.supports_grammar else 'off'}", flush=True)
    out = Path(args.out or ROOT / "bench" / "out" / f"calls-eval-{profile.name}{'-adapter' if args.adapter else ''}"
               ".jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    steps: dict[tuple, CallingStep] = {}
    rows = []
    with open(out, "w") as fh:
        for example in examples:
            key = tuple(example.tool_order)
            if key not in steps:
                steps[key] = CallingStep(engine, corpus.sets.registry(example.tool_order),
                                         constrained=settings.constrained, max_new_tokens=settings.max_new_tokens,
                                         calling_format=settings.calling_format)
            rows.append(evaluate(steps[key], example))
            fh.write(json.dumps(rows[-1], ensure_ascii=False) + "\n")
            print(f"{'ok ' if rows[-1]['exact'] else 'MISS'} {example.action[:70]!r} -> {rows[-1]['raw'][:90]!r}",
                  flush=True)
    print(f"\n{label}, {len(rows)} requests (answers in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out})")
    print("\n".join(summary(rows)))


def evaluate(step: CallingStep, example: Example) -> dict:
    start = time.perf_counter()
    result = step.run(example.question, example.observations, example.actions)
    seconds = time.perf_counter() - start
    return {"domain": example.domain, "kind": example.kind, "features": example.features,
            "action": example.action, "expected": example.calls, "got": result.calls, "error": result.error,
            "source": result.source, "exact": result.error is None and same_calls(result.calls, example.calls),
            "well_formed": well_formed_first_reply(step, result), "retried": result.retried,
            "repairs": result.repairs, "raw": result.turns[0][1] if result.turns else "",
            "seconds": round(seconds, 2)}


if __name__ == "__main__":
    main()
