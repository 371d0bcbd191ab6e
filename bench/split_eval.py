"""Accuracy on one split of the generated benchmark (bench/tasks/): slmreact `batch`, and optionally
the original loop (../shared/seed_baseline.py) beside it, on the same tasks and GGUF.

Tasks are grouped by their tool set (domain, distractor domain, arithmetic), and each group is one
`batch` call that loads exactly that set. Answers are scored with the shared scorer. The table per
kind gives accuracy, mean tool-calling steps against the tasks' minimum, mean calls, mean seconds,
and for no-tool questions how many were answered without a call. The test split is run once per
release candidate; every choice is made on validation.

Outputs: bench/out/split-<split>-<label>.jsonl (results) and .json (summary); --section writes the
table into bench/RESULTS.md between markers. --followups also runs the split's two-question
conversations (bench/tasks/data/followups_<split>.jsonl), each in one session, scoring the second answer.

Usage: python bench/split_eval.py --split validation --models 0.5b [--mode react] [--limit 5]
                                 [--kinds single error] [--baseline] [--extra-flags "--no-grammar"]
                                 [--followups | --followups-only] [--resume] [--section split-validation]
"""
from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from common import MODELS, OUT, ROOT, SHARED, gguf_path, machine, run_batch, score, write_section

sys.path.insert(0, str(ROOT / "bench" / "tasks"))
from generate import KINDS  # noqa: E402

DATA = ROOT / "bench" / "tasks" / "data"


def load_tasks(split: str, path: str | None, kinds: list[str] | None, limit: int) -> list[dict]:
    """The split's tasks; with --limit, the first N taken round-robin over kinds so each kind appears."""
    tasks = [json.loads(line) for line in open(path or DATA / f"{split}.jsonl") if line.strip()]
    if kinds:
        tasks = [t for t in tasks if t["kind"] in kinds]
    if limit:
        by_kind = defaultdict(list)
        for t in tasks:
            by_kind[t["kind"]].append(t)
        picked, i = [], 0
        while len(picked) < min(limit, len(tasks)):
            for group in by_kind.values():
                if i < len(group) and len(picked) < limit:
                    picked.append(group[i])
            i += 1
        tasks = picked
    return tasks


def groups(tasks: list[dict]) -> dict[tuple, list[dict]]:
    out = defaultdict(list)
    for t in tasks:
        out[tuple(t["tools"])].append(t)
    return out


def write_jsonl(path: Path, rows) -> None:
    with open(path, "w") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _done(outfile: Path, group: list[dict]) -> bool:
    """True if an earlier run left answers for exactly these tasks (--resume)."""
    if not outfile.exists():
        return False
    ids = [json.loads(line).get("id") for line in open(outfile) if line.strip()]
    return ids == [t["id"] for t in group]


def run_slmreact(tasks: list[dict], profile: str, work: Path, extra: list[str], resume: bool = False) -> list[dict]:
    results = []
    for n, (tools, group) in enumerate(groups(tasks).items()):
        infile, outfile = work / f"group{n:02d}.jsonl", work / f"group{n:02d}.out.jsonl"
        if not (resume and _done(outfile, group)):
            write_jsonl(infile, [{"id": t["id"], "question": t["question"]} for t in group])
            flags = [x for p in tools[1:] for x in ("--tools", str(ROOT / p))]
            run_batch(infile, profile, outfile, tools=ROOT / tools[0], extra=[*flags, *extra], quiet=True)
        results += [json.loads(line) for line in open(outfile) if line.strip()]
        print(f"  group {n + 1}: {len(group)} tasks done", file=sys.stderr, flush=True)
    return results


def run_baseline(tasks: list[dict], model: str, work: Path) -> list[dict]:
    results = []
    for n, (tools, group) in enumerate(groups(tasks).items()):
        infile, outfile = work / f"base{n:02d}.jsonl", work / f"base{n:02d}.out.jsonl"
        write_jsonl(infile, group)
        cmd = [sys.executable, str(SHARED / "seed_baseline.py"), "--model", str(gguf_path(MODELS[model])),
               "--tasks", str(infile), "--out", str(outfile)]
        for p in tools:
            cmd += ["--tools", str(ROOT / p)]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        results += [json.loads(line) for line in open(outfile) if line.strip()]
    return results


def n_calls(rec: dict) -> int | None:
    steps = rec.get("steps")
    if not isinstance(steps, list):
        return None
    return sum(len(s.get("calls") or []) for s in steps if isinstance(s, dict))


def tool_steps(rec: dict) -> int | None:
    steps = rec.get("steps")
    if not isinstance(steps, list):
        return None
    return sum(1 for s in steps if isinstance(s, dict) and s.get("calls"))


def _mean(values) -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.mean(values):.2f}" if values else "-"


def table(tasks: list[dict], results: list[dict], passed: dict[str, bool]) -> list[str]:
    """Markdown rows per kind and overall."""
    by_id = {r["id"]: r for r in results}
    lines = ["| kind | n | accuracy | steps (min) | calls (min) | mean s | no-tool without a call |",
             "|---|---|---|---|---|---|---|"]
    present = list(dict.fromkeys(t.get("kind", "") for t in tasks))
    kinds = [k for k in KINDS if k in present] + [k for k in present if k not in KINDS and k]
    for kind in kinds + ["overall"]:
        group = [t for t in tasks if kind in ("overall", t["kind"])]
        recs = [by_id.get(t["id"], {}) for t in group]
        ok = sum(passed.get(t["id"], False) for t in group)
        no_tool = [r for t, r in zip(group, recs) if t["kind"] == "no_tool"]
        quiet = f"{sum(1 for r in no_tool if n_calls(r) == 0)}/{len(no_tool)}" if no_tool else ""
        label = f"**{kind}**" if kind == "overall" else kind
        lines.append(f"| {label} | {len(group)} | {ok}/{len(group)} ({ok / len(group):.0%}) | "
                     f"{_mean(tool_steps(r) for r in recs)} ({_mean(t.get('min_steps') for t in group)}) | "
                     f"{_mean(n_calls(r) for r in recs)} ({_mean(t.get('min_calls') for t in group)}) | "
                     f"{_mean(r.get('seconds') for r in recs)} | {quiet} |")
    return lines


