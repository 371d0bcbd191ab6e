"""Native mode: the chat template's own tool-call format instead of the react protocol.

One stage: free text until "<tool_call>", then the call itself decoded under the grammar of one
call (free text stays free), run, and its result sent back as a tool message. A reply without a
tool call is the answer. The prompt holds every earlier exchange of the session; where it no
longer fits the context window, the oldest questions are dropped, as in react mode
(guards/history.py). The repeated-call and placeholder guards apply (steps.execute); grounding and
redraws do not.
"""
from __future__ import annotations

import json
import time
from typing import Iterator

from ..events import (Action, Answer, CallPlan, Error, Event, ModelTurn, NoAnswer, Notice, Observation, Thought,
                      ThoughtDelta)
from ..guards.history import OVERFLOW, fit_to_window
from ..parsing import parse_calls
from ..prompts import NATIVE_STUCK_PREFIX, NATIVE_SYSTEM, with_user_rules
from ..settings import AgentSettings
from .steps import Steps


class NativeLoop:
    def __init__(self, steps: Steps, settings: AgentSettings):
        self.steps = steps
        self.calling = steps.calling
        self.registry = steps.registry
        self.engine = steps.engine
        self.settings = settings

    def _counter(self, schemas: list[dict]):
        """The prompt's token count with the tool schemas, which the template adds to the system
        message and `Engine.count_tokens` does not see."""
        schema_tokens = self.engine.count_tokens([{"role": "system", "content": json.dumps(schemas)}])
        return lambda messages: self.engine.count_tokens(messages) + schema_tokens

    def run(self, question: str, history: list[dict]) -> Iterator[Event]:
        """Answer one question. `history` is the agent's list of earlier messages: an Answer adds
        this exchange to it, and the oldest questions that no longer fit are dropped from it."""
        start = time.perf_counter()
        schemas = self.registry.schemas()
        count = self._counter(schemas)
        budget = self.engine.context_length - self.settings.max_new_tokens
        system = with_user_rules(NATIVE_SYSTEM, self.settings.user_rules)
        base = [{"role": "system", "content": system}, *history, {"role": "user", "content": question}]
        turn: list[dict] = []
        seen_calls: dict[str, str] = {}
        new_tokens, decode_seconds = 0, 0.0
        stuck = False  # the last step only repeated earlier calls
        for step in range(1, self.settings.max_steps + 1):
            tail = list(turn)
            stops: tuple[str, ...] = ("<tool_call>",)
            if stuck:  # small models repeat a call until the step limit; start the answer for them
                tail.append({"role": "assistant", "content": NATIVE_STUCK_PREFIX})
                stops = ("<tool_call>", "\n\n")
            fitted = fit_to_window(base, tail, count, budget, trim=self.settings.uses("history"))
            base = fitted.base
            del history[:fitted.messages_cut]  # the prompt holds the whole history: forget them for good
            if fitted.note:
                yield Notice(0, fitted.note)
            if not fitted.fits:
                yield NoAnswer(step, OVERFLOW, time.perf_counter() - start, step - 1)
                return
            messages = base + tail
            if stuck:
                yield ThoughtDelta(step, NATIVE_STUCK_PREFIX)
            text, usage = yield from self.steps.reason(step, messages, stops, schemas)
            new_tokens += usage.new_tokens
            decode_seconds += usage.seconds - usage.prefill_seconds
            if usage.stop_reason == "interrupted":
                yield NoAnswer(step, "interrupted", time.perf_counter() - start, step)
                return
            rate = new_tokens / decode_seconds if decode_seconds > 0 else 0.0
            if stuck or usage.stop_reason != "stop":  # no tool call: this is the answer
                parsed = parse_calls(text) if "{" in text and not stuck else None  # a call without its tags
                if not (parsed and parsed.ok and parsed.calls and parsed.calls[0]["name"] in self.registry.tools):
                    answer = f"{NATIVE_STUCK_PREFIX} {text.strip()}" if stuck else text.strip()
                    history.extend([base[-1], *turn, {"role": "assistant", "content": answer}])
                    yield Answer(step, answer, time.perf_counter() - start, step, new_tokens, rate)
                    return
                # a server that parses tool calls itself hands them back in their tags, after the text
                tags = [] if "<tool_call>" in text else ["tool-call tags missing"]
                calls, raw, repairs = parsed.calls, text, [*tags, *parsed.repairs]
            else:
                yield Thought(step, text.strip(), usage.seconds, usage.new_tokens)
                calls, raw, repairs, tokens = yield from self._decode_call(step, messages, text, schemas)
                new_tokens += tokens
            yield Action(step, raw.strip())
            errors = self.calling.validation_errors(calls) if calls else ["no valid tool call"]
            if errors:
                observation = f"Error: {'; '.join(errors)}"
                yield Error(step, f"invalid tool call: {'; '.join(errors)}")
                calls = []
            else:
                yield CallPlan(step, tuple(calls), "native", tuple(repairs))
            results, repeated = [], []
            for call in calls:
                event = self.steps.execute(step, call["name"], call["arguments"], seen_calls)
                yield event
                repeated.append(event.repeated)
                results.append(event.result if event.error is None else f"Error: {event.error}")
            stuck = bool(repeated) and all(repeated)
            if calls:
                observation = "\n".join(results)
            yield Observation(step, observation)
            turn.append({"role": "assistant", "content": text.strip(), "tool_calls": [
                {"type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls]})
            turn.append({"role": "tool", "content": observation})
        yield NoAnswer(self.settings.max_steps, f"no answer within {self.settings.max_steps} steps",
                       time.perf_counter() - start, self.settings.max_steps)

    def _decode_call(self, step: int, messages: list[dict], text: str, schemas: list[dict]):
        """The call after "<tool_call>", decoded under the grammar of one call; returns
        (calls, raw text, repairs, new tokens)."""
        cont = messages + [{"role": "assistant", "content": text + "<tool_call>\n"}]
        gen = self.engine.generate(cont, stop=["</tool_call>"], role="reasoning", tools=schemas,
                                   grammar=self.calling.single_call_grammar, max_new_tokens=200)
        yield ModelTurn(step, "calling", tuple(cont), gen.text, gen.usage.prompt_tokens,
                        gen.usage.cached_tokens, gen.usage.new_tokens, gen.usage.seconds, adapter=False,
                        constrained=self.calling.single_call_grammar is not None)
        parsed = parse_calls(f"<tool_call>{gen.text}</tool_call>")
        return parsed.calls or [], gen.text, parsed.repairs, gen.usage.new_tokens
