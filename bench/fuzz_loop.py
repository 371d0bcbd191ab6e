"""Hostile model output through the whole loop: how many generated turns end in a traceback.

The strategies of tests/test_fuzz_loop.py (control tokens, broken Action syntax, huge and nested
arguments, lone surrogates, unknown tools, JSON fragments, here also JSON nested past the parsers'
recursion limits) drive `Agent.run` with the real registry and tool worker over the shipped tools
and tests/data/sample_tools.py, in react and native mode, until at least --turns model turns
have run. An exception that escapes `Agent.run`, or a run that ends without an Answer or a
NoAnswer, counts as a traceback; each kind is listed with the place it was raised.

    python bench/fuzz_loop.py --turns 10000
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, seed, settings, strategies as st  # noqa: E402

from slmreact_cli.tool_loading import load_registry  # noqa: E402
from slmreact_cli.worker import ToolRunner  # noqa: E402
from test_fuzz_loop import TOOL_TIMEOUT, ends_properly, questions, replies, run_hostile, tool_modules  # noqa: E402


class Enough(Exception):
    """Raised inside the property once enough turns have run, to stop Hypothesis."""


def where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}: {str(exc)[:80]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    registry = load_registry(tool_modules())
    names = registry.names()
    totals = {"turns": 0, "runs": 0, "tracebacks": 0}
    kinds: collections.Counter[str] = collections.Counter()
    start = time.perf_counter()

    with ToolRunner(registry, timeout=TOOL_TIMEOUT) as runner:
        @seed(args.seed)
        @settings(max_examples=10 ** 7, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(texts=st.lists(replies(names, deep=True), min_size=1, max_size=5), question=questions(),
               mode=st.sampled_from(["react", "react", "native"]))
        def one_run(texts, question, mode):
            if totals["turns"] >= args.turns:
                raise Enough
            totals["runs"] += 1
            try:
                events, turns = run_hostile(registry, runner, texts, question, mode)
                totals["turns"] += turns
                if not ends_properly(events):
                    totals["tracebacks"] += 1
                    kinds[f"run ended with {type(events[-1]).__name__ if events else 'no event'}"] += 1
            except Exception as exc:  # noqa: BLE001 - counted, not raised, so the run goes on
                totals["turns"] += 1
                totals["tracebacks"] += 1
                kinds[where(exc)] += 1

        try:
            one_run()
        except Enough:
            pass
    report = {**totals, "seconds": round(time.perf_counter() - start, 1), "kinds": dict(kinds.most_common())}
    print(json.dumps(report, indent=2, ensure_ascii=True))


if __name__ == "__main__":
    main()
