"""Many accuracy runs at once on one large machine (many cores, or a GPU that llama.cpp offloads to).

Each run ("job") is a task file, a model profile and flags, or the original loop on a GGUF. A job is cut
into units, one per tool set, and a pool of workers takes units off one queue in the order of the plan,
so the first jobs of a plan finish first. Each unit is one `slmreact batch` (or one run of the original
loop) in its own process, exactly as bench/split_eval.py runs it, so the figures are the same kind.
When every unit of a job is done, its answers are scored with the shared scorer and written as
bench/out/pe-<job>.jsonl and .json, and its table goes into bench/out/pe-<plan>.md.

Plans:
  validation  every mode of both embedded models with their adapters, and each model without its
              adapter; `choose` then picks each model's mode and adapter setting by a fixed rule.
              Last, react mode with calling_format = "template" on each model, for comparison.
  test        the test split with the chosen settings (bench/out/pe-choice.json), the same without the
              adapter, the original loop beside them, then the modes not chosen. Run once per release
              candidate.
  devcheck    the dev set and both held-out sets with the code under --before and the code here, to show
              that a restructuring keeps the figures (same machine, one run each side).
  guards      the validation split on each model with each guard switched off in turn.
  calls       the function-calling adapter (slmreact_cli/adapters/qwen2.5-coder-MODEL-calls.gguf, by path):
              react on the validation split with it on and off, and `choose_calling_adapter` with the
              calling step's own validation figures (bench/out/calls-eval-*.jsonl, from calls_eval.py);
              it writes the whole choice to bench/out/pe-choice.json for the test plan.
  heldout     the shipped settings of both models on the dev set and both held-out sets (other tool
              designs than the generated splits), for the record.
  reasoning   each model's shipped settings against the same with its retrained reasoning adapter
              (slmreact_cli/adapters/qwen2.5-coder-MODEL-react2.gguf, by path) on the validation split, the
              compound-arithmetic validation questions and the dev set; `choose_reasoning_adapter` keeps
              the retrained one where it answers more (or as many in fewer steps) and records it in
              pe-choice.json for the test plan.

Usage: python bench/parallel_eval.py PLAN [PLAN ...] [--workers 12] [--limit N] [--before DIR] [--only PART ...]

Offloading to a GPU: set SLMREACT_BENCH_GPU_LAYERS (and SLMREACT_BENCH_THREADS) and put
bench/gpu_offload/ on PYTHONPATH; it sets llama.cpp's n_gpu_layers for every process, both loops alike.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import MODELS, OUT, ROOT, SHARED, gguf_path, machine, profile_variant, score
from split_eval import groups, load_tasks, table, tool_steps, write_jsonl

MODES = ("react", "code", "native")
GUARDS = ("repeats", "placeholders", "grounding", "nesting", "history")
HELDOUT = ROOT / "bench" / "heldout"
SETS = {"dev": (SHARED / "dev_tasks.jsonl", [SHARED / "eval_tools.py"]),
        "shop": (HELDOUT / "shop_tasks.jsonl", [HELDOUT / "shop_tools.py"]),
        "shipped": (HELDOUT / "default_tasks.jsonl", None)}


# The settings the validation plan chose in its last full run (bench/RESULTS.md, "Validation split"),
# used where bench/out/pe-choice.json is missing.
SHIPPED = {"mode": "react", "reasoning_adapter": True, "calling_format": "json"}
NO_ADAPTERS = {"reasoning_adapter": None, "adapter": None}


@dataclass
class Job:
    name: str
    tasks: list[dict]
    model: str  # 0.5b or 1.5b
    profile: str | None = None  # None: the original loop
    changes: dict = field(default_factory=dict)  # profile keys changed for this job (a variant profile)
    extra: list[str] = field(default_factory=list)
    code: Path = ROOT  # the checkout whose slmreact_cli runs
    tools: list[Path] | None = None  # None: each task's own tools (generated splits)


def split_tasks(split: str, limit: int) -> list[dict]:
    return load_tasks(split, None, None, limit)


def set_tasks(name: str, limit: int) -> tuple[list[dict], list[Path] | None]:
    path, tools = SETS[name]
    tasks = [json.loads(line) for line in open(path) if line.strip()]
    return (tasks[:limit] if limit else tasks), tools


def set_jobs(name: str, model: str, sets, load, limit: int, **job) -> list[Job]:
    """One job per task set, named by `name` with "{set}" filled in, with the set's tasks and tools."""
    jobs = []
    for which in sets:
        tasks, tools = load(which, limit)
        jobs.append(Job(name.format(set=which), tasks, model, MODELS[model], tools=tools, **job))
    return jobs


