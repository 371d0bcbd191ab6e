"""Shared helpers for the benchmark scripts: paths, the shared dev set, result sections in RESULTS.md."""
from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _shared_folder() -> Path:
    """The shared folder (dev set, scorer, original loop) beside the checkout or one of its parents."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "score.py").exists():
            return parent / "shared"
    return Path(__file__).resolve().parents[2] / "shared"


SHARED = _shared_folder()
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
MODELS = {"0.5b": "qwen2.5-coder-0.5b", "1.5b": "qwen2.5-coder-1.5b"}


def run_batch(tasks, profile: str, out: Path, tools: Path | None = SHARED / "eval_tools.py", extra=(),
              env: dict | None = None, quiet: bool = False) -> float:
    """`slmreact batch` on a task file in a subprocess; the seconds it took. `tools` None: the shipped tools."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "slmreact_cli", "batch", str(tasks), "--model", profile,
                    *(["--tools", str(tools)] if tools else []), "--out", str(out), *extra], check=True, env=env,
                   stderr=subprocess.DEVNULL if quiet else None)
    return time.perf_counter() - start


def _toml_value(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    return json.dumps(value)  # strings, numbers, booleans and lists are written alike in JSON and TOML


def profile_variant(profile: str, name: str, folder: Path, **changes) -> dict:
    """Environment for subprocesses in which profile `name` is `profile` with `changes` (None drops a
    key), defined in a user config under `folder`; the model cache stays the real one."""
    import os

    from slmreact_cli.config import resolve_model
    from slmreact_cli.paths import cache_dir

    data = resolve_model(profile).model_copy(update=changes).model_dump(exclude_none=True, exclude={"name"})
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "config.toml").write_text(f'[profiles]\n"{name}" = {_toml_value(data)}\n')
    return {**os.environ, "SLMREACT_HOME": str(folder), "SLMREACT_CACHE_DIR": str(cache_dir())}


def gguf_path(profile: str) -> Path:
    from slmreact_cli.config import resolve_model
    from slmreact_cli.models.embedded import EMBEDDED, assemble

    return assemble(EMBEDDED[resolve_model(profile).embedded_file])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def score(tasks: Path, results: Path) -> dict:
    out = subprocess.run([sys.executable, str(SHARED / "score.py"), str(tasks), str(results), "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between `<!-- name:start -->` and `<!-- name:end -->`."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"<!-- {name}:start -->\n{body.rstrip()}\n<!-- {name}:end -->"
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)
