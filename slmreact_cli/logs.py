"""The transcript log: every question, step, call and answer, written to SQLite as it happens.

Each event is committed when it arrives, so a crash or Ctrl-C loses nothing. WAL mode lets
several sessions write at once. `slmreact logs` reads it back (`recent_questions`).

The log never ends a question: a database that is corrupt, locked by another process or on a full
disk turns the log off for the rest of the session, with one warning. The file is private to the
user (0600, in a 0700 folder).
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from .errors import SlmreactError
from .events import Answer, Event, ModelTurn, NoAnswer, Started, ThoughtDelta
from .paths import data_dir
from .safe_io import private_file, replace_surrogates

BUSY_SECONDS = 10.0  # how long a write waits for another session holding the database

SCHEMA = """
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


def default_path() -> Path:
    return data_dir() / "log.sqlite3"


def connect(path: Path | None = None, busy_seconds: float = BUSY_SECONDS) -> sqlite3.Connection:
    """Open (creating it, private to the user, if needed) the log database with its schema."""
    path = path or default_path()
    private_file(path)
    conn = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None)
    # Switching to WAL and creating the schema can meet another session doing the same; the busy
    # timeout does not cover the journal-mode switch, so retry briefly, within the same time.
    deadline = time.monotonic() + busy_seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.05)
        except sqlite3.Error:
            conn.close()
            raise


def warn_on_stderr(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


class TranscriptLog:
    """An event consumer: one row per question, opened by the run's Started event, and one per later
    event (streamed deltas excluded).

    Any SQLite error, at opening or at any write, turns the log off with one warning; the
    question and the session go on without it."""

    def __init__(self, path: Path | None = None, warn: Callable[[str], None] = warn_on_stderr,
                 busy_seconds: float = BUSY_SECONDS):
        self.path = path or default_path()
        self.warn = warn
        self.question_id: int | None = None
        self.conn: sqlite3.Connection | None = None
        try:
            self.conn = connect(self.path, busy_seconds)
        except (sqlite3.Error, OSError) as exc:
            self._turn_off(exc)

    @property
    def enabled(self) -> bool:
        return self.conn is not None

    def _turn_off(self, exc: Exception) -> None:
        self.close()
        self.question_id = None
        self.warn(f"the transcript log is off for this session: {self.path}: {exc}")

    def _execute(self, sql: str, params: tuple) -> sqlite3.Cursor | None:
        if self.conn is None:
            return None
        try:
            return self.conn.execute(sql, params)
        except (sqlite3.Error, OSError) as exc:
            self._turn_off(exc)
            return None

    def begin(self, question: str, model: str) -> None:
        cur = self._execute("INSERT INTO questions (started, model, question) VALUES (?, ?, ?)",
                            (time.time(), replace_surrogates(model), replace_surrogates(question)))
        self.question_id = cur.lastrowid if cur is not None else None

    def __call__(self, event: Event) -> None:
        if isinstance(event, Started):
            self.begin(event.question, event.model)
            return
        if self.question_id is None or isinstance(event, ThoughtDelta):
            return
        payload = asdict(event)
        if isinstance(event, ModelTurn):
            payload["messages"] = list(payload["messages"])
        # ASCII JSON: a lone surrogate in a tool's result is kept as an escape, not an error
        self._execute("INSERT INTO events (question_id, at, step, type, payload) VALUES (?, ?, ?, ?, ?)",
                      (self.question_id, time.time(), event.step, event.type,
                       json.dumps(payload, ensure_ascii=True, default=str)))
        if isinstance(event, Answer):
            self._finish(answer=event.text, seconds=event.seconds)
        elif isinstance(event, NoAnswer):
            self._finish(error=event.reason, seconds=event.seconds)

    def fail(self, error: str) -> None:
        """Record why a question ended without an Answer or NoAnswer event (an exception, Ctrl-C)."""
        if self.question_id is not None:
            self._finish(error=error, seconds=None)

    def _finish(self, answer: str | None = None, error: str | None = None, seconds: float | None = None) -> None:
        if self.question_id is None:
            return
        self._execute("UPDATE questions SET answer = ?, error = ?, seconds = ? WHERE id = ?",
                      (None if answer is None else replace_surrogates(answer),
                       None if error is None else replace_surrogates(error), seconds, self.question_id))
        self.question_id = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass  # a connection that cannot close cleanly is dropped all the same
            self.conn = None


def recent_questions(limit: int, path: Path | None = None, with_events: bool = False) -> list[dict[str, Any]]:
    """The last `limit` questions, oldest first. A log that cannot be read is a SlmreactError."""
    path = path or default_path()
    if not path.exists():
        return []
    try:
        return _read_recent(path, limit, with_events)
    except sqlite3.Error as exc:
        raise SlmreactError(f"cannot read the transcript log {path}: {exc}") from None


def _read_recent(path: Path, limit: int, with_events: bool) -> list[dict[str, Any]]:
    conn = connect(path)
    try:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM questions ORDER BY id DESC LIMIT ?", (limit,))]
        if with_events:
            for row in rows:
                row["events"] = [{"step": e["step"], "type": e["type"], **json.loads(e["payload"])}
                                 for e in conn.execute("SELECT * FROM events WHERE question_id = ? ORDER BY id",
                                                       (row["id"],))]
        return rows[::-1]
    finally:
        conn.close()