def plan_validation(limit: int, **_) -> list[Job]:
    tasks = split_tasks("validation", limit)
    jobs = []
    for model in ("1.5b", "0.5b"):
        jobs += [Job(f"validation-{model}-{mode}", tasks, model, MODELS[model], extra=["--mode", mode])
                 for mode in MODES]
        jobs.append(Job(f"validation-{model}-react-noadapter", tasks, model, MODELS[model],
                        changes={"reasoning_adapter": None}, extra=["--mode", "react"]))
    # the calling step in the chat template's own tool-call format, against react's JSON list above
    jobs += [Job(f"validation-{model}-react-templatecalls", tasks, model, MODELS[model],
                 changes={"calling_format": "template"}, extra=["--mode", "react"]) for model in ("1.5b", "0.5b")]
    return jobs


def choose(summaries: dict[str, dict]) -> dict:
    """The fixed rule that turns validation figures into each model's settings: the mode with the most
    right answers (ties: react, then fewer mean tool steps); the reasoning adapter stays on unless the
    model without it answers more validation tasks in react mode; the calling step moves to the chat
    template's tool-call format only if that answers more validation tasks than the JSON list."""
    def passed(name):
        return summaries[name]["overall"]["passed"]

    def steps(name):
        return summaries[name].get("mean_steps") or 0.0

    choice = {}
    for model in ("1.5b", "0.5b"):
        ranked = sorted(MODES, key=lambda m: (-passed(f"validation-{model}-{m}"), m != "react",
                                              steps(f"validation-{model}-{m}")))
        adapter = passed(f"validation-{model}-react") >= passed(f"validation-{model}-react-noadapter")
        template = passed(f"validation-{model}-react-templatecalls") > passed(f"validation-{model}-react")
        choice[model] = {"mode": ranked[0], "reasoning_adapter": adapter,
                         "calling_format": "template" if template else "json",
                         "validation": {m: passed(f"validation-{model}-{m}") for m in MODES}
                         | {v: passed(f"validation-{model}-react-{v}") for v in ("noadapter", "templatecalls")}}
    return choice


def calling_adapter_file(model: str) -> Path:
    """Where the calls plan expects a model's function-calling adapter (trained and converted there)."""
    return ROOT / "slmreact_cli" / "adapters" / f"{MODELS[model]}-calls.gguf"


def calls_eval_exact(model: str, adapter: bool) -> tuple[int, int]:
    """Exact calls and requests in calls_eval.py's answers for a model, with or without its adapter."""
    path = OUT / f"calls-eval-{MODELS[model]}{'-adapter' if adapter else ''}.jsonl"
    rows = [json.loads(line) for line in open(path) if line.strip()] if path.exists() else []
    return sum(bool(r.get("exact")) for r in rows), len(rows)


def choose_calling_adapter(summaries: dict[str, dict], previous: dict) -> dict:
    """The fixed rule for the function-calling adapter: on for a model only if, on validation domains,
    the calling step alone makes more exact calls with it than without (same requests), and react
    with it answers at least as many validation tasks. The rest of `previous` (mode, reasoning adapter,
    calling format: the validation plan's choice) is kept, and so is the whole choice of a model whose
    two runs are not both in `summaries` (a run with --only)."""
    choice = dict(previous)
    for model in ("1.5b", "0.5b"):
        if not {f"calls-{model}-on", f"calls-{model}-off"} <= summaries.keys():
            continue
        (on, n_on), (off, n_off) = calls_eval_exact(model, True), calls_eval_exact(model, False)
        tasks_on = summaries[f"calls-{model}-on"]["overall"]["passed"]
        tasks_off = summaries[f"calls-{model}-off"]["overall"]["passed"]
        better = n_on > 0 and n_on == n_off and on > off and tasks_on >= tasks_off
        choice[model] = previous.get(model, dict(SHIPPED)) | {
            "calling_adapter": better,
            "calling_validation": {"calls_exact_on": f"{on}/{n_on}", "calls_exact_off": f"{off}/{n_off}",
                                   "tasks_on": tasks_on, "tasks_off": tasks_off}}
    return choice


def reasoning_candidate_file(model: str) -> Path:
    """Where the reasoning plan expects a model's retrained reasoning adapter (trained and converted there)."""
    return ROOT / "slmreact_cli" / "adapters" / f"{MODELS[model]}-react2.gguf"


REASONING_SETS = ("validation", "compound", "dev")


