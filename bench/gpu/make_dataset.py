"""Synthetic function-calling data in the original method's format, from the shipped example tools.

Each example is "### Tools: <schemas> ### Query: <request>" mapped to a JSON list of calls, as in the
xLAM data the original adapter was trained on. Requests no tool fits map to []. Writes
bench/gpu/data/fc_train.jsonl and fc_heldout.jsonl (a held-out split, never trained on).

Usage: python bench/gpu/make_dataset.py [--n 400] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from slmreact_cli.tool_loading import load_registry

HERE = Path(__file__).resolve().parent
SYSTEM = "You are a helpful assistant. Below are the tools that you have access to."
UNITS = [("km", "mi"), ("mi", "km"), ("kg", "lb"), ("lb", "kg"), ("C", "F"), ("F", "C"), ("l", "gal"), ("ft", "m"),
         ("mph", "km/h"), ("g", "oz")]
NO_TOOL = ["Tell me a joke about cats.", "Who wrote Hamlet?", "What is the capital of Peru?", "Say hello in French.",
           "Summarise the plot of Romeo and Juliet.", "What colour is the sky?", "Recommend a good book.",
           "Translate 'thank you' into German.", "What is your name?", "Write a haiku about rain.",
           "Which ocean is the largest?", "Explain what a noun is."]


def date(rng):
    return f"{rng.randint(2015, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def one_call(rng):
    kind = rng.choice(["calc", "calc", "units", "add_days", "between", "weekday", "today"])
    if kind == "calc":
        a, b = rng.randint(2, 999), rng.randint(2, 99)
        op, word = rng.choice([("*", "times"), ("+", "plus"), ("-", "minus"), ("/", "divided by")])
        return f"What is {a} {word} {b}?", [{"name": "calculate", "arguments": {"expression": f"{a} {op} {b}"}}]
    if kind == "units":
        src, dst = rng.choice(UNITS)
        v = rng.choice([rng.randint(1, 500), round(rng.uniform(0.5, 300), 1)])
        return (f"Convert {v} {src} to {dst}.",
                [{"name": "convert_units", "arguments": {"value": v, "from_unit": src, "to_unit": dst}}])
    if kind == "add_days":
        d, n = date(rng), rng.randint(-90, 400)
        return (f"Which date is {n} days after {d}?", [{"name": "add_days", "arguments": {"date": d, "days": n}}])
    if kind == "between":
        a, b = date(rng), date(rng)
        return (f"How many days are there from {a} to {b}?",
                [{"name": "days_between", "arguments": {"start": a, "end": b}}])
    if kind == "weekday":
        d = date(rng)
        return f"What day of the week was {d}?", [{"name": "weekday", "arguments": {"date": d}}]
    return "What is today's date?", [{"name": "today", "arguments": {}}]


def example(rng, tools_text):
    roll = rng.random()
    if roll < 0.15:
        query, calls = rng.choice(NO_TOOL), []
    elif roll < 0.35:
        (q1, c1), (q2, c2) = one_call(rng), one_call(rng)
        query, calls = f"{q1.rstrip('?.')} and also: {q2[0].lower()}{q2[1:]}", c1 + c2
    else:
        query, calls = one_call(rng)
    prompt = f"### Tools: \n{tools_text} \n\n### Query: \n{query} \n"
    return {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
            "target": json.dumps(calls, ensure_ascii=False)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--heldout", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    registry = load_registry(None)
    tools_text = json.dumps([{"name": t.name, "description": t.description, "parameters": t.parameters}
                             for t in registry.tools.values()], ensure_ascii=False)
    rng = random.Random(a.seed)
    rows = [example(rng, tools_text) for _ in range(a.n + a.heldout)]
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    for name, part in (("fc_train.jsonl", rows[: a.n]), ("fc_heldout.jsonl", rows[a.n:])):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part))
    meta = {"tools": {t.name: t.parameters for t in registry.tools.values()}}
    (out / "tools.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {a.n} training and {a.heldout} held-out examples to {out}")


if __name__ == "__main__":
    main()
