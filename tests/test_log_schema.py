"""The log's schema version and migrations: logs that users kept from earlier versions open, migrated,
with every row; a log from a newer version is left alone with one clear line."""
import json
import sqlite3

import pytest

from console_script import scripted, slmreact  # noqa: F401 - `scripted` is a fixture
from slmreact_cli import log_schema
from slmreact_cli.logs import TranscriptLog, default_path
from slmreact_cli.models.fake import Reply

# The log as slmreact wrote it before the schema had a version (user_version 0).
UNVERSIONED_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    model TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT,
    error TEXT,
    seconds REAL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    at REAL NOT NULL,
    step INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_question ON events(question_id);
"""


def tool_call(name, arguments, result=None, error=None):
    return json.dumps({"step": 1, "name": name, "arguments": arguments, "result": result, "error": error,
                       "seconds": 0.1, "truncated_chars": 0, "repeated": False, "type": "tool_call"})


def unversioned_log(path):
    """A log of three questions written with the unversioned schema: one answered after a weekday call,
    one whose call failed, and one interrupted, whose call's result holds an escaped lone surrogate and
    whose arguments a NaN (SQLite's JSON functions reject both)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(UNVERSIONED_SCHEMA)
    conn.executemany("INSERT INTO questions (started, model, question, answer, error, seconds) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     [(1.7e9, "qwen2.5-coder-0.5b", "What day was 2025-01-31?", "the last weekday", None, 1.5),
                      (1.7e9 + 60, "qwen2.5-coder-1.5b", "What is 1/0?", "it cannot be divided", None, 2.0),
                      (1.7e9 + 120, "qwen2.5-coder-0.5b", "List the files", None, "interrupted", None)])
    conn.executemany("INSERT INTO events (question_id, at, step, type, payload) VALUES (?, ?, ?, ?, ?)",
                     [(1, 1.7e9, 1, "tool_call", tool_call("weekday", {"date": "2025-01-31"}, result="Friday")),
                      (1, 1.7e9, 1, "answer", json.dumps({"step": 1, "text": "the last weekday", "type": "answer"})),
                      (2, 1.7e9, 1, "tool_call", tool_call("calculate", {"expression": "1/0"},
                                                           error="ValueError: division by zero")),
                      (3, 1.7e9, 1, "tool_call", tool_call("ls", {"n": float("nan")}, result="caf\udce9.txt"))])
    conn.commit()
    conn.close()


