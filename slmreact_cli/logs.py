"""The transcript log: every question, step, call and answer, written to SQLite as it happens.

Each event is committed when it arrives, so a crash or Ctrl-C loses nothing. WAL mode lets
several sessions write at once. `slmreact logs` reads it back.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .events import Answer, Event, ModelTurn, NoAnswer, ThoughtDelta
from .paths import data_dir

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


def connect(path: Path | None = None) -> sqlite3.Connection:
    path = path or default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    # Switching to WAL and creating the schema can meet another session doing the same; the busy
    # timeout does not cover the journal-mode switch, so retry briefly.
    for attempt in range(100):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)
    return conn


class TranscriptLog:
    """An event consumer: one row per question, one per event (streamed deltas excluded)."""

    def __init__(self, path: Path | None = None):
        self.conn = connect(path)
        self.question_id: int | None = None

    def begin(self, question: str, model: str) -> None:
        cur = self.conn.execute("INSERT INTO questions (started, model, question) VALUES (?, ?, ?)",
                                (time.time(), model, question))
        self.question_id = cur.lastrowid

    def __call__(self, event: Event) -> None:
        if self.question_id is None or isinstance(event, ThoughtDelta):
            return
        payload = asdict(event)
        if isinstance(event, ModelTurn):
            payload["messages"] = list(payload["messages"])
        self.conn.execute("INSERT INTO events (question_id, at, step, type, payload) VALUES (?, ?, ?, ?, ?)",
                          (self.question_id, time.time(), event.step, event.type,
                           json.dumps(payload, ensure_ascii=False, default=str)))
        if isinstance(event, Answer):
            self._finish(answer=event.text, seconds=event.seconds)
        elif isinstance(event, NoAnswer):
            self._finish(error=event.reason, seconds=event.seconds)

    def fail(self, error: str) -> None:
        """Record why a question ended without an Answer or NoAnswer event (an exception, Ctrl-C)."""
        if self.question_id is not None:
            self._finish(error=error, seconds=None)

    def _finish(self, answer: str | None = None, error: str | None = None, seconds: float | None = None) -> None:
        self.conn.execute("UPDATE questions SET answer = ?, error = ?, seconds = ? WHERE id = ?",
                          (answer, error, seconds, self.question_id))
        self.question_id = None

    def close(self) -> None:
        self.conn.close()


def recent(limit: int, path: Path | None = None, with_events: bool = False) -> list[dict[str, Any]]:
    path = path or default_path()
    if not path.exists():
        return []
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
