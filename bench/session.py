"""The same questions asked one after another in one chat session, beside `batch`.

`batch` starts every question afresh; the REPL keeps the conversation, so each question also sees
the earlier questions and their traces. This runs each set of bench/guards.py through `batch` and
then as one session, in task order, with the shipped profile, and scores both.

Usage: python bench/session.py [--models 1.5b 0.5b]
"""
from __future__ import annotations

import argparse
import json
import time

from accuracy import KINDS, row
from common import MODELS, OUT, machine, run_batch, score, write_section
from guards import SETS


def run_session(profile: str, tasks, tools, out) -> None:
    from slmreact_cli.events import Answer
    from slmreact_cli.session import SessionOptions, open_session

    options = SessionOptions(model=profile, tools=[str(tools)] if tools else None, log=False)
    with open_session(options) as session, open(tasks) as questions, open(out, "w") as sink:
        for line in questions:
            task = json.loads(line)
            answer: list[str] = []
            start = time.perf_counter()
            session.ask(task["question"], lambda e: answer.append(e.text) if isinstance(e, Answer) else None)
            sink.write(json.dumps({"id": task["id"], "question": task["question"],
                                   "answer": answer[0] if answer else None,
                                   "seconds": round(time.perf_counter() - start, 2)}) + "\n")


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
            out = OUT / f"session-{model}-{set_name}.jsonl"
            run_session(MODELS[model], tasks, tools, out)
            lines.append(row(f"{model} {set_name}, one session", score(tasks, out)))
            print(lines[-1], flush=True)
    write_section("session", "## Batch against one chat session\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
