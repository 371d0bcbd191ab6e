"""The react loop: Thought, Action, PAUSE, Observation, and an Answer at the end.

The steps so far form one assistant message that the model continues (a scratchpad): small models
keep the protocol far better that way than across chat turns, and each step extends the cached
prefix instead of adding template tokens. Reasoning turns stop at "PAUSE" or "Observation:", so
the model never writes its own observations. Action lines go through the function-calling step,
every resulting call runs in order, and the results come back as one Observation. "Answer:" ends
the run; the step limit ends it with a NoAnswer.

Everything the loop tracks for one question is one `QuestionState`; the guards it asks are in
slmreact_cli/guards, the steps that reach the engine or the tools in steps.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator

from ..events import Action, Answer, CallPlan, Error, Event, ModelTurn, NoAnswer, Notice, Observation, Thought
from ..guards.grounding import Grounding
from ..guards.history import OVERFLOW, REFERS_BACK_NOTE, earlier_exchanges, fit_to_window
from ..guards.placeholders import copied_example_note
from ..guards.repeats import action_key
from ..models.base import Usage
from ..parsing import Reply, parse_reply
from ..prompts import (ANSWER_PREFIX, REANSWER_PREFIX, STUCK_PREFIX, TURN_PREFIX, format_call, observation_text,
                       question_message, results_text)
from ..settings import AgentSettings
from .steps import Resolved, Steps

NO_ACTION_NOTE = "\nObservation: no Action or Answer found. Write an Action with a tool call, or the Answer.\n"


@dataclass
class QuestionState:
    """What the react loop tracks while it answers one question."""
    question: str
    base: list[dict]  # [system, *earlier exchanges, question]; the oldest exchanges may be left out
    grounding: Grounding
    redraws_left: int  # turns that may still be drawn again (see Steps.draw_turn)
    start: float = field(default_factory=time.perf_counter)
    scratch: str = ""  # the steps so far, the assistant message the model continues
    observations: list[str] = field(default_factory=list)
    seen_calls: dict[str, str] = field(default_factory=dict)  # call key -> its result or error
    new_tokens: int = 0
    decode_seconds: float = 0.0
    stuck: int = 0  # consecutive steps that only repeated earlier calls
    earlier_actions: set[str] = field(default_factory=set)
    refused_actions: set[str] = field(default_factory=set)  # Actions that copied the format example's placeholders
    restart: str | None = None  # how the next turn is started, where not the usual way
    thought_only: int = 0  # consecutive turns with neither an Action nor an Answer

    def next_prefix(self) -> str:
        """How the next turn starts; a restart applies to one turn only."""
        prefix = self.restart or (TURN_PREFIX if self.stuck < 2 else STUCK_PREFIX)
        self.restart = None
        return prefix

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def rate(self) -> float:
        return self.new_tokens / self.decode_seconds if self.decode_seconds > 0 else 0.0


class ReactLoop:
    def __init__(self, steps: Steps, settings: AgentSettings, system: dict):
        self.steps = steps
        self.calling = steps.calling
        self.registry = steps.registry
        self.engine = steps.engine
        self.settings = settings
        self.system = system

    def run(self, question: str, history: list[dict]) -> Iterator[Event]:
        """Answer one question. `history` is the agent's list of earlier messages: an Answer adds
        this exchange to it, and with `history = "full"` the oldest questions that no longer fit
        the window are dropped from it for good."""
        state = yield from self._start(question, history)
        for step in range(1, self.settings.max_steps + 1):
            prefix = state.next_prefix()
            if not (yield from self._fit(state, step, prefix, history)):
                return
            drawn = yield from self.steps.draw_turn(step, state.base, state.scratch, prefix, state.earlier_actions,
                                                    state.seen_calls, state.redraws_left)
            state.redraws_left = drawn.redraws_left
            state.new_tokens += drawn.new_tokens
            state.decode_seconds += drawn.decode_seconds
            usage, reply = drawn.usage, drawn.reply
            if usage.stop_reason == "interrupted":
                yield NoAnswer(step, "interrupted", state.elapsed(), step)
                return
            step_actions = {action_key(a) for a in reply.actions}
            state.earlier_actions |= step_actions
            state.scratch += drawn.turn.rstrip()
            yield Thought(step, reply.thought, usage.seconds, usage.new_tokens)
            if not reply.actions:
                if (yield from self._answer(state, step, reply, usage, prefix, history)):
                    return
                continue
            state.thought_only = 0
            yield from self._act(state, step, reply, step_actions)
        yield NoAnswer(self.settings.max_steps, f"no answer within {self.settings.max_steps} steps",
                       state.elapsed(), self.settings.max_steps)

    def _start(self, question: str, history: list[dict]):
        """The question's state, with a notice where the question sees earlier exchanges."""
        keep = self.settings.history if self.settings.uses("history") else "full"
        earlier = earlier_exchanges(history, question, keep)
        if keep == "auto" and earlier:
            yield Notice(0, REFERS_BACK_NOTE)
        base = [self.system, *earlier, question_message(question)]
        state = QuestionState(question, base, Grounding(set(), set(), enabled=self.settings.uses("grounding")),
                              redraws_left=self.settings.redraws)
        state.grounding.learn([m["content"] for m in base[1:]])
        return state

    def _fit(self, state: QuestionState, step: int, prefix: str, history: list[dict]):
        """Leave the oldest earlier questions out of the prompt until it fits, with a notice; False
        (after a NoAnswer) where the question and its steps alone no longer fit."""
        budget = self.engine.context_length - self.settings.max_new_tokens
        tail = [{"role": "assistant", "content": state.scratch + prefix}]
        fitted = fit_to_window(state.base, tail, self.engine.count_tokens, budget, trim=self.settings.uses("history"))
        state.base = fitted.base
        # With "full" the prompt holds the whole history: forget the oldest questions for good, or
        # every later question would trim them again. With "auto" older questions simply stay out.
        if fitted.messages_cut and self.settings.history == "full":
            del history[:fitted.messages_cut]
        if fitted.note:
            yield Notice(0, fitted.note)
        if not fitted.fits:
            yield NoAnswer(step, OVERFLOW, state.elapsed(), step - 1)
        return fitted.fits

    def _answer(self, state: QuestionState, step: int, reply: Reply, usage: Usage, prefix: str,
                history: list[dict]):
        """A turn without Actions: the Answer (True), or a note that asks for another turn."""
        answer = reply.answer
        if answer is None and usage.stop_reason == "eos" and reply.thought:
            answer = reply.thought  # the model answered outside the protocol
        if answer and answer.strip() == parse_reply(prefix).thought.strip():
            answer = None  # it only wrote out again the thought the loop started its turn with
        note = state.grounding.question_answer(answer) if answer and state.observations else None
        if note:
            state.scratch += f"\n{observation_text(note)}"
            state.restart = REANSWER_PREFIX
            state.observations.append(note)
            yield Error(step, "the Answer's numbers do not match the observations; asked the model again")
            yield Observation(step, note)
            return False
        if answer:
            history.extend([state.base[-1], {"role": "assistant", "content": state.scratch}])
            yield Answer(step, answer, state.elapsed(), step, state.new_tokens, state.rate)
            return True
        state.scratch += NO_ACTION_NOTE
        state.thought_only += 1
        if state.thought_only >= 2:  # it keeps thinking without acting: its next turn is started as the Answer
            state.restart = ANSWER_PREFIX
        yield Error(step, "the reply had neither an Action nor an Answer; asked the model again")
        return False

    def _act(self, state: QuestionState, step: int, reply: Reply, step_actions: set[str]):
        """The step's Actions to calls, each run past the guards, and their results as one Observation."""
        state.scratch += "\nPAUSE\n"
        for action in reply.actions:
            yield Action(step, action)
        if self.settings.uses("placeholders"):
            copied = copied_example_note(reply.actions, self.calling.from_action_text(list(reply.actions)))
            if copied:
                repeats = self.settings.uses("repeats") and step_actions <= state.refused_actions
                state.refused_actions |= step_actions
                state.stuck = state.stuck + 1 if repeats else 0
                yield Error(step, "the Action has the format example's placeholders instead of values; not run")
                self._observe(state, copied)
                yield Observation(step, copied)
                return
        plan = self.calling.run(state.question, state.observations, list(reply.actions))
        for messages_sent, raw, turn_usage, constrained in plan.turns:
            state.new_tokens += turn_usage.new_tokens
            yield ModelTurn(step, "calling", tuple(messages_sent), raw, turn_usage.prompt_tokens,
                            turn_usage.cached_tokens, turn_usage.new_tokens, turn_usage.seconds,
                            adapter=True, constrained=constrained)
        repeated: list[bool] = []
        if plan.error is not None:
            observation = (f"Error: the Action could not be turned into a valid tool call ({plan.error}). "
                           f"Write the Action as a call of one of: {', '.join(self.registry.names())}.")
            yield Error(step, f"function-calling step failed: {plan.error}")
        elif not plan.calls:
            observation = "No tool fits that Action. Use one of the listed tools, or write the Answer if you know it."
            yield CallPlan(step, (), plan.source, tuple(plan.repairs), plan.retried)
        else:
            yield CallPlan(step, tuple(plan.calls), plan.source, tuple(plan.repairs), plan.retried)
            questioned = len(state.grounding.warned)
            observation, repeated = yield from self._run_calls(state, step, plan.calls)
            if len(state.grounding.warned) > questioned:
                state.earlier_actions -= step_actions  # the same Action again confirms the number: not a loop
        state.stuck = state.stuck + 1 if plan.calls and repeated and all(repeated) else 0
        observation = observation.strip()
        self._observe(state, observation)
        yield Observation(step, observation)

    def _run_calls(self, state: QuestionState, step: int, calls: list[dict]):
        """Run the step's calls in order, nested calls first; returns (observation, repeated flags)."""
        lines: list[tuple[str, str]] = []
        repeated: list[bool] = []
        for call in calls:
            nested: Resolved = yield from self.steps.resolve_nested(step, call, state.seen_calls, lines,
                                                                    state.grounding)
            if nested.failure:
                lines.append((format_call(call['name'], call['arguments']), f"Error: {nested.failure}"))
                repeated.append(nested.repeated)  # a failed inner call made again counts toward a loop
                continue
            event = self.steps.execute(step, call["name"], nested.arguments, state.seen_calls, state.grounding)
            if event.error is not None and nested.only_wraps:
                yield Notice(step, f"{call['name']} only wrapped the inner call, whose result stands "
                                   f"({call['name']} failed on it: {event.error})")
                continue
            repeated.append(event.repeated)
            yield event
            shown = event.result if event.error is None else f"Error: {event.error}"
            lines.append((format_call(event.name, event.arguments), shown))
        return results_text(lines), repeated

    @staticmethod
    def _observe(state: QuestionState, observation: str) -> None:
        state.observations.append(observation)
        state.scratch += observation_text(observation)
