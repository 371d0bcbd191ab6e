"""The transcript log: every question, step, call and answer, written to SQLite as it happens.

Each event is committed when it arrives, so a crash or Ctrl-C loses nothing. WAL mode lets
several sessions write at once. Every question carries the id of its conversation and, once
answered, the messages it added to the model's history, so a later process can continue it
(`conversations.py`). A full-text index of questions, answers and tool results serves
`slmreact logs -q`; `find` reads the log back under any mix of filters. The schema and its
migrations are in `log_schema.py`.

The log never ends a question: a database that is corrupt, locked by another process or on a full
disk turns the log off for the rest of the session, with one warning. The file is private to the
user (0600, in a 0700 folder).
"""
from __future__ import annotations

import datetime
import json
import re
import secrets
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import SlmreactError
from .events import Answer, Event, ModelTurn, NoAnswer, Started, ThoughtDelta, ToolCall
from .log_schema import migrate, tool_call_text
from .paths import data_dir
from .safe_io import private_file, replace_surrogates

BUSY_SECONDS = 10.0  # how long a write waits for another session holding the database

def default_path() -> Path:
    return data_dir() / "log.sqlite3"


def connect(path: Path | None = None, busy_seconds: float = BUSY_SECONDS) -> sqlite3.Connection:
    """Open (creating it, private to the user, if needed) the log database, migrated to the latest schema."""
    path = path or default_path()
    private_file(path)
    conn = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None)
    # Switching to WAL and migrating the schema can meet another session doing the same; the busy
    # timeout does not cover the journal-mode switch, so retry briefly, within the same time.
    deadline = time.monotonic() + busy_seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            migrate(conn)
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


def new_conversation_id() -> str:
    """A fresh conversation id: 12 hex digits, short enough to type after `--cid`."""
    return secrets.token_hex(6)


class TranscriptLog:
    """An event consumer: one row per question, which `begin` opens (the session calls it with the
    run's Started event), and one per later event (streamed deltas excluded).

    Any SQLite error, at opening or at any write, turns the log off with one warning; the
    question and the session go on without it."""

    def __init__(self, path: Path | None = None, warn: Callable[[str], None] = warn_on_stderr,
                 busy_seconds: float = BUSY_SECONDS):
        self.path = path or default_path()
        self.warn = warn
        self.question_id: int | None = None  # the question whose events are being logged
        self.last_question_id: int | None = None  # stays after its answer, for `keep_exchange`
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
        self.question_id = self.last_question_id = None
        self.warn(f"the transcript log is off for this session: {self.path}: {exc}")

    def _execute(self, sql: str, params: tuple) -> sqlite3.Cursor | None:
        if self.conn is None:
            return None
        try:
            return self.conn.execute(sql, params)
        except (sqlite3.Error, OSError) as exc:
            self._turn_off(exc)
            return None

    def begin(self, question: str, model: str, conversation_id: str | None = None, mode: str | None = None) -> None:
        """Open the question's row; without a `conversation_id` the question starts a conversation."""
        question = replace_surrogates(question)
        cur = self._execute(
            "INSERT INTO questions (started, model, question, conversation_id, mode) VALUES (?, ?, ?, ?, ?)",
            (time.time(), replace_surrogates(model), question,
             replace_surrogates(conversation_id or new_conversation_id()), mode))
        self.question_id = self.last_question_id = cur.lastrowid if cur is not None else None
        if self.question_id is not None:
            self._execute("INSERT INTO questions_search (rowid, question, answer, results) VALUES (?, ?, '', '')",
                          (self.question_id, question))

    def __call__(self, event: Event) -> None:
        if self.question_id is None or isinstance(event, (Started, ThoughtDelta)):  # Started: see `begin`
            return
        payload = asdict(event)
        if isinstance(event, ModelTurn):
            payload["messages"] = list(payload["messages"])
        # ASCII JSON: a lone surrogate in a tool's result is kept as an escape, not an error
        text = json.dumps(payload, ensure_ascii=True, default=str)
        self._execute("INSERT INTO events (question_id, at, step, type, payload) VALUES (?, ?, ?, ?, ?)",
                      (self.question_id, time.time(), event.step, event.type, text))
        if isinstance(event, ToolCall) and self.question_id is not None:
            self._execute("UPDATE questions_search SET results = results || char(10) || ? WHERE rowid = ?",
                          (tool_call_text(payload), self.question_id))
        if isinstance(event, Answer):
            self._finish(answer=event.text, seconds=event.seconds)
        elif isinstance(event, NoAnswer):
            self._finish(error=event.reason, seconds=event.seconds)

    def fail(self, error: str) -> None:
        """Record why a question ended without an Answer or NoAnswer event (an exception, Ctrl-C)."""
        if self.question_id is not None:
            self._finish(error=error, seconds=None)

    def keep_exchange(self, messages: list[dict]) -> None:
        """Store the messages the last question added to the model's history (its question and its
        trace), which is what a later process that continues the conversation gives the model."""
        if self.last_question_id is not None:
            self._execute("UPDATE questions SET exchange = ? WHERE id = ?",
                          (json.dumps(messages, ensure_ascii=True, default=str), self.last_question_id))

    def _finish(self, answer: str | None = None, error: str | None = None, seconds: float | None = None) -> None:
        if self.question_id is None:
            return
        answer = None if answer is None else replace_surrogates(answer)
        self._execute("UPDATE questions SET answer = ?, error = ?, seconds = ? WHERE id = ?",
                      (answer, None if error is None else replace_surrogates(error), seconds, self.question_id))
        if answer is not None and self.question_id is not None:
            self._execute("UPDATE questions_search SET answer = ? WHERE rowid = ?", (answer, self.question_id))
        self.question_id = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass  # a connection that cannot close cleanly is dropped all the same
            self.conn = None


