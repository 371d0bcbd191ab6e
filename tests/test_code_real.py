"""Code mode end to end on the real embedded 0.5B, through the CLI as a user runs it."""
import json

import pytest

from conftest import SMALL_PROFILE
from test_cli_real import SEED, numbers, slmreact

pytestmark = pytest.mark.model


def test_code_mode_answers_the_seed_question(home):
    proc = slmreact("ask", "--json", "--mode", "code", "--model", SMALL_PROFILE, SEED)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert any(abs(v - 31.1448) < 0.01 for v in numbers(record["answer"])), record
    programs = [s["action"] for s in record["steps"] if s["action"]]
    assert programs, record  # it computed the answer with a program, not from memory
    assert any("31.14" in (s["observation"] or "") for s in record["steps"]), record
