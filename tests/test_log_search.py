"""`slmreact logs`: full-text search (-q) and the filters, alone and together, through the CLI over a log
that scripted questions wrote."""
import json
import os
import sqlite3
import time

import platformdirs
import pytest

from console_script import slmreact, use_scripted_engine
from slmreact_cli.logs import default_path
from slmreact_cli.models.fake import Reply

SIX_TIMES_SEVEN = "What is 6 times 7?"
WEEKDAY = "What day of the week was 2025-01-31?"
DIVIDE = "Divide 1 by 0."
TWO_PLUS_TWO = "What is 2 plus 2?"
THRICE = "And what is that times 3?"
ALL = [SIX_TIMES_SEVEN, WEEKDAY, DIVIDE, TWO_PLUS_TWO, THRICE]


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """One log for the module: five questions by the CLI. The first is dated three days back; the second
    is asked of another profile and finds "Friday" only in its tool's result; the third has a failed
    tool call; the fourth ends without an answer and the fifth continues its conversation."""
    runners: list = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = tmp_path_factory.mktemp("logs") / "home"
        monkeypatch.setenv("SLMREACT_HOME", str(home))
        monkeypatch.setenv("SLMREACT_CACHE_DIR", os.environ.get("SLMREACT_CACHE_DIR")
                           or platformdirs.user_cache_dir("slmreact"))
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text('default = "qwen2.5-coder-0.5b"\n')
        engine = use_scripted_engine(monkeypatch, [
            Reply('Action: calculate(expression="6*7")'), Reply(" 42 answers it.\nAnswer: 42"),
            Reply('Action: weekday(date="2025-01-31")'), Reply(" Done.\nAnswer: the last weekday of that week"),
            Reply('Action: calculate(expression="1/0")'), Reply(" It fails.\nAnswer: it cannot be divided"),
            Reply('Action: calculate(expression="2+2")'),
            Reply("Answer: 12"),
        ], runners)
        assert slmreact("ask", SIX_TIMES_SEVEN).code == 0
        assert slmreact("ask", "--model", "qwen2.5-coder-1.5b", WEEKDAY).code == 0
        assert slmreact("ask", DIVIDE).code == 0
        assert slmreact("ask", "--max-steps", "1", TWO_PLUS_TWO).code == 1
        assert slmreact("ask", "-c", THRICE).code == 0
        assert engine.unused() == []
        with sqlite3.connect(default_path()) as conn:
            conn.execute("UPDATE questions SET started = ? WHERE question = ?", (time.time() - 3 * 86400,
                                                                                   SIX_TIMES_SEVEN))
        yield monkeypatch
    for runner in runners:
        runner.close()


def questions(*args):
    run = slmreact("logs", "-n", "50", "--json", *args)
    assert run.code == 0, run.err
    return [row["question"] for row in json.loads(run.out)]


def test_search_finds_questions_answers_and_tool_results(log):
    assert questions("-q", "6 times") == [SIX_TIMES_SEVEN]  # the question
    assert questions("-q", "cannot divided") == [DIVIDE]  # the answer's words, all of them
    assert questions("-q", "friday") == [WEEKDAY]  # only in the weekday tool's result
    assert questions("-q", "zero") == [DIVIDE]  # a tool's error ("division by zero")
    assert questions("-q", "friday zero") == []


def test_search_text_is_words_not_fts_syntax(log):
    for text in ('NOT "(', "NEAR(x", "col:zero", "*", '"'):
        assert questions("-q", text) == []
    run = slmreact("logs", "-q", "unfindable words")
    assert run.code == 0 and "no matching questions" in run.err


def test_each_filter(log):
    assert questions("--tool", "weekday") == [WEEKDAY]
    assert questions("--tool", "calculate") == [SIX_TIMES_SEVEN, DIVIDE, TWO_PLUS_TWO]
    assert questions("--model", "QWEN2.5-coder-1.5b") == [WEEKDAY]
    assert questions("--errors") == [DIVIDE, TWO_PLUS_TWO]  # a failed call; no answer
    assert questions("--since", "2d") == ALL[1:]
    assert questions("--since", "2000-01-01") == ALL
    assert questions("--since", "2999-12-31 23:59") == []
    rows = json.loads(slmreact("logs", "--json").out)
    continued = rows[-1]["conversation_id"]
    assert questions("--cid", continued) == [TWO_PLUS_TWO, THRICE]
    assert len({row["conversation_id"] for row in rows}) == 4


def test_filters_combine(log):
    assert questions("--tool", "calculate", "--errors") == [DIVIDE, TWO_PLUS_TWO]
    assert questions("--tool", "calculate", "-q", "zero") == [DIVIDE]
    assert questions("--tool", "calculate", "--since", "1d", "-q", "2 plus") == [TWO_PLUS_TWO]
    assert questions("--model", "qwen2.5-coder-0.5b", "--tool", "weekday") == []


def test_n_json_and_the_table(log):
    (first, second) = json.loads(slmreact("logs", "-n", "2", "--json").out)
    assert [first["question"], second["question"]] == [TWO_PLUS_TWO, THRICE]
    assert first["conversation_id"] == second["conversation_id"] and second["mode"] == "react"
    assert [e["type"] for e in second["events"]][-1] == "answer"
    assert "exchange" not in second
    (weekday,) = json.loads(slmreact("logs", "--tool", "weekday", "--json").out)
    run = slmreact("logs", "--tool", "weekday")
    assert run.code == 0 and weekday["conversation_id"] in run.out and "qwen2.5-coder-0.5b" not in run.out


@pytest.mark.parametrize("args, words", [
    (["--since", "yesterday"], ["--since", "'yesterday'"]),
    (["--since", "3 fortnights"], ["--since"]),
    (["-q", "   "], ["search text is empty"]),
])
def test_bad_filters_are_one_line(log, args, words):
    run = slmreact("logs", *args)
    assert run.code == 2 and run.err.startswith("error:") and run.err.count("\n") == 1, run.err
    assert all(word in run.err for word in words)
