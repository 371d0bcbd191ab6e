"""Conversations that outlast the process: one taken up again from the transcript log or a /save file.

A continued conversation gives the model the history it would have had had the session never
ended: the messages each answered question added to it, exactly as the loop wrote them (kept in the
log's `exchange` column and in the `history` field of a JSON /save file). The loop then decides, as
within a session, how much of that history a question sees (`followup.py`). An exchange written in
another mode, or whose messages were not kept (a Markdown /save file, a question logged before the
log kept them), gives only its question and answer, in the current mode's form. A question that
ended without an answer never enters the history, as within a session.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from . import logs
from .errors import SlmreactError
from .events import Action, Answer, NoAnswer, Observation, Thought, ToolCall
from .prompts import ANSWER_PREFIX, question_message
from .render import RecordBuilder

EMPTY_RECORD = {"id": None, "question": "", "answer": None, "steps": [], "seconds": 0.0, "model": None, "error": None}


@dataclass
class Exchange:
    """One earlier question: its ask --json record (what /save writes) and its history messages."""

    record: dict[str, Any]
    mode: str | None = None
    messages: list[dict] | None = None  # what it added to the model's history, where kept

    @property
    def question(self) -> str:
        return self.record["question"]

    @property
    def answer(self) -> str | None:
        return self.record["answer"]

    def history(self, mode: str) -> list[dict]:
        if self.answer is None:
            return []
        if self.messages and self.mode == mode:
            return self.messages
        return plain_exchange(self.question, self.answer, mode)

    def saved(self) -> dict[str, Any]:
        """The record as /save writes it, with the history messages that make it continuable."""
        if not self.messages:
            return dict(self.record)
        return {**self.record, "history": {"mode": self.mode, "messages": self.messages}}


@dataclass
class Conversation:
    id: str | None  # None: read from a file; the session that takes it up gives it a new id
    exchanges: list[Exchange]
    source: str  # how to name it to the user

    def history(self, mode: str) -> list[dict]:
        return [message for exchange in self.exchanges for message in exchange.history(mode)]


def plain_exchange(question: str, answer: str, mode: str) -> list[dict]:
    """A question and its answer as the given mode writes them into the history."""
    if mode == "native":
        return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return [question_message(question), {"role": "assistant", "content": f"{ANSWER_PREFIX} {answer}"}]


# ---- which conversation a command takes up --------------------------------------------------------

def to_continue(last: bool, conversation_id: str | None) -> Conversation | None:
    """`ask -c` / `ask --cid ID`: the conversation to continue, or None for a new one."""
    if conversation_id is not None:
        return from_log(conversation_id)
    return from_log(None) if last else None


def to_reopen(resume: bool, conversation_id: str | None, load: Path | None) -> Conversation | None:
    """`chat --resume [ID]` / `chat --load FILE`: the conversation to reopen, or None for a new one."""
    if load is not None and (resume or conversation_id is not None):
        raise SlmreactError("--load reopens a saved file and --resume a logged conversation; give one of them")
    if load is not None:
        return from_file(load)
    if conversation_id is not None and not resume:
        raise SlmreactError(f"a conversation id ({conversation_id}) is read only after --resume")
    return from_log(conversation_id) if resume else None


# ---- from the transcript log ---------------------------------------------------------------------

def from_log(conversation_id: str | None, path: Path | None = None) -> Conversation:
    """A logged conversation (None: the last one). A conversation that is not there is a SlmreactError."""
    rows = logs.conversation(conversation_id, path)
    if not rows:
        if conversation_id is None:
            raise SlmreactError("there is no conversation to continue: the transcript log has no questions yet")
        raise SlmreactError(f"no conversation {conversation_id!r} in the transcript log (`slmreact logs` "
                            "shows the ids)")
    found = rows[0]["conversation_id"]
    return Conversation(found, [_logged_exchange(row) for row in rows], f"conversation {found}")


_REPLAYED = {cls.type: cls for cls in (Thought, Action, ToolCall, Observation, Answer, NoAnswer)}


def _logged_exchange(row: dict[str, Any]) -> Exchange:
    """The question's record rebuilt by replaying its logged events, as the session built it."""
    builder = RecordBuilder(row["question"], row["model"])
    for event in row["events"]:
        cls = _REPLAYED.get(event["type"])
        if cls is not None:
            try:
                builder(cls(**{f.name: event[f.name] for f in fields(cls) if f.name in event}))
            except TypeError:
                pass  # an event logged by another version, without a field this one needs
    record = builder.result()
    record["answer"] = row["answer"]
    record["error"] = row["error"] if row["answer"] is None else None
    return Exchange(record, row["mode"], _messages(row["exchange"]))


# ---- from a /save file ---------------------------------------------------------------------------

def from_file(path: Path) -> Conversation:
    """A conversation saved by /save: JSON (FILE.json) keeps each question's history messages,
    Markdown only its question and answer. A file that is none of these is a SlmreactError."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SlmreactError(f"cannot read {path}: {exc.strerror or exc}") from None
    exchanges = _json_exchanges(text, path) if path.suffix == ".json" else _markdown_exchanges(text)
    if not exchanges:
        raise SlmreactError(f"{path} holds no saved questions (load a file written by /save)")
    return Conversation(None, exchanges, str(path))


def _json_exchanges(text: str, path: Path) -> list[Exchange]:
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise SlmreactError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(items, list):
        raise SlmreactError(f"{path} is not a transcript saved by /save: it holds no list of questions")
    exchanges = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str) \
                or not isinstance(item.get("answer"), (str, type(None))):
            raise SlmreactError(f"{path} is not a transcript saved by /save: item {number} needs a string "
                                "\"question\" and an \"answer\"")
        history = item.get("history") if isinstance(item.get("history"), dict) else {}
        record = {**EMPTY_RECORD, **{k: v for k, v in item.items() if k != "history"}}
        if not isinstance(record["steps"], list):
            record["steps"] = []
        mode = history.get("mode") if isinstance(history.get("mode"), str) else None
        exchanges.append(Exchange(record, mode, _messages(history.get("messages"))))
    return exchanges


def _markdown_exchanges(text: str) -> list[Exchange]:
    """Questions and answers from `repl.transcript_markdown`: each question is a `## ` heading, up to
    the first blank line, and its answer follows the block's last `**Answer:**`."""
    exchanges = []
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        question, _, rest = block.partition("\n\n")
        at = rest.rfind("**Answer:**")
        answer = rest[at + len("**Answer:**"):].strip() if at >= 0 else None
        error = None
        if answer is not None and answer.startswith("(none: ") and answer.endswith(")"):
            answer, error = None, answer[len("(none: "):-1]
        exchanges.append(Exchange({**EMPTY_RECORD, "question": question.strip(), "answer": answer or None,
                                   "error": error}))
    return exchanges


def _messages(value: Any) -> list[dict] | None:
    """Chat messages as the loop writes them, or None for anything else (a damaged file or row)."""
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
           for m in value):
        return value
    return None
