"""Dev-set accuracy: slmreact `batch` against the original loop (../shared/seed_baseline.py), same tasks,
same tools, same GGUF, run side by side. Writes bench/out/*.jsonl and the table in bench/RESULTS.md.

Usage: python bench/accuracy.py [--models 0.5b 0.5b-no-adapter 1.5b] [--no-baseline | --baseline-for 0.5b]
                               [--extra-flags "--no-grammar"]
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import MODELS, OUT, SHARED, gguf_path, machine, profile_variant, run_batch, score, write_section

# Runs of a profile with a setting changed: (profile, changes).
VARIANTS = {"0.5b-no-adapter": ("0.5b", {"reasoning_adapter": None})}

KINDS = ["single", "chain2", "chain3", "parallel", "no_tool", "error"]


def run_baseline(model: str, tasks, out, lenient: bool) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, str(SHARED / "seed_baseline.py"), "--model", str(gguf_path(MODELS[model])),
           "--tools", str(SHARED / "eval_tools.py"), "--tasks", str(tasks), "--out", str(out)]
    subprocess.run(cmd + (["--lenient"] if lenient else []), check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def row(label: str, summary: dict) -> str:
    cells = []
    for kind in KINDS:
        s = summary["per_kind"].get(kind)
        cells.append(f"{s['passed']}/{s['n']}" if s else "-")
    o = summary["overall"]
    return f"| {label} | " + " | ".join(cells) + f" | **{o['passed']}/{o['n']}** | {o['mean_seconds']} |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["0.5b", "1.5b"], choices=[*MODELS, *VARIANTS])
    ap.add_argument("--tasks", default=str(SHARED / "dev_tasks.jsonl"))
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-for", nargs="+", choices=list(MODELS),
                    help="run the original loop for these models only (default: every model)")
    ap.add_argument("--extra-flags", default="", help="extra flags for slmreact batch, e.g. --no-grammar")
    ap.add_argument("--label", default="slmreact")
    ap.add_argument("--section", default="accuracy")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f"Dev set: `{a.tasks.split('/')[-1]}`, tools `eval_tools.py`. Machine: {machine()}. "
             f"Run {time.strftime('%Y-%m-%d %H:%M')}.", "",
             "| run | " + " | ".join(KINDS) + " | overall | mean s/task |",
             "|---|" + "---|" * (len(KINDS) + 2)]
    for model in a.models:
        tag = f"{model}{'-' + a.label if a.label != 'slmreact' else ''}"
        out = OUT / f"slmreact-{tag}.jsonl"
        if model in VARIANTS:
            base, changes = VARIANTS[model]
            with tempfile.TemporaryDirectory() as home:
                env = profile_variant(MODELS[base], model, Path(home), **changes)
                run_batch(a.tasks, model, out, extra=shlex.split(a.extra_flags), env=env)
        else:
            run_batch(a.tasks, MODELS[model], out, extra=shlex.split(a.extra_flags))
        lines.append(row(f"{a.label} {model} {a.extra_flags}".strip(), score(a.tasks, out)))
        if not a.no_baseline and model in (a.baseline_for or a.models):
            for lenient in (False, True):
                bout = OUT / f"baseline-{model}{'-lenient' if lenient else ''}.jsonl"
                run_baseline(model, a.tasks, bout, lenient)
                lines.append(row(f"original loop {model}{' --lenient' if lenient else ''}", score(a.tasks, bout)))
        print("\n".join(lines), flush=True)
    write_section(a.section, "\n".join(lines))


if __name__ == "__main__":
    main()