def schema_version(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def logged(*args):
    run = slmreact("logs", "--json", *args)
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_an_unversioned_log_is_migrated_with_every_row(home):
    unversioned_log(default_path())
    rows = logged()
    assert schema_version(default_path()) == log_schema.LATEST
    assert [(r["id"], r["question"], r["answer"], r["error"]) for r in rows] == [
        (1, "What day was 2025-01-31?", "the last weekday", None),
        (2, "What is 1/0?", "it cannot be divided", None),
        (3, "List the files", None, "interrupted")]
    assert [len(r["events"]) for r in rows] == [2, 1, 1]
    assert len({r["conversation_id"] for r in rows}) == 3 and all(len(r["conversation_id"]) == 12 for r in rows)
    # the search index holds the rows written before it existed, tool results and errors included
    assert [r["id"] for r in logged("-q", "friday")] == [1]
    assert [r["id"] for r in logged("-q", "division")] == [2]
    assert [r["id"] for r in logged("-q", "caf")] == [3]
    assert [r["id"] for r in logged("--tool", "calculate")] == [2]
    assert [r["id"] for r in logged("--tool", "ls")] == []  # a payload SQLite cannot read is passed over
    assert [r["id"] for r in logged("--errors")] == [2, 3]


def test_a_migrated_question_is_logged_on_and_continued(scripted):
    unversioned_log(default_path())
    engine = scripted([Reply("Answer: Saturday")])
    first = logged()[0]
    assert slmreact("ask", "--cid", first["conversation_id"], "And the day after that?").code == 0
    assert engine.calls[-1].messages[1:3] == [{"role": "user", "content": "Question: What day was 2025-01-31?"},
                                              {"role": "assistant", "content": "Answer: the last weekday"}]
    rows = logged("--cid", first["conversation_id"])
    assert [r["question"] for r in rows] == ["What day was 2025-01-31?", "And the day after that?"]
    assert rows[-1]["id"] == 4 and rows[-1]["mode"] == "react"


def test_a_new_log_starts_at_the_latest_version(home):
    TranscriptLog().close()
    assert schema_version(default_path()) == log_schema.LATEST == len(log_schema.MIGRATIONS)


def test_migrations_run_in_order_from_the_logs_version(home, monkeypatch):
    """A log at version 2 gets only the third migration; the first two are not run again."""
    path = default_path()
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for step in log_schema.MIGRATIONS[:2]:
        step(conn)
    conn.execute("INSERT INTO questions (started, model, question, answer, conversation_id) "
                 "VALUES (1.7e9, 'm', 'kept?', 'yes', 'abcdef012345')")
    conn.execute("PRAGMA user_version = 2")
    conn.close()

    def must_not_run(conn):
        raise AssertionError("an applied migration ran again")

    monkeypatch.setattr(log_schema, "MIGRATIONS", (must_not_run, must_not_run, *log_schema.MIGRATIONS[2:]))
    warnings = []
    TranscriptLog(warn=warnings.append).close()
    assert warnings == [] and schema_version(path) == 3
    assert [(r["question"], r["conversation_id"]) for r in logged("-q", "kept")] == [("kept?", "abcdef012345")]


def test_a_failed_migration_leaves_the_log_as_it_was(home, monkeypatch):
    unversioned_log(default_path())

    def fails(conn):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(log_schema, "MIGRATIONS", (*log_schema.MIGRATIONS, fails))
    monkeypatch.setattr(log_schema, "LATEST", log_schema.LATEST + 1)
    warnings = []
    log = TranscriptLog(warn=warnings.append)
    assert not log.enabled and len(warnings) == 1 and "disk I/O error" in warnings[0]
    conn = sqlite3.connect(default_path())
    columns = [c[1] for c in conn.execute("PRAGMA table_info(questions)")]
    count = conn.execute("SELECT count(*) FROM questions").fetchone()[0]
    tables = {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert schema_version(default_path()) == 0 and "conversation_id" not in columns and count == 3
    assert "questions_search" not in tables


def test_a_log_from_a_newer_version_is_left_alone_with_one_line(scripted):
    TranscriptLog().close()
    conn = sqlite3.connect(default_path())
    conn.execute(f"PRAGMA user_version = {log_schema.LATEST + 1}")
    conn.close()
    run = slmreact("logs")
    assert run.code == 2 and run.err.count("\n") == 1, run.err
    assert run.err.startswith("error: cannot read the transcript log") and "newer slmreact" in run.err
    scripted([Reply("Answer: 42")])
    run = slmreact("ask", "What is 6*7?")  # the question is answered, without the log
    assert run.code == 0 and run.err.count("warning: the transcript log is off") == 1 and "newer slmreact" in run.err
    assert schema_version(default_path()) == log_schema.LATEST + 1
    conn = sqlite3.connect(default_path())
    assert conn.execute("SELECT count(*) FROM questions").fetchone()[0] == 0
    conn.close()
    run = slmreact("ask", "-c", "And that?")
    assert run.code == 2 and "newer slmreact" in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize("version", [0, 1, 2])
def test_every_earlier_version_reaches_the_latest(home, version):
    path = default_path()
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for step in log_schema.MIGRATIONS[:max(version, 1)]:
        step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    log = TranscriptLog()
    log.begin("q", "m", "c0ffee000000", "react")
    log.close()
    assert schema_version(path) == log_schema.LATEST
    assert [(r["question"], r["conversation_id"]) for r in logged("--cid", "c0ffee000000")] == [("q", "c0ffee000000")]