def reasoning_tasks(name: str, limit: int) -> tuple[list[dict], list[Path] | None]:
    """The sets the reasoning plan chooses on: the validation split, the questions one expression answers
    (bench/tasks/compound.py's validation shapes) and the dev set (the tuning set of the first loop)."""
    if name == "validation":
        return split_tasks("validation", limit), None
    if name == "compound":
        return load_tasks("validation", str(ROOT / "bench" / "tasks" / "data" / "compound_validation.jsonl"),
                          None, limit), None
    return set_tasks(name, limit)


def choose_reasoning_adapter(summaries: dict[str, dict], previous: dict) -> dict:
    """The fixed rule for a retrained reasoning adapter: it replaces the shipped one for a model only if,
    over the three sets together, it answers more tasks, or as many in fewer mean tool steps (a full
    tie keeps the shipped one). A model whose six runs are not all in `summaries` (a run with --only)
    keeps its earlier choice, as does the rest of `previous`."""
    choice = dict(previous)
    for model in ("1.5b", "0.5b"):
        names = {side: [f"reasoning-{model}-{side}-{which}" for which in REASONING_SETS] for side in ("current", "new")}
        if not all(name in summaries for side in names.values() for name in side):
            continue
        runs = {side: [summaries[name] for name in names[side]] for side in names}
        passed = {side: sum(r["overall"]["passed"] for r in runs[side]) for side in runs}
        steps = {side: sum(r["mean_steps"] * r["overall"]["n"] for r in runs[side]) for side in runs}
        better = passed["new"] > passed["current"] or (passed["new"] == passed["current"]
                                                       and steps["new"] < steps["current"])
        kept = previous.get(model, dict(SHIPPED))
        adopted = {"reasoning_adapter": True, "reasoning_adapter_file": str(reasoning_candidate_file(model))}
        choice[model] = kept | (adopted if better else {}) | {
            "reasoning_validation": {side: dict(zip(REASONING_SETS, (r["overall"]["passed"] for r in runs[side])))
                                     for side in runs}}
    return choice


def chosen_changes(chosen: dict, model: str) -> dict:
    """Profile changes that give a model the settings the fixed rules picked (`choose`, then
    `choose_calling_adapter` and `choose_reasoning_adapter` on top)."""
    changes = {} if chosen["reasoning_adapter"] else {"reasoning_adapter": None}
    if chosen["reasoning_adapter"] and chosen.get("reasoning_adapter_file"):
        changes["reasoning_adapter"] = chosen["reasoning_adapter_file"]
    if chosen.get("calling_format", "json") != "json":
        changes["calling_format"] = chosen["calling_format"]
    if chosen.get("calling_adapter"):
        changes["adapter"] = str(calling_adapter_file(model))
    return changes


def plan_test(limit: int, **_) -> list[Job]:
    choice = saved_choice()
    tasks = split_tasks("test", limit)
    jobs = []
    for model in ("1.5b", "0.5b"):
        jobs.append(Job(f"test-{model}-default", tasks, model, MODELS[model],
                        extra=["--mode", choice[model]["mode"]], changes=chosen_changes(choice[model], model)))
    for model in ("1.5b", "0.5b"):  # the base model: the same settings with no LoRA in either role
        jobs.append(Job(f"test-{model}-noadapter", tasks, model, MODELS[model],
                        extra=["--mode", choice[model]["mode"]],
                        changes=chosen_changes(choice[model], model) | NO_ADAPTERS))
    jobs += [Job(f"test-{model}-original", tasks, model) for model in ("1.5b", "0.5b")]
    # the other modes, for the side-by-side table only: the choice above was fixed before this ran
    for model in ("1.5b", "0.5b"):
        jobs += [Job(f"test-{model}-{mode}", tasks, model, MODELS[model], extra=["--mode", mode],
                     changes=chosen_changes(choice[model], model))
                 for mode in MODES if mode != choice[model]["mode"]]
    return jobs


CHOICE_FILE = "pe-choice.json"


def saved_choice() -> dict:
    chosen = OUT / CHOICE_FILE
    return json.loads(chosen.read_text()) if chosen.exists() else {"1.5b": dict(SHIPPED), "0.5b": dict(SHIPPED)}


def save_choice(choice: dict) -> None:
    (OUT / CHOICE_FILE).write_text(json.dumps(choice, indent=1))
    print("choice:", json.dumps(choice), flush=True)


