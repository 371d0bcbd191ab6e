"""History: which earlier exchanges a question's prompt holds, and what still fits the window.

A small model that sees its earlier traces copies their patterns into later, unrelated questions
(its placeholder thoughts, the tools it reached for), and a session of independent questions
scores well below the same questions asked afresh. So a question runs on its own, as in `batch`,
unless it refers back: a word that points at something said before ("that", "it", "the result")
or a start that continues the last exchange ("And in kilograms?"). Such a question gets the last
few exchanges, traces included, which is what it needs to find "that" (`earlier_exchanges`).

Asking the model to rewrite each question to stand alone (the "condense question" step of
conversational retrieval) would need no word list, but the 1.5B answers the question instead of
rewriting it, so the check stays lexical and predictable; `/reset` and `history = "full"` remain.

Whatever the prompt holds, it must fit the model's context window with room for the reply:
`fit_to_window` leaves the oldest earlier questions out until it does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

RECENT_EXCHANGES = 3  # a follow-up refers to the last exchange or two
OVERFLOW = "the question and its steps no longer fit in the model's context window"
REFERS_BACK_NOTE = "refers back: the last exchanges are in the prompt (/reset forgets them)"

_REFERRING = re.compile(
    r"\b(that|it|its|this|these|those|them|they|their|same|result|results|answer|answers|previous|"
    r"above|earlier|before|again|instead)\b", re.IGNORECASE)
_CONTINUING = re.compile(r"^\W*(and|also|then|now|what about|how about|and what about|in|into|as)\b", re.IGNORECASE)


def refers_back(question: str) -> bool:
    return bool(_REFERRING.search(question) or _CONTINUING.match(question))


def recent(history: list[dict], exchanges: int = RECENT_EXCHANGES) -> list[dict]:
    """The messages of the last `exchanges` questions; each starts with a "Question:" user message."""
    starts = [i for i, m in enumerate(history) if m["role"] == "user" and m["content"].startswith("Question:")]
    return history[starts[-exchanges]:] if len(starts) > exchanges else list(history)


def earlier_exchanges(history: list[dict], question: str, keep: str) -> list[dict]:
    """The earlier messages a question's prompt holds: all of them with `keep` "full", else
    (`"auto"`) the last few where the question refers back, and none where it does not."""
    if keep != "auto":
        return history
    return recent(history) if refers_back(question) else []


def starts_question(message: dict) -> bool:
    """Every user message of a history is a question (react writes "Question: ...", native mode the
    bare question); the steps and tool results that follow it have other roles."""
    return message["role"] == "user"


@dataclass
class Fitted:
    """A prompt's fixed part once it fits: `base` is [system, *earlier exchanges, question]."""
    base: list[dict]
    messages_cut: int = 0  # earlier messages left out, from the oldest on
    questions_cut: int = 0
    fits: bool = True

    @property
    def note(self) -> str | None:
        if not self.questions_cut:
            return None
        return f"context window nearly full: left the {self.questions_cut} oldest question(s) out of the prompt"


def fit_to_window(base: list[dict], tail: list[dict], count: Callable[[list[dict]], int], budget: int,
                  trim: bool = True) -> Fitted:
    """Leave the oldest earlier questions out of `base` (whole questions, with their steps) until
    `base + tail` counts at most `budget` tokens. `count`: the engine's token count of messages;
    `trim` False only checks the fit. `fits` is False where even the question alone is too long."""
    fitted = Fitted(list(base))
    while trim and len(fitted.base) > 2 and count(fitted.base + tail) > budget:
        earlier = fitted.base[1:-1]
        cut = next((i for i in range(1, len(earlier)) if starts_question(earlier[i])), len(earlier))
        del fitted.base[1:1 + cut]
        fitted.messages_cut += cut
        fitted.questions_cut += 1
    fitted.fits = count(fitted.base + tail) <= budget
    return fitted
