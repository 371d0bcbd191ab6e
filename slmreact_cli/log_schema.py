"""The transcript log's schema and its migrations, since users keep these databases for years.

The schema version is SQLite's `PRAGMA user_version`: 0 for a new file or for a log written before
versions were kept (its tables are the first migration's, so that migration changes nothing there).
Opening a log runs the migrations it lacks, in order, in one transaction: a log is either moved to
the latest version whole or left as it was. A log from a newer slmreact is not touched: it raises
`SchemaTooNew`, which the writer treats like any other database error (the log is off, with one
warning) and `slmreact logs` reports in one line.

A migration is a function of the connection, so one that fills new columns or tables from existing
rows can read them in Python (tool results are JSON that SQLite's own JSON functions reject when they
hold NaN or an escaped lone surrogate).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Callable

from .safe_io import replace_surrogates


class SchemaTooNew(sqlite3.DatabaseError):
    """The log was written by a newer slmreact, with a schema this one does not know."""


def _create_tables(conn: sqlite3.Connection) -> None:
    """Version 1: one row per question, one per event."""
    conn.execute("""CREATE TABLE IF NOT EXISTS questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started REAL NOT NULL,
        model TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT,
        error TEXT,
        seconds REAL)""")
    conn.execute("""CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question_id INTEGER NOT NULL REFERENCES questions(id),
        at REAL NOT NULL,
        step INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL)""")
    conn.execute("CREATE INDEX IF NOT EXISTS events_by_question ON events(question_id)")


def _add_conversations(conn: sqlite3.Connection) -> None:
    """Version 2: each question belongs to a conversation, and keeps the messages it added to the
    model's history (`exchange`, JSON) and the mode they are written in. A question logged before
    conversations existed becomes a conversation of its own."""
    for column in ("conversation_id TEXT", "mode TEXT", "exchange TEXT"):
        conn.execute(f"ALTER TABLE questions ADD COLUMN {column}")
    conn.execute("UPDATE questions SET conversation_id = lower(hex(randomblob(6))) WHERE conversation_id IS NULL")
    conn.execute("CREATE INDEX questions_by_conversation ON questions(conversation_id)")


def _add_search(conn: sqlite3.Connection) -> None:
    """Version 3: a full-text index (FTS5) of each question, its answer and its tool results, one row
    per question with the question's id as rowid, filled here from the rows already logged."""
    conn.execute("CREATE VIRTUAL TABLE questions_search USING fts5(question, answer, results)")
    conn.execute("INSERT INTO questions_search (rowid, question, answer, results) "
                 "SELECT id, question, coalesce(answer, ''), '' FROM questions")
    results: dict[int, list[str]] = {}
    for question_id, payload in conn.execute(
            "SELECT question_id, payload FROM events WHERE type = 'tool_call' ORDER BY id"):
        try:
            text = tool_call_text(json.loads(payload))
        except ValueError:
            continue
        if text:
            results.setdefault(question_id, []).append(text)
    conn.executemany("UPDATE questions_search SET results = ? WHERE rowid = ?",
                     [("\n".join(texts), question_id) for question_id, texts in results.items()])


def tool_call_text(call: dict) -> str:
    """The text a logged tool call adds to the search index: its result, or its error."""
    text = call.get("result") if call.get("error") is None else call.get("error")
    return replace_surrogates(text) if isinstance(text, str) else ""


# In order; a log at version N has had the first N applied. Append only: never edit a published one.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_tables, _add_conversations, _add_search)
LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _check_known(version: int) -> None:
    if version > LATEST:
        raise SchemaTooNew(f"it was written by a newer slmreact (schema version {version}; this one reads up to "
                           f"{LATEST}); upgrade slmreact to use it")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the log to the latest version. `conn` must be in autocommit mode (isolation_level=None).
    Another process migrating at the same moment is waited for (the connection's busy timeout)."""
    version = schema_version(conn)
    _check_known(version)
    if version == LATEST:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)  # another process may have migrated it while this one waited
        _check_known(version)
        for step in MIGRATIONS[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {LATEST}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
