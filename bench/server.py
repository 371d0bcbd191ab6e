"""The `openai` engine against llama-cpp-python's OpenAI-compatible server, beside the in-process
llama.cpp engine on the same GGUF: the seed question, the dev set (accuracy and seconds), and
several users asking at once. Writes the `server` section of bench/RESULTS.md.

Usage: python bench/server.py [--model 1.5b] [--users 1 2 4] [--no-dev-set]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import MODELS, OUT, SHARED, gguf_path, machine, run_batch, score, write_section

SEED = "What is the square root of the difference between 32^2 and 54?"
ALIAS = "bench-model"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "8192", "--model_alias", ALIAS,
                             "--n_threads", str(os.cpu_count() or 2)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start")


def write_profile(home: Path, port: int, template_profile: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f"""
[profiles.server]
engine = "openai"
max_seq_length = 8192
[profiles.server.server]
base_url = "http://127.0.0.1:{port}/v1"
model = "{ALIAS}"
api = "completions"
template = "{template_profile}"
grammar = "gbnf"
body = {{ repeat_penalty = 1.0 }}

[profiles.local]
engine = "llama.cpp"
source = "embedded:{gguf_path(template_profile).name}"
max_seq_length = 8192
""")


def ask(profile: str, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "slmreact_cli", "ask", "--json", "--no-log", "--model", profile, SEED],
                         capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    try:
        return seconds, json.loads(out.stdout)["answer"] or "(no answer)"
    except (json.JSONDecodeError, KeyError):
        return seconds, f"(failed: {out.stderr.strip()[-200:]})"


def concurrent(users: int, port: int, template_profile: str) -> tuple[float, float]:
    """`users` clients sending the same amount of work at the same moment (one reasoning turn's
    prompt, up to 48 new tokens, each with its own question): (mean seconds per request, wall
    seconds, new tokens per second over all users)."""
    from slmreact_cli.config import Profile, ServerSettings
    from slmreact_cli.models.openai_api import OpenAIEngine
    from slmreact_cli.prompts import question_message, reasoning_system_prompt
    from slmreact_cli.tool_loading import load_registry

    profile = Profile(name="server", engine="openai", server=ServerSettings(
        base_url=f"http://127.0.0.1:{port}/v1", model=ALIAS, api="completions", template=template_profile,
        body={"repeat_penalty": 1.0}))
    system = {"role": "system", "content": reasoning_system_prompt(load_registry(None))}
    times: list[float] = []
    tokens: list[int] = []

    def one(i: int) -> None:
        engine = OpenAIEngine.load(profile)
        messages = [system, question_message(f"What is {17 + i} times {23 + i}?"),
                    {"role": "assistant", "content": "Thought:"}]
        start = time.perf_counter()
        gen = engine.generate(messages, max_new_tokens=48)
        times.append(time.perf_counter() - start)
        tokens.append(gen.usage.new_tokens)

    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return sum(times) / len(times), wall, sum(tokens) / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="1.5b", choices=list(MODELS))
    ap.add_argument("--tasks", default=str(SHARED / "dev_tasks.jsonl"))
    ap.add_argument("--users", nargs="+", type=int, default=[1, 2, 4])
    ap.add_argument("--no-dev-set", action="store_true")
    ap.add_argument("--only-users", action="store_true", help="only the users-at-once table")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="slmreact-bench-"))
    port = free_port()
    profile = MODELS[a.model]
    write_profile(home, port, profile)
    env = {**os.environ, "SLMREACT_HOME": str(home)}
    env.setdefault("SLMREACT_CACHE_DIR", str(Path.home() / ".cache" / "slmreact"))
    server = start_server(gguf_path(profile), port)
    lines = [f"Model: {profile} (Q4_K_M GGUF). Server: llama-cpp-python's OpenAI-compatible server on 127.0.0.1, "
             f"same machine. Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}.", ""]
    try:
        ask("server", env)  # warm the server's prompt cache and the template cache, as a session would
        rows = ["| engine | seed question s | answer |", "|---|---|---|"]
        if a.only_users:
            rows, a.no_dev_set = [], True
        seed = {}
        for name in (("local", "server") if rows else ()):
            seconds, answer = ask(name, env)
            seed[name] = seconds
            rows.append(f"| {'in-process llama.cpp' if name == 'local' else 'openai (server)'} | {seconds:.1f} | "
                        f"{answer[:60]} |")
        if seed:
            lines += rows + ["", f"Seed question, end to end (process start included): server/in-process = "
                                  f"{seed['server'] / seed['local']:.2f}x.", ""]
        if not a.no_dev_set:
            dev = ["| engine | dev set passed | mean s/task |", "|---|---|---|"]
            for name in ("local", "server"):
                out = OUT / f"server-bench-{name}-{a.model}.jsonl"
                run_batch(a.tasks, name, out, extra=["--no-log"], env=env, quiet=True)
                overall = score(Path(a.tasks), out)["overall"]
                dev.append(f"| {'in-process llama.cpp' if name == 'local' else 'openai (server)'} | "
                           f"{overall['passed']}/{overall['n']} | {overall['mean_seconds']} |")
            lines += dev + [""]
        conc = ["Users at once, each sending one reasoning turn (the shipped tools' system prompt, a question of "
                "its own, up to 48 new tokens):", "",
                "| users at once | mean s per request | wall s | new tokens/s, all users | mean s vs one user |",
                "|---|---|---|---|---|"]
        single = None
        for users in a.users:
            concurrent(1, port, profile)  # the system prompt in the server's cache, as in a session
            mean, wall, rate = concurrent(users, port, profile)
            single = single or mean
            conc.append(f"| {users} | {mean:.2f} | {wall:.2f} | {rate:.1f} | {mean / single:.2f}x |")
        lines += conc
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\n".join(lines), flush=True)
    write_section(f"server-{a.model}{'-users' if a.only_users else ''}", "\n".join(lines))


if __name__ == "__main__":
    main()
