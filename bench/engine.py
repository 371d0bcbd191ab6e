"""Engine speed on this machine: first load (GGUF conversion), warm load, prefill and decode tokens/s,
peak memory, for the embedded 0.5B and 1.5B, per engine. Each figure comes from a fresh process.

Usage: python bench/engine.py [--models 0.5b 1.5b] [--engines transformers transformers-int8 llama.cpp] [--cold]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import MODELS, machine, write_section

PROBE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from slmreact_cli.config import resolve_model
from slmreact_cli.models.loader import load_engine
engine_name, profile_name, quantize = sys.argv[1], sys.argv[2], sys.argv[3]
profile = resolve_model(profile_name).model_copy(update={"engine": engine_name, "quantize": quantize})
engine = load_engine(profile)
load_s = time.perf_counter() - t0
text = ("Here is a list of facts about the planets of the Solar System. " * 40).strip()
prompt = [{"role": "user", "content": text + " Summarise it."}]
engine.generate(prompt, max_new_tokens=1)  # warm-up
engine.reset_cache()
pre = engine.generate(prompt, max_new_tokens=1)
engine.reset_cache()
gen = engine.generate([{"role": "user", "content": "Write a long poem about the sea."}], max_new_tokens=64)
print(json.dumps({"load_s": load_s, "prompt_tokens": pre.usage.prompt_tokens,
                  "prefill_tok_s": pre.usage.prompt_tokens / pre.usage.prefill_seconds,
                  "decode_tok_s": gen.usage.decode_tokens_per_second, "new_tokens": gen.usage.new_tokens,
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}))
"""

ENGINES = {"transformers": ("transformers", "none"), "transformers-int8": ("transformers", "int8"),
           "llama.cpp": ("llama.cpp", "none")}


def probe(engine: str, model: str, env: dict) -> dict:
    name, quantize = ENGINES[engine]
    out = subprocess.run([sys.executable, "-c", PROBE, name, MODELS[model], quantize], capture_output=True,
                         text=True, env=env)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_load(model: str) -> float:
    """Seconds to load with an empty conversion cache (the GGUF itself already assembled)."""
    from common import gguf_path

    src = gguf_path(MODELS[model])
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(f"{tmp}/models")
        os.symlink(src, f"{tmp}/models/{src.name}")
        shutil.copy(f"{src}.verified", f"{tmp}/models/{src.name}.verified")
        env = dict(os.environ, SLMREACT_CACHE_DIR=tmp)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys; from slmreact_cli.config import resolve_model;"
                        "from slmreact_cli.models.loader import load_engine;"
                        "load_engine(resolve_model(sys.argv[1]).model_copy(update={'engine': 'transformers'}))",
                        MODELS[model]], check=True, env=env, capture_output=True)
        return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["0.5b", "1.5b"])
    ap.add_argument("--engines", nargs="+", default=list(ENGINES))
    ap.add_argument("--cold", action="store_true", help="also time a load with an empty conversion cache")
    a = ap.parse_args()
    lines = [f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}. One fresh process per row; "
             "prefill over a ~500-token prompt, decode over 64 greedy tokens.", "",
             "| model | engine | load s (warm) | prefill tok/s | decode tok/s | peak RSS GB |", "|---|---|---|---|---|---|"]
    colds = []
    for model in a.models:
        if a.cold:
            colds.append(f"- {model}, transformers, empty conversion cache: {cold_load(model):.1f} s")
        for engine in a.engines:
            r = probe(engine, model, dict(os.environ))
            if "error" in r:
                lines.append(f"| {model} | {engine} | error: {r['error'][:80]} | | | |")
            else:
                lines.append(f"| {model} | {engine} | {r['load_s']:.1f} | {r['prefill_tok_s']:.0f} | "
                             f"{r['decode_tok_s']:.1f} | {r['peak_rss_gb']:.1f} |")
            print(lines[-1], flush=True)
    if colds:
        lines += ["", "First load (GGUF dequantized and saved once to the cache):", *colds]
    write_section("engine", "## Engines\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