def plan_devcheck(limit: int, before: Path | None = None, **_) -> list[Job]:
    if before is None:
        raise SystemExit("devcheck needs --before DIR (a checkout of the code to compare with)")
    return [job for model in ("1.5b", "0.5b") for side, code in (("before", before), ("after", ROOT))
            for job in set_jobs(f"devcheck-{model}-{{set}}-{side}", model, SETS, set_tasks, limit, code=code)]


def plan_guards(limit: int, **_) -> list[Job]:
    """Each guard switched off in turn; a guard the profile already switches off is measured on (its
    job then differs from the profile by having it on)."""
    from slmreact_cli.config import resolve_model

    tasks = split_tasks("validation", limit)
    jobs = []
    for model in ("1.5b", "0.5b"):
        off = list(resolve_model(MODELS[model]).disabled_guards)
        jobs.append(Job(f"guards-{model}-profile", tasks, model, MODELS[model]))
        for guard in GUARDS:
            changed = [g for g in off if g != guard] if guard in off else off + [guard]
            name = f"guards-{model}-{'with' if guard in off else 'no'}-{guard}"
            jobs.append(Job(name, tasks, model, MODELS[model], changes={"disabled_guards": changed}))
    return jobs


def plan_calls(limit: int, **_) -> list[Job]:
    tasks = split_tasks("validation", limit)
    choice = saved_choice()
    jobs = []
    for model in ("1.5b", "0.5b"):
        base = chosen_changes(choice[model] | {"calling_adapter": False}, model)
        jobs.append(Job(f"calls-{model}-off", tasks, model, MODELS[model], extra=["--mode", "react"],
                        changes=base))
        jobs.append(Job(f"calls-{model}-on", tasks, model, MODELS[model], extra=["--mode", "react"],
                        changes=base | {"adapter": str(calling_adapter_file(model))}))
    return jobs


def plan_reasoning(limit: int, **_) -> list[Job]:
    """Each model's shipped settings against the same with its retrained reasoning adapter, on each
    validation set."""
    choice = saved_choice()
    jobs = []
    for model in ("1.5b", "0.5b"):
        current = chosen_changes(choice[model], model)
        retrained = current | {"reasoning_adapter": str(reasoning_candidate_file(model))}
        for side, changes in (("current", current), ("new", retrained)):
            jobs += set_jobs(f"reasoning-{model}-{side}-{{set}}", model, REASONING_SETS, reasoning_tasks, limit,
                             changes=changes)
    return jobs


def plan_heldout(limit: int, **_) -> list[Job]:
    """The shipped settings of both models on the sets of other tool designs: the dev set and both
    held-out sets (reported, never used to choose)."""
    return [job for model in ("1.5b", "0.5b") for job in set_jobs(f"heldout-{model}-{{set}}", model, SETS,
                                                                     set_tasks, limit)]


PLANS = {"validation": plan_validation, "test": plan_test, "devcheck": plan_devcheck, "guards": plan_guards,
         "calls": plan_calls, "reasoning": plan_reasoning, "heldout": plan_heldout}


def unit_groups(job: Job) -> list[tuple[tuple | None, list[dict]]]:
    if job.tools is not None or not job.tasks or "tools" not in job.tasks[0]:
        return [(None, job.tasks)]
    return list(groups(job.tasks).items())


