"""The calling step's request in the model's own tool-call format (profile `calling_format = "template"`).

The Action, with the question and the observations so far, goes through the chat template with the
registry's schemas as `tools=`, the format the model was trained on, and the model answers with
zero or more `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks; a reply without a
block is no call. calling.py validates the calls and retries exactly as for the JSON list.

Where the engine supports grammars, the reply is decoded block by block, the way native mode
decodes its call: free text until the model opens a block, the call itself under the grammar of
one call, the block closed here, then a few tokens to see whether the model opens another. Some
models (the embedded Qwen2.5-Coder among them) write the JSON object without its tags: a "{" opens
a block too, so the call is still decoded under the grammar, inside the tags the template asks
for. Without a grammar, the reply is one free generation, and an untagged call is read as a call.
"""
from __future__ import annotations

from typing import Any

from ..models.base import Engine, Sampling, Usage
from ..parsing import ParsedCalls, parse_tool_calls
from ..prompts import TEMPLATE_CALLING_SYSTEM, calling_user_message
from ..tools import Registry

OPEN, CLOSE = "<tool_call>", "</tool_call>"
OPENERS = [OPEN, "{"]  # what starts a call: the template's tag, or a call written without it
# Tokens the model gets after a closed block to open the next one ("\n<tool_call>"); anything
# longer is prose after its calls, and ends the reply.
NEXT_BLOCK_TOKENS = 8


class TemplateCalls:
    """The "template" format's request, for CallingStep (see calling.CallRequest)."""

    retry_note = "Reply with the corrected tool calls only."

    def __init__(self, engine: Engine, registry: Registry, call_grammar: Any, max_new_tokens: int,
                 max_calls: int = 4):
        self.engine = engine
        self.tools = registry.schemas()
        self.grammar = call_grammar  # one call's grammar (CallingStep.single_call_grammar), or None
        self.max_new_tokens = max_new_tokens
        self.max_calls = max_calls
        self.system = {"role": "system", "content": TEMPLATE_CALLING_SYSTEM}

    @property
    def constrained(self) -> bool:
        return self.grammar is not None

    def messages(self, question: str, observations: list[str], action: str) -> list[dict]:
        return [self.system, calling_user_message(question, observations, action)]

    def parse(self, text: str, tool_params: dict[str, list[str]]) -> ParsedCalls:
        return parse_tool_calls(text, tool_params)

    def reply(self, messages: list[dict]) -> tuple[str, Usage]:
        if self.grammar is None:
            gen = self._generate(messages, max_new_tokens=self.max_new_tokens)
            return gen.text, gen.usage
        return self._reply_by_blocks(messages)

    def _reply_by_blocks(self, messages: list[dict]) -> tuple[str, Usage]:
        reply, usages = "", []
        left = self.max_new_tokens
        for index in range(self.max_calls):
            # free text, until the model opens a block (a call follows) or ends its reply (no more calls)
            opening = self._generate(continued(messages, reply), stop=OPENERS,
                                     max_new_tokens=left if index == 0 else min(left, NEXT_BLOCK_TOKENS))
            usages.append(opening.usage)
            left -= opening.usage.new_tokens
            reply += opening.text
            if opening.usage.stop_reason != "stop" or left <= 0:
                break
            reply += f"{OPEN}\n"
            call = self._generate(continued(messages, reply), stop=[CLOSE], grammar=self.grammar,
                                  max_new_tokens=left)
            usages.append(call.usage)
            left -= call.usage.new_tokens
            reply += f"{call.text.strip()}\n{CLOSE}"
            if call.usage.stop_reason == "length" or left <= 0:
                break
        return reply, combined(usages)

    def _generate(self, messages: list[dict], **kwargs: Any):
        return self.engine.generate(messages, adapter=True, sampling=Sampling(), tools=self.tools, **kwargs)


def continued(messages: list[dict], reply: str) -> list[dict]:
    """The prompt that continues a reply begun so far (none yet: the template opens the reply)."""
    return messages + [{"role": "assistant", "content": reply}] if reply else messages


def combined(usages: list[Usage]) -> Usage:
    """The figures of one reply decoded in several generations: the first prompt, all new tokens and
    seconds, and "length" where a call was cut off (calling.py drops a cut-off last call)."""
    cut = any(u.stop_reason == "length" for u in usages[1::2])
    return Usage(prompt_tokens=usages[0].prompt_tokens, new_tokens=sum(u.new_tokens for u in usages),
                 seconds=sum(u.seconds for u in usages), cached_tokens=usages[0].cached_tokens,
                 stop_reason="length" if cut else usages[-1].stop_reason,
                 prefill_seconds=sum(u.prefill_seconds for u in usages))
