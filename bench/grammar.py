"""The function-calling step with and without grammar constraints, per engine, on held-out requests
(bench/gpu/data/fc_heldout.jsonl: requests over the shipped tools, a sixth of them with no fitting tool).

For each request the calling step runs with the Action text forced through the model (no shortcut).
Reports: valid calls without any repair, calls needing repair, failures after the retry, exact
matches, and milliseconds per calling step.

Usage: python bench/grammar.py [--model 0.5b] [--engines transformers llama.cpp] [--limit 40]
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from common import MODELS, machine, write_section

from slmreact_cli.loop.calling import CallingStep
from slmreact_cli.config import resolve_model
from slmreact_cli.models.loader import load_engine
from slmreact_cli.tool_loading import load_registry

DATA = Path(__file__).resolve().parent / "gpu" / "data" / "fc_heldout.jsonl"


def query_of(row: dict) -> str:
    return row["messages"][-1]["content"].split("### Query: \n", 1)[1].strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="0.5b", choices=list(MODELS))
    ap.add_argument("--engines", nargs="+", default=["transformers", "llama.cpp"])
    ap.add_argument("--limit", type=int, default=40)
    a = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text().splitlines()][: a.limit]
    registry = load_registry(None)
    lines = [f"Machine: {machine()}. Model {a.model}, {len(rows)} held-out requests, run "
             f"{time.strftime('%Y-%m-%d %H:%M')}.", "",
             "| engine | grammar | valid, no repair | repaired | failed | exact | ms per calling step |",
             "|---|---|---|---|---|---|---|"]
    notes: list[str] = []
    for engine_name in a.engines:
        engine = load_engine(resolve_model(MODELS[a.model]).model_copy(update={"engine": engine_name}))
        for constrained in (True, False):
            step = CallingStep(engine, registry, constrained=constrained, use_action_calls=False)
            clean = repaired = failed = exact = 0
            kinds: Counter = Counter()
            seconds = 0.0
            for row in rows:
                start = time.perf_counter()
                result = step.run(query_of(row), [], [query_of(row)])
                seconds += time.perf_counter() - start
                if result.error is not None:
                    failed += 1
                    continue
                if result.repairs or result.retried:
                    repaired += 1
                    kinds.update(result.repairs + (["retried"] if result.retried else []))
                else:
                    clean += 1
                exact += result.calls == json.loads(row["target"])
            n = len(rows)
            lines.append(f"| {engine_name} | {'on' if constrained else 'off'} | {clean}/{n} | {repaired}/{n} | "
                         f"{failed}/{n} | {exact}/{n} | {seconds / n * 1000:.0f} |")
            notes.append(f"{engine_name}, grammar {'on' if constrained else 'off'}: "
                         + (", ".join(f"{k} x{v}" for k, v in kinds.most_common()) or "no repairs"))
            print(lines[-1], notes[-1], flush=True)
        del engine
    lines += ["", "Repairs and retries seen:", *(f"- {n}" for n in notes)]
    write_section("grammar", "## Grammar-constrained calling step\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