def job_env(job: Job, home: Path) -> tuple[str | None, dict]:
    """The profile name to run and the environment: a variant profile lives in a config of its own."""
    env, profile = dict(os.environ), job.profile
    if job.changes:
        profile = f"{job.profile}-{job.name}"
        env = profile_variant(job.profile, profile, home / job.name, **job.changes)
    env["PYTHONPATH"] = os.pathsep.join([str(job.code), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return profile, env


def run_unit(job: Job, n: int, tools: tuple | None, tasks: list[dict], work: Path,
             setting: tuple[str | None, dict]) -> list[dict]:
    profile, env = setting
    infile, outfile = work / f"{n:02d}.in.jsonl", work / f"{n:02d}.out.jsonl"
    paths = [str(ROOT / p) for p in tools] if tools else [str(p) for p in job.tools or []]
    if job.profile is None:
        write_jsonl(infile, tasks)
        cmd = [sys.executable, str(SHARED / "seed_baseline.py"), "--model", str(gguf_path(MODELS[job.model])),
               "--tasks", str(infile), "--out", str(outfile)]
        cmd += [x for p in paths for x in ("--tools", p)]
    else:
        write_jsonl(infile, [{"id": t["id"], "question": t["question"]} for t in tasks])
        cmd = [sys.executable, "-m", "slmreact_cli", "batch", str(infile), "--model", profile,
               "--out", str(outfile), *[x for p in paths for x in ("--tools", p)], *job.extra]
    log = open(work / f"{n:02d}.log", "w")
    proc = subprocess.run(cmd, cwd=job.code, env=env, stdout=log, stderr=subprocess.STDOUT)
    rows = [json.loads(line) for line in open(outfile) if line.strip()] if outfile.exists() else []
    if proc.returncode not in (0, 1) or len(rows) != len(tasks):
        print(f"  {job.name} unit {n}: exit {proc.returncode}, {len(rows)}/{len(tasks)} answers "
              f"(see {work / f'{n:02d}.log'})", file=sys.stderr, flush=True)
    return rows


def summarize(job: Job, results: list[dict]) -> tuple[dict, list[str]]:
    tasks_file, results_file = OUT / f"pe-{job.name}.tasks.jsonl", OUT / f"pe-{job.name}.jsonl"
    write_jsonl(tasks_file, job.tasks)
    write_jsonl(results_file, results)
    summary = score(tasks_file, results_file)
    failed = set(summary["failed"])
    lines = table(job.tasks, results, {t["id"]: t["id"] not in failed for t in job.tasks})
    by_id = {r["id"]: r for r in results}
    steps = [tool_steps(by_id.get(t["id"], {})) or 0 for t in job.tasks]
    summary["mean_steps"] = round(sum(steps) / max(len(steps), 1), 3)
    (OUT / f"pe-{job.name}.json").write_text(json.dumps({"job": job.name, "summary": summary}, indent=1))
    return summary, [f"**{job.name}**", "", *lines, ""]


def run_plan(jobs: list[Job], workers: int, home: Path) -> dict[str, dict]:
    units: queue.Queue = queue.Queue()
    pending, results, lock = {}, defaultdict(dict), threading.Lock()
    summaries, markdown = {}, []
    settings = {job.name: job_env(job, home) for job in jobs}
    for job in jobs:
        work = OUT / f"pe-{job.name}"
        work.mkdir(parents=True, exist_ok=True)
        parts = unit_groups(job)
        pending[job.name] = len(parts)
        for n, (tools, tasks) in enumerate(parts):
            units.put((job, n, tools, tasks, work))
    start = time.perf_counter()

    def worker() -> None:
        while True:
            try:
                job, n, tools, tasks, work = units.get_nowait()
            except queue.Empty:
                return
            rows = run_unit(job, n, tools, tasks, work, settings[job.name])
            with lock:
                results[job.name][n] = rows
                pending[job.name] -= 1
                if pending[job.name]:
                    continue
            merged = [r for k in sorted(results[job.name]) for r in results[job.name][k]]
            summary, lines = summarize(job, merged)
            with lock:
                summaries[job.name] = summary
                markdown.extend(lines)
                o = summary["overall"]
                print(f"[{time.perf_counter() - start:6.0f} s] {job.name}: {o['passed']}/{o['n']}", flush=True)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    order = {job.name: i for i, job in enumerate(jobs)}
    return dict(sorted(summaries.items(), key=lambda kv: order[kv[0]])), markdown


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("plans", nargs="+", choices=list(PLANS))
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    ap.add_argument("--limit", type=int, default=0, help="only N tasks per job (a smoke run)")
    ap.add_argument("--before", type=Path, help="devcheck: the checkout to compare with")
    ap.add_argument("--only", nargs="+", help="run only the jobs whose names contain one of these")
    ap.add_argument("--home", type=Path, default=OUT / "pe-home", help="folder for variant profiles")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for plan in a.plans:
        jobs = PLANS[plan](a.limit, before=a.before)
        jobs = [j for j in jobs if not a.only or any(part in j.name for part in a.only)]
        summaries, markdown = run_plan(jobs, a.workers, a.home)
        header = [f"Plan `{plan}`: {len(jobs)} runs. Machine: {machine()}; GPU layers "
                  f"{os.environ.get('SLMREACT_BENCH_GPU_LAYERS', '0')}, {a.workers} runs at a time. "
                  f"Run {time.strftime('%Y-%m-%d %H:%M')}.", ""]
        (OUT / f"pe-{plan}.md").write_text("\n".join(header + markdown))
        if plan == "validation" and len(summaries) == len(PLANS[plan](a.limit)):
            save_choice(choose(summaries))
        if plan == "calls" and not a.limit:  # each model whose two runs both finished
            save_choice(choose_calling_adapter(summaries, saved_choice()))
        if plan == "reasoning" and not a.limit:  # each model whose six runs all finished
            save_choice(choose_reasoning_adapter(summaries, saved_choice()))


if __name__ == "__main__":
    main()