# ---- reading the log back ------------------------------------------------------------------------

COLUMNS = "id, started, model, question, answer, error, seconds, conversation_id, mode"
_TOOL_CALLS = ("SELECT 1 FROM events AS e WHERE e.question_id = questions.id AND e.type = 'tool_call' AND "
               # a payload SQLite cannot parse (a NaN argument) is skipped, not an error for the whole query
               "CASE WHEN json_valid(e.payload) THEN json_extract(e.payload, '$.{field}') END")


@dataclass(frozen=True)
class LogQuery:
    """Which questions to read; every filter given must hold."""

    text: str | None = None  # full-text search over the question, the answer and the tool results
    tool: str | None = None  # called this tool
    model: str | None = None  # asked of this model profile
    conversation_id: str | None = None
    errors: bool = False  # ended without an answer, or had a tool call that failed
    since: float | None = None  # asked at or after this time (seconds since the epoch)

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.text is not None:
            clauses.append("id IN (SELECT rowid FROM questions_search WHERE questions_search MATCH ?)")
            params.append(match_expression(self.text))
        if self.tool is not None:
            clauses.append(f"EXISTS ({_TOOL_CALLS.format(field='name')} = ?)")
            params.append(self.tool)
        if self.model is not None:
            clauses.append("model = ? COLLATE NOCASE")
            params.append(self.model)
        if self.conversation_id is not None:
            clauses.append("conversation_id = ?")
            params.append(self.conversation_id)
        if self.errors:
            clauses.append(f"(answer IS NULL OR EXISTS ({_TOOL_CALLS.format(field='error')} IS NOT NULL))")
        if self.since is not None:
            clauses.append("started >= ?")
            params.append(self.since)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def match_expression(text: str) -> str:
    """The user's words as an FTS5 query that finds rows holding all of them. Each word is quoted,
    so punctuation and FTS5 operators in it (`"`, `*`, `AND`, `:`) are searched for, not parsed."""
    words = replace_surrogates(text).split()
    if not words:
        raise SlmreactError("the search text is empty")
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def since_time(text: str, now: float | None = None) -> float:
    """`--since`: a span back from now (30m, 2h, 3d, 1w) or a local date and time in ISO form
    (2025-01-31, 2025-01-31 14:00). Anything else is a SlmreactError."""
    now = time.time() if now is None else now
    relative = _RELATIVE.match(text)
    if relative:
        return now - float(relative.group(1)) * _UNIT_SECONDS[relative.group(2).lower()]
    try:
        return datetime.datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise SlmreactError(f"--since takes a span such as 30m, 2h, 3d or 1w, or a date such as 2025-01-31 "
                            f"or 2025-01-31 14:00; not {text!r}") from None


def recent_questions(limit: int, path: Path | None = None, with_events: bool = False) -> list[dict[str, Any]]:
    """The last `limit` questions, oldest first. A log that cannot be read is a SlmreactError."""
    return find(LogQuery(), limit, path, with_events)


def find(query: LogQuery, limit: int | None, path: Path | None = None,
         with_events: bool = False) -> list[dict[str, Any]]:
    """The last `limit` questions that match `query` (all of them for None), oldest first."""
    path = path or default_path()
    if not path.exists():
        return []
    where, params = query.where()
    sql = f"SELECT {COLUMNS} FROM questions{where} ORDER BY id DESC LIMIT ?"
    return _read(path, sql, [*params, -1 if limit is None else limit], with_events)


def conversation(conversation_id: str | None, path: Path | None = None) -> list[dict[str, Any]]:
    """Every question of a conversation (None: the last one logged), oldest first, with its events and
    its `exchange` (the messages it added to the model's history, or None)."""
    path = path or default_path()
    if not path.exists():
        return []
    which = "?" if conversation_id is not None else "(SELECT conversation_id FROM questions ORDER BY id DESC LIMIT 1)"
    sql = f"SELECT {COLUMNS}, exchange FROM questions WHERE conversation_id = {which} ORDER BY id DESC"
    rows = _read(path, sql, [] if conversation_id is None else [conversation_id], with_events=True)
    for row in rows:
        row["exchange"] = json.loads(row["exchange"]) if row["exchange"] else None
    return rows


def _read(path: Path, sql: str, params: list[Any], with_events: bool) -> list[dict[str, Any]]:
    try:
        conn = connect(path)
    except sqlite3.Error as exc:
        raise SlmreactError(f"cannot read the transcript log {path}: {exc}") from None
    try:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute(sql, params)]
        if with_events:
            for row in rows:
                row["events"] = [{"step": e["step"], "type": e["type"], **json.loads(e["payload"])}
                                 for e in conn.execute("SELECT * FROM events WHERE question_id = ? ORDER BY id",
                                                       (row["id"],))]
        return rows[::-1]
    except sqlite3.Error as exc:
        raise SlmreactError(f"cannot read the transcript log {path}: {exc}") from None
    finally:
        conn.close()
