"""Code mode's loop as a generator of events; it never prints.

Each reasoning turn writes a Thought and an Action that is a ```python program; generation stops at
the closing fence, so the model never writes its own output. The program runs in the interpreter
(interpreter.py); each tool call it makes goes through `run_tool`, the path of react's JSON calls
(`--approve`, the worker, the registry's validation), and shows as a one-call CallPlan and a
ToolCall event. What the program printed, its final expression and its error, if any, are the
Observation. A turn without a program is the Answer.

A call made again with the same arguments, in a later program of the same question, takes the
earlier result without running: small models rewrite the whole program after an error, and the
first part has already run. A program run again unchanged is not run; after two such steps the
next turn is started as the Answer.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterator

from ..events import Action, Answer, CallPlan, Error, Event, NoAnswer, Notice, Observation, Thought, ToolCall
from ..execution import run_tool
from ..guards.grounding import Grounding
from ..guards.history import REFERS_BACK_NOTE, recent, refers_back
from ..guards.placeholders import placeholder_arguments
from ..guards.repeats import call_key
from ..prompts import ANSWER_PREFIX, REANSWER_PREFIX, format_call, observation_text, question_message
from .interpreter import Interpreter, RunResult
from .prompt import CODE_FENCE, STUCK_PREFIX, TURN_PREFIX, code_system_prompt
from .turns import CodeTurn, parse_code_turn, program_key
from .values import ProgramError

# The closing fence ends the program. An opening fence without a language ("```" and a newline)
# ends the turn early too; the loop then writes the opening fence itself and lets the model go on.
STOPS = ("```\n", "Observation:", "PAUSE")
CONTINUATION_STOPS = ("```", "Observation:")


def tool_value(text: str) -> Any:
    """A tool's result text (see worker.result_text) back to a value: JSON numbers, lists and
    objects become Python values, so the program can compute with them; other text stays text."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def plain(value: Any) -> Any:
    """Arguments as JSON-like data for the worker: tuples, sets, ranges and dict views become lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, range)) or type(value).__name__ in ("dict_keys",
                                                                                          "dict_values"):
        return [plain(v) for v in value]
    return value


def observation_of(result: RunResult) -> str:
    parts = []
    if result.output.strip():
        parts.append(result.output.rstrip("\n") + ("\n[output truncated]" if result.truncated else ""))
    if result.value is not None:
        parts.append(result.value)
    if result.error:
        parts.append(f"Error: {result.error}")
    if not parts:
        held = ", ".join(f"{name} = {value}" for name, value in list(result.assigned.items())[-5:])
        parts.append("The program printed nothing." + (f" Its variables: {held}." if held else "")
                     + " Print the values you need.")
    return "\n".join(parts)


class ProgramCalls:
    """The interpreter's `call_tool` for one question: runs each call as the JSON loop does and
    keeps the events for the loop to yield once the program has finished."""

    def __init__(self, registry, runner, approve):
        self.registry, self.runner, self.approve = registry, runner, approve
        self.step = 0
        self.events: list[Event] = []
        self.results: dict[str, str] = {}  # call key -> result text, for the whole question

    def __call__(self, name: str, arguments: dict) -> Any:
        arguments = plain(arguments)
        key = call_key(name, arguments)
        self.events.append(CallPlan(self.step, ({"name": name, "arguments": arguments},), "code"))
        if key in self.results:
            self.events.append(ToolCall(self.step, name, arguments, self.results[key], None, 0.0, repeated=True))
            return tool_value(self.results[key])
        stand_ins = placeholder_arguments(arguments)
        if stand_ins:
            note = (f"{', '.join(f'{k}={json.dumps(arguments[k])}' for k in stand_ins)} is a placeholder, not a "
                    "value. If another tool gives the value, call it first; if no tool does, write the Answer.")
            self.events.append(ToolCall(self.step, name, arguments, None, note, 0.0))
            raise ProgramError(f"{format_call(name, arguments)}: {note}")
        event = run_tool(self.step, name, arguments, self.runner, self.registry, self.approve)
        self.events.append(event)
        if event.error is not None:
            raise ProgramError(f"{format_call(name, arguments)} failed: {event.error}")
        self.results[key] = event.result
        return tool_value(event.result)

    def take(self) -> list[Event]:
        events, self.events = self.events, []
        return events


def turn_text(generated: str, prefix: str) -> str:
    """The prefilled start plus what the model wrote, without a "Thought:" label written twice."""
    body = generated.lstrip()
    if prefix == TURN_PREFIX and body.lower().startswith(TURN_PREFIX.lower()):
        body = body[len(TURN_PREFIX):].lstrip()
    return f"{prefix} {body}" if prefix.endswith(":") else prefix + generated


def scratch_turn(turn: CodeTurn) -> str:
    """A step as it stays in the prompt, in the one format the prompt teaches."""
    return f"Thought: {turn.thought}\nAction:\n{CODE_FENCE}{turn.code}\n```\n"


# Steps.reason (loop/steps.py): (step, messages, stop) -> a generator of events that returns (text, usage)
Reason = Callable[..., Any]


class CodeLoop:
    def __init__(self, engine, registry, runner, settings, approve, reason: Reason):
        self.engine, self.registry, self.runner, self.settings = engine, registry, runner, settings
        self.approve, self.reason = approve, reason
        self.system = {"role": "system", "content": code_system_prompt(registry, settings.user_rules)}
        self.params = {name: list(tool.parameters.get("properties", {})) for name, tool in registry.tools.items()}
        self.history: list[dict] = []

    def reset(self) -> None:
        self.history = []

    def warm(self) -> None:
        self.engine.warm([self.system], adapter=False)

    def _base(self, question: str) -> tuple[list[dict], list[Event]]:
        notices: list[Event] = []
        earlier = self.history if self.settings.history == "full" else []
        if self.settings.history == "auto" and refers_back(question):
            earlier = recent(self.history)
            if earlier:
                notices.append(Notice(0, REFERS_BACK_NOTE))
        base = [self.system, *earlier, question_message(question)]
        budget = self.engine.context_length - self.settings.max_new_tokens
        if earlier and self.engine.count_tokens(base) > budget // 2:
            base = [self.system, question_message(question)]
            notices.append(Notice(0, "context window nearly full: left the earlier questions out of the prompt"))
        return base, notices

    def _draw(self, step: int, base: list[dict], scratch: str, prefix: str):
        """One turn; where it stopped at an opening fence with no language, the fence is written
        for the model and the program drawn in a second call that continues the same text."""
        messages = base + [{"role": "assistant", "content": scratch + prefix}]
        text, usage = yield from self.reason(step, messages, STOPS)
        turn = turn_text(text, prefix)
        parsed = parse_code_turn(turn)
        seconds, new_tokens = usage.seconds, usage.new_tokens
        if (parsed.code is None and parsed.answer is None and usage.stop_reason == "stop"
                and "```" not in text and prefix == TURN_PREFIX):
            head = turn.rstrip()
            head += "\n" if head.lower().endswith("action:") else "\nAction:\n"
            messages = base + [{"role": "assistant", "content": scratch + head + CODE_FENCE}]
            code, more = yield from self.reason(step, messages, CONTINUATION_STOPS)
            turn = f"{head}{CODE_FENCE}{code}```"
            parsed = parse_code_turn(turn)
            seconds, new_tokens = seconds + more.seconds, new_tokens + more.new_tokens
            usage = more
        return parsed, usage, seconds, new_tokens

    def run(self, question: str) -> Iterator[Event]:
        start = time.perf_counter()
        base, notices = self._base(question)
        yield from notices
        calls = ProgramCalls(self.registry, self.runner, self.approve)
        interpreter = Interpreter(self.params, calls)
        grounding = Grounding(set(), set(), enabled=self.settings.uses("grounding"))
        grounding.learn([m["content"] for m in base[1:]])
        scratch = ""
        ran: dict[str, str] = {}  # program key -> its observation
        observed = False
        stuck = no_program = 0
        restart: str | None = None
        new_tokens, decode_seconds = 0, 0.0
        budget = self.engine.context_length - self.settings.max_new_tokens
        for step in range(1, self.settings.max_steps + 1):
            prefix = restart or (TURN_PREFIX if stuck < 2 else STUCK_PREFIX)
            restart = None
            if self.engine.count_tokens(base + [{"role": "assistant", "content": scratch + prefix}]) > budget:
                yield NoAnswer(step, "the question and its steps no longer fit in the model's context window",
                               time.perf_counter() - start, step - 1)
                return
            turn, usage, seconds, tokens = yield from self._draw(step, base, scratch, prefix)
            new_tokens += tokens
            decode_seconds += max(seconds - usage.prefill_seconds, 0.0)
            rate = new_tokens / decode_seconds if decode_seconds > 0 else 0.0
            if usage.stop_reason == "interrupted":
                yield NoAnswer(step, "interrupted", time.perf_counter() - start, step)
                return
            yield Thought(step, turn.thought, seconds, tokens)

            if turn.code is None:
                answer = turn.answer
                if answer is None and prefix.endswith("Answer:"):
                    answer = turn.thought  # the turn was started as the answer
                if answer is None and usage.stop_reason == "eos" and turn.thought:
                    answer = turn.thought  # the model answered outside the protocol
                note = grounding.question_answer(answer) if answer and observed else None
                if note:
                    scratch += f"Thought: {turn.thought}\nAnswer: {answer}\n{observation_text(note)}"
                    restart = REANSWER_PREFIX
                    yield Error(step, "the Answer's numbers do not match the observations; asked the model again")
                    yield Observation(step, note)
                    continue
                if answer:
                    self.history = [*self.history, base[-1],
                                    {"role": "assistant", "content": f"{scratch}Thought: {turn.thought}\nAnswer: {answer}"}]
                    yield Answer(step, answer, time.perf_counter() - start, step, new_tokens, rate)
                    return
                no_program += 1
                note = ("No program or Answer found. Write the Action as a ```python block that calls the tools, "
                        "or write the Answer.")
                scratch += f"Thought: {turn.thought}\n{observation_text(note)}"
                if no_program >= 2:  # it keeps thinking without acting: its next turn is started as the Answer
                    restart = ANSWER_PREFIX
                yield Error(step, "the reply had neither a program nor an Answer; asked the model again")
                yield Observation(step, note)
                continue

            no_program = 0
            yield Action(step, turn.code)
            key = program_key(turn.code)
            if key in ran:
                stuck += 1
                observation = (f"This program ran before and printed:\n{ran[key]}\nChange the program, or write the "
                               "Answer if that output answers the question.")
                yield Error(step, "the model wrote a program it had run before; not run again")
            else:
                stuck = 0
                calls.step = step
                result = interpreter.run(turn.code)
                yield from calls.take()
                observation = observation_of(result)
                ran[key] = observation
            observed = True
            grounding.learn([observation])
            yield Observation(step, observation)
            scratch += scratch_turn(turn) + observation_text(observation)
        yield NoAnswer(self.settings.max_steps, f"no answer within {self.settings.max_steps} steps",
                       time.perf_counter() - start, self.settings.max_steps)
