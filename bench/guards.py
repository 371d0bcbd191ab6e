"""The loop's guards (turns drawn again, numbers questioned), on and off, side by side: the dev set
(../shared, eval_tools.py) and a held-out set with other tools and questions (bench/heldout), which
the methods were not tuned on. "off" is the same profile with `redraws = 0` and `grounding = false`.

Usage: python bench/guards.py [--models 1.5b 0.5b]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import tomllib
from pathlib import Path

from common import MODELS, OUT, ROOT, SHARED, machine, run_batch, score, write_section
from accuracy import KINDS, row

SETS = {
    "dev": (SHARED / "dev_tasks.jsonl", SHARED / "eval_tools.py"),
    "held-out": (ROOT / "bench" / "heldout" / "shop_tasks.jsonl", ROOT / "bench" / "heldout" / "shop_tools.py"),
}
OFF = {"redraws": 0, "grounding": False}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def config_with_guards_off(home: Path) -> None:
    """A user config holding `<profile>-guards-off` for each benchmarked profile."""
    tables = []
    for profile in MODELS.values():
        data = tomllib.loads((ROOT / "configs" / f"{profile}.toml").read_text()) | OFF
        tables.append(f'[profiles."{profile}-guards-off"]\n'
                      + "\n".join(f"{k} = {toml_value(v)}" for k, v in data.items()))
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n\n".join(tables) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["1.5b", "0.5b"], choices=list(MODELS))
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}. Held-out set: "
             "`bench/heldout/shop_tasks.jsonl` with `shop_tools.py` (stock, prices, managers, vouchers, "
             "multiply, subtract), written before any run on it.", "",
             "| run | " + " | ".join(KINDS) + " | overall | mean s/task |", "|---|" + "---|" * (len(KINDS) + 2)]
    with tempfile.TemporaryDirectory() as home:
        config_with_guards_off(Path(home))
        from slmreact_cli.paths import cache_dir

        env = os.environ | {"SLMREACT_HOME": home, "SLMREACT_CACHE_DIR": str(cache_dir())}
        for model in a.models:
            for set_name, (tasks, tools) in SETS.items():
                for guards in ("on", "off"):
                    profile = MODELS[model] + ("" if guards == "on" else "-guards-off")
                    out = OUT / f"guards-{model}-{set_name}-{guards}.jsonl"
                    run_batch(tasks, profile, out, tools, extra=["--no-log"], env=env)
                    lines.append(row(f"{model} {set_name}, guards {guards}", score(tasks, out)))
                    print(lines[-1], flush=True)
    write_section("guards", "## The loop's guards on and off, dev set and held-out set\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