def evaluate(label: str, tasks: list[dict], results: list[dict], tag: str) -> list[str]:
    tasks_file, results_file = OUT / f"split-{tag}.tasks.jsonl", OUT / f"split-{tag}.jsonl"
    write_jsonl(tasks_file, tasks)
    write_jsonl(results_file, results)
    summary = score(tasks_file, results_file)
    failed = set(summary["failed"])
    lines = [f"**{label}**", "", *table(tasks, results, {t["id"]: t["id"] not in failed for t in tasks})]
    (OUT / f"split-{tag}.json").write_text(json.dumps({"label": label, "summary": summary}, indent=1))
    return lines


def shared_scorer():
    """../shared/score.py as a module, for scoring answers one by one."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("shared_score", SHARED / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_followups(split: str, profile: str, mode: str | None, out: Path) -> list[str]:
    """Each two-question conversation in one session (fresh history) with its tool set; the second
    answer is scored. Returns the table lines."""
    from slmreact_cli.events import Answer
    from slmreact_cli.session import SessionOptions, open_session

    scorer = shared_scorer()
    convs = [json.loads(line) for line in open(DATA / f"followups_{split}.jsonl") if line.strip()]
    rows = []
    for tools, group in groups(convs).items():
        options = SessionOptions(model=profile, tools=[str(ROOT / p) for p in tools], log=False, mode=mode)
        with open_session(options) as session:
            for conv in group:
                session.agent.reset()
                answers = []
                for question in conv["questions"]:
                    got: list[str] = []
                    session.ask(question, lambda e: got.append(e.text) if isinstance(e, Answer) else None)
                    answers.append(got[0] if got else None)
                rows.append({"id": conv["id"], "kind": conv["kind"], "answers": answers,
                             "correct": scorer.check_answer(conv, answers[-1] or "")})
    write_jsonl(out, rows)
    kinds = sorted({r["kind"] for r in rows})
    lines = ["| follow-up kind | second answer right |", "|---|---|"]
    for kind in kinds + ["overall"]:
        group = [r for r in rows if kind in ("overall", r["kind"])]
        lines.append(f"| {kind} | {sum(r['correct'] for r in group)}/{len(group)} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="validation", choices=["train", "validation", "test"])
    ap.add_argument("--tasks", help="a task file instead of bench/tasks/data/<split>.jsonl")
    ap.add_argument("--models", nargs="+", default=["1.5b"], help="0.5b, 1.5b, or any profile / .gguf for --model")
    ap.add_argument("--mode", choices=["react", "native", "code"], help="slmreact --mode (default: the profile's)")
    ap.add_argument("--extra-flags", default="", help="more flags for slmreact batch")
    ap.add_argument("--kinds", nargs="+", choices=KINDS)
    ap.add_argument("--limit", type=int, default=0, help="only N tasks, spread over kinds (a smoke run)")
    ap.add_argument("--baseline", action="store_true", help="also run the original loop (0.5b / 1.5b only)")
    ap.add_argument("--resume", action="store_true", help="keep the answers of tool sets an earlier run finished")
    conversations = ap.add_mutually_exclusive_group()
    conversations.add_argument("--followups", action="store_true", help="also run the split's two-question conversations")
    conversations.add_argument("--followups-only", action="store_true",
                               help="only the split's two-question conversations (no batch, no --baseline)")
    ap.add_argument("--section", help="write the tables into bench/RESULTS.md under this marker name")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    tasks = load_tasks(a.split, a.tasks, a.kinds, a.limit)
    extra = shlex.split(a.extra_flags) + (["--mode", a.mode] if a.mode else [])
    lines = [f"Split `{a.split}`: {len(tasks)} tasks over {len({t['domain'] for t in tasks})} domains "
             f"({len(groups(tasks))} tool sets). Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}. "
             "Steps and calls: mean per task, the tasks' minimum in brackets.", ""]
    for model in a.models:
        profile = MODELS.get(model, model)
        tag = f"{a.split}-{Path(model).stem if model.endswith('.gguf') else model}{'-' + a.mode if a.mode else ''}"
        work = OUT / f"split-{tag}"
        work.mkdir(parents=True, exist_ok=True)
        if not a.followups_only:
            results = run_slmreact(tasks, profile, work, extra, a.resume)
            lines += evaluate(f"slmreact {model} {' '.join(extra)}".strip(), tasks, results, tag) + [""]
        if a.followups or a.followups_only:
            lines += [f"**follow-ups, slmreact {model}**", "",
                      *run_followups(a.split, profile, a.mode, OUT / f"split-{tag}-followups.jsonl"), ""]
        if a.baseline and model in MODELS and not a.followups_only:
            base = run_baseline(tasks, model, work)
            lines += evaluate(f"original loop {model}", tasks, base, f"{a.split}-{model}-baseline") + [""]
        print("\n".join(lines), flush=True)
    if a.section:
        write_section(a.section, "\n".join(lines))


if __name__ == "__main__":
    main()
