"""The CLI end to end as a user runs it: on the real embedded 0.5B (marked `model`), and the usage
errors that stop it before any model loads."""
import json
import os
import subprocess
import sys

import pytest

from conftest import SMALL_PROFILE

SEED = "What is the square root of the difference between 32^2 and 54?"


def slmreact(*args, stdin=None, timeout=600, env=None):
    return subprocess.run([sys.executable, "-m", "slmreact_cli", *args], capture_output=True, text=True,
                          input=stdin, timeout=timeout, env=None if env is None else {**os.environ, **env})


def numbers(text):
    import re

    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", ""))]


@pytest.mark.model
def test_ask_json_answers_the_seed_question(home):
    proc = slmreact("ask", "--json", "--model", SMALL_PROFILE, SEED)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert set(record) == {"id", "question", "answer", "steps", "seconds", "model", "error"}
    assert any(abs(v - 31.1448) < 0.01 for v in numbers(record["answer"])), record
    calls = [c for s in record["steps"] for c in s["calls"]]
    assert calls and calls[0]["name"] == "calculate" and "result" in calls[0]


@pytest.mark.model
def test_batch_keeps_order_and_survives_bad_lines(home, tmp_path):
    lines = "\n".join([
        json.dumps({"id": "a", "question": "What is 12 times 12? Use the calculator."}),
        "{not json",
        json.dumps({"id": "c"}),
    ])
    out = tmp_path / "out.jsonl"
    proc = slmreact("batch", "-", "--model", SMALL_PROFILE, "--out", str(out), stdin=lines)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a", None, "c"]
    assert any(abs(v - 144) < 1e-6 for v in numbers(records[0]["answer"] or ""))
    assert "invalid JSON" in records[1]["error"] and "question" in records[2]["error"]


def test_usage_errors_are_one_line_and_exit_2(home, tmp_path):
    for args in (["ask", "--model", "no-such-model", "hi"], ["ask", "--tools", str(tmp_path / "x.py"), "hi"],
                 ["ask", "   "], ["batch", str(tmp_path / "missing.jsonl")]):
        proc = slmreact(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_version_prints_and_exits_0():
    proc = slmreact("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("slmreact "), proc.stderr


def test_a_hub_id_with_no_hub_and_no_cache_fails_at_once_in_one_line(home, tmp_path):
    """No retry chatter: the unreachable hub is noticed up front, and the message says what to do."""
    proc = slmreact("ask", "--model", "nosuch-org/nosuch-model", "hi", timeout=120,
                    env={"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf")})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "Traceback" not in proc.stderr, proc.stderr
    assert "not in the local Hugging Face cache" in proc.stderr and "cannot be reached" in proc.stderr
