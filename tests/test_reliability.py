"""Context overflow, the transcript log under concurrent writers, and bad input at the CLI."""
import json
import subprocess
import sys
import threading

from slmreact_cli.loop import Agent, AgentSettings
from slmreact_cli.events import Answer, Notice
from slmreact_cli.logs import TranscriptLog, recent_questions
from slmreact_cli.models.fake import ScriptedEngine, ScriptedReply
from slmreact_cli.tool_loading import load_registry
from slmreact_cli.worker import ToolRunner


def test_long_session_drops_oldest_questions_with_a_notice():
    registry = load_registry(None)
    engine = ScriptedEngine(replies=[ScriptedReply("Answer: " + "x" * 3000) for _ in range(6)], context_length=5000)
    with ToolRunner(registry) as runner:
        agent = Agent(engine, registry, runner, AgentSettings(max_new_tokens=200, history="full"))
        notices = []
        for i in range(6):
            events = list(agent.run(f"question {i}"))
            assert isinstance(events[-1], Answer)
            notices += [e for e in events if isinstance(e, Notice)]
    assert notices and "left the 1 oldest question(s) out" in notices[0].text
    assert len(notices) < 6 and len(agent.history) < 12  # forgotten for good, not trimmed again each question
    for call in engine.calls:
        assert engine.count_tokens(call.messages) <= 5000 - 200


def test_log_survives_concurrent_writers(tmp_path):
    path = tmp_path / "log.sqlite3"

    def writer(n):
        log = TranscriptLog(path)
        for i in range(20):
            log.begin(f"q{n}-{i}", "m")
            log(Answer(1, f"a{n}-{i}", 0.1, 1, 3, 30.0))
        log.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = recent_questions(1000, path)
    assert len(rows) == 80 and all(r["answer"] is not None for r in rows)


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "slmreact_cli", *args], capture_output=True, input=stdin,
                          timeout=120)


def test_huge_question_is_a_usage_error(home):
    proc = cli("ask", "x" * 30000)
    assert proc.returncode == 2 and b"too long" in proc.stderr and b"Traceback" not in proc.stderr


def test_broken_config_is_one_line(home):
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.x]\nsource = 5\n')
    proc = cli("models")
    assert proc.returncode == 2 and proc.stderr.decode().count("\n") == 1 and b"source" in proc.stderr


def test_broken_tool_module_is_one_line(home, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n")
    proc = cli("tools", "--tools", str(bad))
    assert proc.returncode == 2 and b"syntax error at line 1" in proc.stderr and b"Traceback" not in proc.stderr


def test_batch_line_helpers_handle_non_utf8_and_shapes():
    from slmreact_cli.cli import batch_item

    assert batch_item(1, b'{"id": 1, "question": "\xff\xfe"}')[1] == "line 1: not valid UTF-8"
    assert "invalid JSON" in batch_item(2, b"{nope")[1]
    assert "needs an" in batch_item(3, json.dumps([1, 2]).encode())[1]
    assert batch_item(4, b'{"id": "a", "question": "hi"}') == ({"id": "a", "question": "hi"}, None)
