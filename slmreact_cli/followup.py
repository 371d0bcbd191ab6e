"""Follow-up questions made standalone before the loop runs them.

In one chat session, a small model that sees its earlier traces copies their patterns into later,
unrelated questions (its placeholder thoughts, the tools it reached for). So each question runs on
its own, as in `batch`, and a question that refers to the earlier conversation ("And what is twice
that?") is first rewritten from the earlier questions and answers into one that stands alone
("What is twice 434?"): the "condense question" step of conversational retrieval systems. It is one
short model call per question, only where there is history; a question that stands alone comes
back unchanged. A yes/no check before it would cost a second call, and the 1.5B answers yes to
nearly every question.
"""
from __future__ import annotations

from dataclasses import dataclass

from .models.base import Engine, Sampling, Usage

MAX_PAIRS = 3  # the earlier exchanges shown: follow-ups refer to the last one or two

REWRITE_SYSTEM = """\
You read a conversation and a new question. If the new question refers to the earlier conversation (a \
word such as "that", "it", "this", "those", "them", "the result" or "the same" for an earlier answer or \
subject, or a continuation such as "And in kilograms?"), rewrite it so that it can be understood without the \
conversation: replace each such reference with the value or the thing it stands for, taken from the \
earlier questions and answers, and copy numbers exactly. Keep everything else as it is. If the new question \
makes sense on its own, reply with it unchanged. Reply with the question only, on one line."""


@dataclass
class FollowUp:
    question: str  # the question to run: the rewritten one, or the original
    rewritten: bool
    turns: list[tuple[list[dict], str, Usage]]  # (messages, raw output, usage)


def conversation(pairs: list[tuple[str, str]], question: str) -> dict:
    earlier = "\n".join(f"Q: {q}\nA: {a}" for q, a in pairs[-MAX_PAIRS:])
    return {"role": "user", "content": f"Conversation:\n{earlier}\n\nNew question: {question}"}


def clean_rewrite(text: str) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    for label in ("New question:", "Rewritten question:", "Question:"):
        if line.lower().startswith(label.lower()):
            line = line[len(label):].strip()
    return line.strip('"').strip()


class FollowUpStep:
    def __init__(self, engine: Engine):
        self.engine = engine

    def standalone(self, pairs: list[tuple[str, str]], question: str) -> FollowUp:
        result = FollowUp(question, False, [])
        if not pairs:
            return result
        messages = [{"role": "system", "content": REWRITE_SYSTEM}, conversation(pairs, question)]
        gen = self.engine.generate(messages, adapter=False, max_new_tokens=120, sampling=Sampling(), stop=["\n"])
        result.turns.append((messages, gen.text, gen.usage))
        text = clean_rewrite(gen.text)
        if text and len(text) <= 3 * len(question) + 200:  # a runaway rewrite is no better than the original
            result.question, result.rewritten = text, text != question
        return result
