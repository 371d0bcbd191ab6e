"""The same questions asked one after another in one chat session, beside `batch`.

`batch` starts every question afresh; the REPL keeps the conversation, so each question also sees
the earlier ones. This runs each set of bench/guards.py through `batch` and then as one session, in
task order, with the shipped profile, once for each history setting: "auto" (a question runs on its
own unless it refers back, and then gets the last exchanges; the default) and "full" (every earlier
trace stays in the prompt). It
then runs bench/heldout/followups.jsonl, two-question conversations whose second question refers to
the first answer ("And what is twice that?"), with each history style, and scores the second answer.

Usage: python bench/session.py [--models 1.5b 0.5b]
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from accuracy import KINDS, row
from common import MODELS, OUT, machine, run_batch, score, write_section
from guards import SETS


FOLLOWUPS = Path(__file__).resolve().parent / "heldout" / "followups.jsonl"
HISTORIES = ("auto", "full")


def run_session(profile: str, tasks, tools, out, history: str) -> None:
    from slmreact_cli.events import Answer
    from slmreact_cli.session import SessionOptions, open_session

    options = SessionOptions(model=profile, tools=[str(tools)] if tools else None, log=False)
    with open_session(options) as session, open(tasks) as questions, open(out, "w") as sink:
        session.settings.history = history
        for line in questions:
            task = json.loads(line)
            answer: list[str] = []
            start = time.perf_counter()
            session.ask(task["question"], lambda e: answer.append(e.text) if isinstance(e, Answer) else None)
            sink.write(json.dumps({"id": task["id"], "question": task["question"],
                                   "answer": answer[0] if answer else None,
                                   "seconds": round(time.perf_counter() - start, 2)}) + "\n")


def followup_correct(answer: str | None, task: dict) -> bool:
    if not answer:
        return False
    if task["check"] == "text":
        return task["answer"].lower() in answer.lower()
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", answer.replace(",", ""))]
    return any(abs(n - task["answer"]) <= task["tolerance"] * abs(task["answer"]) for n in numbers)


def run_followups(profile: str, out, history: str) -> int:
    """Each conversation from a fresh history; returns how many second answers are right."""
    from slmreact_cli.events import Answer
    from slmreact_cli.session import SessionOptions, open_session

    right = 0
    with open_session(SessionOptions(model=profile, log=False)) as session, open(FOLLOWUPS) as convs, \
            open(out, "w") as sink:
        session.settings.history = history
        for line in convs:
            task = json.loads(line)
            session.agent.reset()
            answers = []
            for question in task["questions"]:
                got: list[str] = []
                session.ask(question, lambda e: got.append(e.text) if isinstance(e, Answer) else None)
                answers.append(got[0] if got else None)
            correct = followup_correct(answers[-1], task)
            right += correct
            sink.write(json.dumps({"id": task["id"], "answers": answers, "correct": correct}) + "\n")
    return right


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["1.5b"], choices=list(MODELS))
    a = ap.parse_args()
    lines = [f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}. \"batch\": every question afresh; "
             "\"one session\": the same questions in one chat session, in order, as the REPL asks them.", "",
             "| run | " + " | ".join(KINDS) + " | overall | mean s/task |", "|---|" + "---|" * (len(KINDS) + 2)]
    for model in a.models:
        for set_name, (tasks, tools) in SETS.items():
            batch_out = OUT / f"session-{model}-{set_name}-batch.jsonl"
            run_batch(tasks, MODELS[model], batch_out, tools, extra=["--no-log"], quiet=True)
            lines.append(row(f"{model} {set_name}, batch", score(tasks, batch_out)))
            for history in HISTORIES:
                out = OUT / f"session-{model}-{set_name}-{history}.jsonl"
                run_session(MODELS[model], tasks, tools, out, history)
                lines.append(row(f"{model} {set_name}, one session, history {history}", score(tasks, out)))
                print(lines[-1], flush=True)
    total = sum(1 for _ in open(FOLLOWUPS))
    lines += ["", "Follow-up questions (bench/heldout/followups.jsonl, shipped tools): second answers right.", "",
              "| model | " + " | ".join(f"history {h}" for h in HISTORIES) + " |", "|---|" + "---|" * len(HISTORIES)]
    for model in a.models:
        counts = [run_followups(MODELS[model], OUT / f"followups-{model}-{h}.jsonl", h) for h in HISTORIES]
        lines.append(f"| {model} | " + " | ".join(f"{c}/{total}" for c in counts) + " |")
        print(lines[-1], flush=True)
    write_section("session", "## Batch against one chat session\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
