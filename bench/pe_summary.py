"""Side-by-side tables of finished bench/parallel_eval.py jobs, for bench/RESULTS.md.

parallel_eval writes one table per job; this puts jobs next to each other: accuracy per kind in
columns, one row per job, with mean tool steps against the tasks' minimum and mean seconds.

Usage: python bench/pe_summary.py [--out DIR] JOB-OR-PREFIX ...   (e.g. test-1.5b validation guards-1.5b)
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import OUT
from split_eval import KINDS, tool_steps


def job_names(folder: Path, patterns: list[str]) -> list[str]:
    names = sorted(p.name[3:-5] for p in folder.glob("pe-*.json") if p.name != "pe-choice.json")
    picked = []
    for pattern in patterns:
        picked += [n for n in names if (n == pattern or n.startswith(pattern + "-")) and n not in picked]
    return picked


def row(folder: Path, job: str) -> str:
    summary = json.loads((folder / f"pe-{job}.json").read_text())["summary"]
    tasks = [json.loads(line) for line in open(folder / f"pe-{job}.tasks.jsonl")]
    results = {r["id"]: r for r in map(json.loads, open(folder / f"pe-{job}.jsonl"))}
    per_kind = summary["per_kind"]
    cells = [f"{per_kind[k]['passed']}/{per_kind[k]['n']}" if k in per_kind else "" for k in KINDS]
    answered = [t for t in tasks if t["id"] in results]
    steps = sum(tool_steps(results[t["id"]]) or 0 for t in answered) / max(len(answered), 1)
    minimum = sum(t.get("min_steps", 0) for t in tasks) / max(len(tasks), 1)
    overall = summary["overall"]
    seconds = f"{overall['mean_seconds']:.1f}" if answered else "-"
    no_tool = [t for t in tasks if t["kind"] == "no_tool"]
    if all(isinstance(results[t["id"]].get("steps"), list) for t in answered):
        quiet = sum(1 for t in no_tool
                    if t["id"] in results and not any(s.get("calls") for s in results[t["id"]]["steps"]))
        quiet_cell, steps_cell = f"{quiet}/{len(no_tool)}", f"{steps:.2f} ({minimum:.2f})"
    else:  # the original loop records a step count, not the steps themselves
        quiet_cell, steps_cell = "-", f"- ({minimum:.2f})"
    return (f"| {job} | " + " | ".join(cells) + f" | **{overall['passed']}/{overall['n']} ({overall['accuracy']:.0%})** | "
            f"{steps_cell} | {quiet_cell} | {seconds} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("jobs", nargs="+")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    print("| run | " + " | ".join(KINDS) + " | overall | tool steps (min) | no-tool without a call | mean s |")
    print("|---|" + "---|" * (len(KINDS) + 4))
    for job in job_names(a.out, a.jobs):
        print(row(a.out, job))


if __name__ == "__main__":
    main()
