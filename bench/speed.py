"""End-to-end speed, side by side in one run on this machine:
- the seed question: slmreact `ask` against the original loop (../shared/seed_baseline.py), per model;
- Enter to first streamed token, and launch to ready prompt (warm cache, in a real terminal via tmux);
- decode tokens/s of slmreact's llama.cpp engine against raw llama-cpp-python on the same GGUF.
The whole dev set end to end, beside the original loop, is in the accuracy table (bench/accuracy.py).

Usage: python bench/speed.py [--models 1.5b 0.5b]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import MODELS, OUT, SHARED, gguf_path, machine, write_section

SEED = "What is the square root of the difference between 32^2 and 54?"


def seed_slmreact(model: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "slmreact_cli", "ask", "--json", "--no-log", "--model", MODELS[model],
                          SEED], capture_output=True, text=True)
    wall = time.perf_counter() - start
    record = json.loads(out.stdout)
    return record["seconds"], wall, record["answer"] or record["error"]


def seed_baseline(model: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        tasks, out = Path(tmp) / "t.jsonl", Path(tmp) / "o.jsonl"
        tasks.write_text(json.dumps({"id": "seed", "question": SEED}) + "\n")
        subprocess.run([sys.executable, str(SHARED / "seed_baseline.py"), "--model", str(gguf_path(MODELS[model])),
                        "--tools", str(SHARED / "eval_tools.py"), "--tasks", str(tasks), "--out", str(out)],
                       capture_output=True, check=True)
        rec = json.loads(out.read_text())
        return rec["seconds"], rec["final_answer_text"] or rec["error"]


FIRST_TOKEN = r"""
import sys, time
from slmreact_cli.events import ThoughtDelta
from slmreact_cli.session import SessionOptions, open_session
session = open_session(SessionOptions(model=sys.argv[1], log=False))
for question in ("What is 2 plus 2?", sys.argv[2]):
    session.agent.reset()
    start = time.perf_counter()
    for event in session.agent.run(question):
        if isinstance(event, ThoughtDelta) and event.text.strip() and event.text != "Thought:":
            first = time.perf_counter() - start
            break
print(first)
session.close()
"""


def first_token(model: str) -> float:
    out = subprocess.run([sys.executable, "-c", FIRST_TOKEN, MODELS[model], SEED], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def launch_to_prompt(model: str) -> float:
    """A real terminal: seconds from starting `slmreact chat` until its prompt is drawn."""
    name = f"bench-{uuid.uuid4().hex[:6]}"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40",
                    f"{sys.executable} -m slmreact_cli chat --no-log --model {MODELS[model]}"], check=True)
    try:
        while time.perf_counter() - start < 300:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if "/help for commands" in screen:
                return time.perf_counter() - start
            time.sleep(0.05)
        raise TimeoutError("no prompt within 300 s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


RAW = r"""
import sys, time
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=2048, n_threads=2, verbose=False)
prompt = "<|im_start|>user\nWrite a long poem about the sea.<|im_end|>\n<|im_start|>assistant\n"
llm.create_completion(prompt, max_tokens=1)
llm.reset()
times = []
for chunk in llm.create_completion(prompt, max_tokens=64, temperature=0.0, stream=True):
    times.append(time.perf_counter())
print((len(times) - 1) / (times[-1] - times[0]))
"""

OURS = r"""
import sys
from slmreact_cli.config import resolve_model
from slmreact_cli.models.llamacpp import LlamaCppEngine
e = LlamaCppEngine.load(resolve_model(sys.argv[1]).model_copy(update={"engine": "llama.cpp", "max_seq_length": 2048}))
p = [{"role": "user", "content": "Write a long poem about the sea."}]
e.generate(p, max_new_tokens=1); e.reset_cache()
print(e.generate(p, max_new_tokens=64).usage.decode_tokens_per_second)
"""


def decode_pair(model: str) -> tuple[float, float]:
    path = str(gguf_path(MODELS[model]))
    raw = float(subprocess.run([sys.executable, "-c", RAW, path], capture_output=True, text=True,
                               check=True).stdout.strip().splitlines()[-1])
    ours = float(subprocess.run([sys.executable, "-c", OURS, path], capture_output=True, text=True,
                                check=True).stdout.strip().splitlines()[-1])
    return ours, raw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["1.5b", "0.5b"])
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}, all rows in this one run.", "",
             "| model | seed: slmreact s (answer) | seed: original loop s (answer) | speed-up | Enter→first token s | "
             "launch→prompt s | decode tok/s: slmreact / raw llama-cpp-python |",
             "|---|---|---|---|---|---|---|"]
    for model in a.models:
        ours_s, wall, ours_answer = seed_slmreact(model)
        base_s, base_answer = seed_baseline(model)
        ftt = first_token(model)
        launch = launch_to_prompt(model) if shutil.which("tmux") else float("nan")
        ours_tps, raw_tps = decode_pair(model)
        lines.append(f"| {model} | {ours_s:.1f} ({ours_answer[:40]!r}) | {base_s:.1f} ({base_answer[-40:]!r}) | "
                     f"{base_s / ours_s:.1f}x | {ftt:.2f} | {launch:.1f} | {ours_tps:.1f} / {raw_tps:.1f} |")
        print(lines[-1], flush=True)
    lines += ["", "Seed seconds exclude model loading for both (the original loop reports per-task time); "
              "slmreact's default engine for the embedded GGUF profiles is llama.cpp when llama-cpp-python is installed."]
    write_section("speed", "## End-to-end speed\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
