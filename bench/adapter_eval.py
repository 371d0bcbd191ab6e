"""The 0.5B with and without its reasoning adapter, side by side, on the dev set and the two held-out
sets (other tools, and the shipped tools). Writes bench/out/adapter-*.jsonl and the "adapter" table
in bench/RESULTS.md.

Usage: python bench/adapter_eval.py
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import MODELS, OUT, ROOT, SHARED, machine, profile_variant, run_batch, score, write_section

SETS = {"dev": (SHARED / "dev_tasks.jsonl", SHARED / "eval_tools.py"),
        "held-out (shop tools)": (ROOT / "bench" / "heldout" / "shop_tasks.jsonl",
                                  ROOT / "bench" / "heldout" / "shop_tools.py"),
        "shipped tools": (ROOT / "bench" / "heldout" / "default_tasks.jsonl", None)}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = {}
    with tempfile.TemporaryDirectory() as home:
        variants = {"with the adapter": (MODELS["0.5b"], None),
                    "without it": ("0.5b-no-adapter",
                                   profile_variant(MODELS["0.5b"], "0.5b-no-adapter", Path(home),
                                                   reasoning_adapter=None))}
        for label, (profile, env) in variants.items():
            for name, (tasks, tools) in SETS.items():
                out = OUT / f"adapter-{'on' if env is None else 'off'}-{name.split()[0]}.jsonl"
                seconds = run_batch(tasks, profile, out, tools=tools, env=env, quiet=True)
                o = score(tasks, out)["overall"]
                rows.setdefault(name, {})[label] = f"{o['passed']}/{o['n']} ({seconds / o['n']:.1f} s/task)"
                print(name, label, rows[name][label], flush=True)
    labels = list(variants)
    lines = ["## The 0.5B with and without its reasoning adapter", "",
             f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}, both rows of each set in this one run; "
             "seconds per task include loading the model once per set.", "",
             "| set | 0.5B " + " | 0.5B ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    lines += [f"| {name} | " + " | ".join(cells[label] for label in labels) + " |" for name, cells in rows.items()]
    write_section("adapter", "\n".join(lines))


if __name__ == "__main__":
    main()
