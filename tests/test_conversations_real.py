"""A conversation continued by a second process, on the real embedded 0.5B: `ask -c` gives the model
the first question's exchange, and it builds on the earlier answer."""
import json
import re
import subprocess
import sys

import pytest

from conftest import SMALL_PROFILE

pytestmark = pytest.mark.model


def slmreact(*args):
    return subprocess.run([sys.executable, "-m", "slmreact_cli", *args], capture_output=True, text=True,
                          timeout=600)


def numbers(text):
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", (text or "").replace(",", ""))]


def test_ask_continue_builds_on_the_earlier_answer(home):
    first = slmreact("ask", "--json", "--model", SMALL_PROFILE, "What is 17 times 23? Use the calculator.")
    assert first.returncode == 0, first.stderr[-2000:]
    assert 391 in numbers(json.loads(first.stdout)["answer"])
    # ("Add 9 to that" has the 0.5B reach for add_days: it reads "add" as the tool's name)
    second = slmreact("ask", "--json", "-c", "--model", SMALL_PROFILE, "What is that result times 2?")
    assert second.returncode == 0, second.stderr[-2000:]
    record = json.loads(second.stdout)
    assert 782 in numbers(record["answer"]), record
    logged = json.loads(slmreact("logs", "--json", "-n", "2").stdout)
    assert logged[0]["conversation_id"] == logged[1]["conversation_id"]
    notices = [e["text"] for e in logged[1]["events"] if e["type"] == "notice"]
    assert any("refers back" in n for n in notices)  # the first exchange was in the prompt
    prompt = next(e["messages"] for e in logged[1]["events"] if e["type"] == "model_turn")
    assert any("17 times 23" in m["content"] for m in prompt)
