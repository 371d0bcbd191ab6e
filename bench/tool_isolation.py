"""Cost of running tools in the worker process: start-up once per session, then per call,
against calling the same function in-process.

Usage: python bench/tool_isolation.py [--calls 500]
"""
from __future__ import annotations

import argparse
import statistics
import time

from common import machine, write_section

from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=500)
    a = ap.parse_args()
    registry = load_registry(None)
    calc = registry.get("calculate")
    args = {"expression": "sqrt(2) * 3 + 1"}
    runner = ToolRunner(registry)
    start = time.perf_counter()
    runner.start()
    first = runner.call("calculate", args)
    startup = time.perf_counter() - start
    per_call = []
    for _ in range(a.calls):
        t = time.perf_counter()
        runner.call("calculate", args)
        per_call.append(time.perf_counter() - t)
    t = time.perf_counter()
    reference = runner.call("today", {})
    runner.close()
    direct = []
    for _ in range(a.calls):
        t = time.perf_counter()
        calc.func(**calc.validate(args))
        direct.append(time.perf_counter() - t)
    assert first.ok and reference.ok
    body = (f"## Tool isolation\n\nMachine: {machine()}. {a.calls} calls of `calculate`.\n\n"
            f"| | milliseconds |\n|---|---|\n"
            f"| worker start and first call (once per session) | {startup * 1000:.0f} |\n"
            f"| per call through the worker, median | {statistics.median(per_call) * 1000:.2f} |\n"
            f"| per call through the worker, p95 | {sorted(per_call)[int(0.95 * len(per_call))] * 1000:.2f} |\n"
            f"| per call in-process (validation + function), median | {statistics.median(direct) * 1000:.3f} |\n")
    print(body)
    write_section("tools", body)


if __name__ == "__main__":
    main()
