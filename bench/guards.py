"""The loop's guards (turns drawn again, numbers questioned), on and off, side by side: the dev set
(../shared, eval_tools.py) and two held-out sets with other tools and questions, written before any
run on them: bench/heldout/shop_* and bench/heldout/default_tasks.jsonl on the shipped tools/.
"off" is the same profile with `redraws = 0` and `grounding = false`; "redraws off" and "grounding
off" switch off one of the two, to tell what each contributes.

Usage: python bench/guards.py [--models 1.5b 0.5b] [--variants on off redraws-off grounding-off]
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
    "shipped-tools": (ROOT / "bench" / "heldout" / "default_tasks.jsonl", None),  # no --tools: tools/
}
# profile keys per variant: "on" is the shipped profile
VARIANTS = {"on": {}, "off": {"redraws": 0, "grounding": False}, "redraws-off": {"redraws": 0},
            "grounding-off": {"grounding": False}}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def config_with_variants(home: Path) -> None:
    """A user config holding `<profile>-<variant>` for each benchmarked profile and variant."""
    tables = []
    for profile in MODELS.values():
        shipped = tomllib.loads((ROOT / "configs" / f"{profile}.toml").read_text())
        for variant, keys in VARIANTS.items():
            if keys:
                tables.append(f'[profiles."{profile}-{variant}"]\n'
                              + "\n".join(f"{k} = {toml_value(v)}" for k, v in (shipped | keys).items()))
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n\n".join(tables) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["1.5b", "0.5b"], choices=list(MODELS))
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')}. Held-out sets, written before "
             "any run on them: `bench/heldout/shop_tasks.jsonl` with `shop_tools.py` (stock, prices, managers, "
             "vouchers, multiply, subtract), and `bench/heldout/default_tasks.jsonl` with the shipped `tools/` "
             "(shipped-tools).", "",
             "| run | " + " | ".join(KINDS) + " | overall | mean s/task |", "|---|" + "---|" * (len(KINDS) + 2)]
    with tempfile.TemporaryDirectory() as home:
        config_with_variants(Path(home))
        from slmreact_cli.paths import cache_dir

        env = os.environ | {"SLMREACT_HOME": home, "SLMREACT_CACHE_DIR": str(cache_dir())}
        for model in a.models:
            for set_name, (tasks, tools) in SETS.items():
                for variant in a.variants:
                    profile = MODELS[model] + ("" if variant == "on" else f"-{variant}")
                    out = OUT / f"guards-{model}-{set_name}-{variant}.jsonl"
                    run_batch(tasks, profile, out, tools, extra=["--no-log"], env=env)
                    label = {"on": "guards on", "off": "guards off"}.get(variant, variant.replace("-", " "))
                    lines.append(row(f"{model} {set_name}, {label}", score(tasks, out)))
                    print(lines[-1], flush=True)
    write_section("guards", "## The loop's guards on and off, dev set and held-out sets\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
