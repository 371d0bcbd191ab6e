"""Which questions of a chat session get the earlier conversation in their prompt.

A small model that sees its earlier traces copies their patterns into later, unrelated questions
(its placeholder thoughts, the tools it reached for), and a session of independent questions
scores well below the same questions asked afresh. So a question runs on its own, as in `batch`,
unless it refers back: a word that points at something said before ("that", "it", "the result")
or a start that continues the last exchange ("And in kilograms?"). Such a question gets the last
few exchanges, traces included, which is what it needs to find "that".

Asking the model to rewrite each question to stand alone (the "condense question" step of
conversational retrieval) would need no word list, but the 1.5B answers the question instead of
rewriting it, so the check stays lexical and predictable; `/reset` and `history = "full"` remain.
"""
from __future__ import annotations

import re

RECENT_EXCHANGES = 3  # a follow-up refers to the last exchange or two

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
