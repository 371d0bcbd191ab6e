"""The ReAct loop as a generator of events. It never prints.

Reasoning turns run with the adapter off and stop at "PAUSE" or "Observation:", so the model never
writes its own observations. Action lines go through the function-calling step (adapter on), every
resulting call runs in order, and the results come back as one Observation. "Answer:" ends the run;
the step limit ends it with a NoAnswer event. The conversation persists across questions (so the
prefix cache serves earlier turns) until `reset()`.

Small models copy their format examples, repeat themselves and invent values, so each step is
checked: a turn that only repeats is drawn again with sampling, a placeholder argument is refused
with the two ways on (find the value with a tool first, or answer from what the model knows), and
a number from nowhere (grounding.py) is questioned once, in a call or in the Answer. Each check
answers with an observation the model can act on.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from .calling import CallingStep
from .errors import ModelError
from .execution import DECLINED, run_tool
from .events import (Action, Answer, CallPlan, Error, Event, ModelTurn, NoAnswer, Notice, Observation, Started,
                     Thought, ThoughtDelta, ToolCall)
from .followup import recent, refers_back
from .grounding import (dropped_exponents, is_grounded, known_numbers, known_words, numbers_in, scientific_numbers,
                        ungrounded_numbers, unrelated_call)
from .nesting import InnerCallFailed, find_nested, substitute, whole_call
from .models.base import Engine, Sampling, Usage
from .parsing import Reply, parse_calls, parse_reply
from .prompts import (ANSWER_PREFIX, NATIVE_STUCK_PREFIX, NATIVE_SYSTEM, REANSWER_PREFIX, STUCK_PREFIX, TURN_PREFIX,
                      example_placeholders, observation_text, question_message, reasoning_system_prompt,
                      results_text)
from .settings import AgentSettings
from .tools import Registry
from .worker import ToolRunner

Approver = Callable[[str, dict], bool]  # (tool name, arguments) -> run it?


REDRAW_SAMPLING = Sampling(temperature=0.8, top_p=0.95, top_k=40)


@dataclass
class Grounding:
    """Per question: the numbers known so far, and the calls already questioned for a stray number."""
    known: set[float]
    warned: set[str]
    enabled: bool = True
    words: set[str] = field(default_factory=set)  # the words of the question and the results so far
    scientific: dict[float, str] = field(default_factory=dict)  # results in scientific notation, by mantissa
    answer_questioned: bool = False

    def learn(self, texts: list[str]) -> None:
        """Take in the question (and earlier exchanges) at the start, then each result as it arrives."""
        self.known |= known_numbers(texts)
        self.words |= known_words(texts)
        self.scientific |= scientific_numbers(texts)

    def question_answer(self, answer: str) -> str | None:
        """The note for an Answer with numbers from nowhere, or with a result's mantissa and not its
        exponent (small models write "5.1971 kg" for 5.1971e+24), once per question: the second is final."""
        if self.answer_questioned or not self.enabled:
            return None
        stray = [s for s, v in numbers_in(answer) if not is_grounded(s, v, self.known, constants=False)]
        dropped = dropped_exponents(answer, self.scientific)
        if not stray and not dropped:
            return None
        self.answer_questioned = True
        if dropped:
            written, result = dropped[0]
            return (f"Error: {written} in the Answer is {result} without its exponent. Write the Answer again "
                    "with the number exactly as the observation gives it.")
        return (f"Error: {', '.join(dict.fromkeys(stray))} in the Answer comes from neither the question nor an "
                "observation. Write the Answer again from the observations, or from your own knowledge if no tool "
                "fits the question.")


@dataclass
class Resolved:
    """A call's arguments once the tool calls nested in them have run."""
    arguments: dict
    failure: str | None = None  # the inner call that failed, and why
    only_wraps: bool = False
    repeated: bool = False  # the failed inner call had been made before


@dataclass
class DrawnTurn:
    turn: str = ""
    reply: Reply = Reply("", (), None)
    usage: Usage = Usage(0, 0, 0.0)
    new_tokens: int = 0
    decode_seconds: float = 0.0


def action_key(action: str) -> str:
    return re.sub(r"\s+", "", action)


def call_key(name: str, arguments: dict) -> str:
    return f"{name}:{json.dumps(arguments, sort_keys=True, default=str)}"


# "...", "<date>", "?" : stand-ins copied from a format example instead of a value.
_PLACEHOLDER = re.compile(r"^\s*(\.{2,}|…|<[^<>]*>|\?+|\[\s*\.\.\.\s*\]|\{\s*\.\.\.\s*\})\s*$")


def placeholder_arguments(arguments: dict) -> list[str]:
    """Names of string arguments whose value is only a stand-in."""
    return [k for k, v in arguments.items() if isinstance(v, str) and _PLACEHOLDER.match(v)]


# How a call's questioned values (see grounding.py) are followed in the note to the model.
_STRAY_ADVICE = (". Use the values you have, get a missing one with a tool, or write the Answer if the observations "
                 "already answer the question.")
_UNRELATED_ADVICE = (": this call is about something else. Call a tool with the question's own values, or write the "
                     "Answer if the observations already answer the question.")


def format_call(name: str, arguments: dict) -> str:
    return f"{name}({', '.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in arguments.items())})"


_LEADING_LABEL = re.compile(r"\s*(Action|Answer|Final Answer)\s*:", re.IGNORECASE)


def turn_text(generated: str, prefix: str = TURN_PREFIX) -> str:
    """The turn as the parser should see it: the prefilled start plus what the model wrote. After the
    plain "Thought:", the model may repeat the label or skip the thought and start with an Action or
    Answer; after a longer start, an Action or Answer label goes on a line of its own."""
    if prefix != TURN_PREFIX:
        label = prefix.rsplit("\n", 1)[-1]
        if label.endswith(":"):  # the start ends with a label ("Answer:"), which the model may write again
            body = generated.lstrip()
            return prefix + (body[len(label):] if body.startswith(label) else generated)
        return f"{prefix}\n{generated.lstrip()}" if _LEADING_LABEL.match(generated) else prefix + generated
    body = generated.lstrip()
    if body.lower().startswith(TURN_PREFIX.lower()):
        body = body[len(TURN_PREFIX):].lstrip()
    return body if _LEADING_LABEL.match(body) else f"{TURN_PREFIX} {body}"


class Agent:
    def __init__(self, engine: Engine, registry: Registry, runner: ToolRunner,
                 settings: AgentSettings | None = None, approve: Approver | None = None):
        self.engine = engine
        self.registry = registry
        self.runner = runner
        self.settings = settings or AgentSettings()
        self.approve = approve
        self.calling = CallingStep(engine, registry, constrained=self.settings.constrained,
                                   max_new_tokens=self.settings.max_new_tokens)
        self.system = {"role": "system", "content": reasoning_system_prompt(registry)}
        self.history: list[dict] = []  # earlier questions' messages, full traces
        self.code = None
        if self.settings.mode == "code":
            from .code.loop import CodeLoop

            self.code = CodeLoop(engine, registry, runner, self.settings, approve, self._reason)

    def reset(self) -> None:
        self.history = []
        if self.code is not None:
            self.code.reset()

    def warm(self) -> None:
        """Prepare the reasoning prompt's fixed prefix in the engine (see Engine.warm)."""
        if self.settings.mode == "react":
            self.engine.warm([self.system], adapter=False)
        elif self.code is not None:
            self.code.warm()

    # ---- context window -----------------------------------------------------------------------
    def _fit(self, messages: list[dict], base: list[dict]) -> Iterator[Event]:
        """Leave the oldest earlier questions out of this prompt until it fits, with a notice."""
        budget = self.engine.context_length - self.settings.max_new_tokens
        dropped = 0
        while len(base) > 2 and self.engine.count_tokens(messages) > budget:
            # base is [system, *earlier questions, question]; each earlier one starts with a "Question:" message
            earlier = base[1:-1]
            cut = next((i for i in range(1, len(earlier))
                        if earlier[i]["role"] == "user" and earlier[i]["content"].startswith("Question:")),
                       len(earlier))
            del messages[1:1 + cut]
            del base[1:1 + cut]
            # With "full" the prompt holds the whole history: forget the oldest question for good, or
            # every later question would trim it again. With "auto" older questions simply stay out.
            if self.settings.history == "full":
                del self.history[:cut]
            dropped += 1
        if dropped:
            yield Notice(0, f"context window nearly full: left the {dropped} oldest question(s) out of the prompt")
        if self.engine.count_tokens(messages) > budget:
            raise OverflowError("the question and its steps no longer fit in the model's context window")

    # ---- the loop ----------------------------------------------------------------------------
    def run(self, question: str) -> Iterator[Event]:
        """The question's events. An engine failure mid-run (a model server gone away) ends the run
        with a NoAnswer that says why, so a batch or a chat session goes on."""
        start = time.perf_counter()
        step = 0
        yield Started(question, self.settings.model_name)
        try:
            loop = self._run_react
            if self.settings.mode == "native":
                loop = self._run_native
            elif self.code is not None:
                loop = self.code.run
            for event in loop(question):
                step = event.step
                yield event
        except ModelError as exc:
            yield Error(step, str(exc))
            yield NoAnswer(step, str(exc), time.perf_counter() - start, step)

    def _run_native(self, question: str) -> Iterator[Event]:
        """One stage in the template's own format: free text until "<tool_call>", then the call itself
        decoded under the grammar of one call (free text stays free), run, and its result sent back as
        a tool message. A reply without a tool call is the answer."""
        start = time.perf_counter()
        schemas = self.registry.schemas()
        base = [{"role": "system", "content": NATIVE_SYSTEM}, *self.history, {"role": "user", "content": question}]
        turn: list[dict] = []
        seen_calls: dict[str, str] = {}
        new_tokens, decode_seconds = 0, 0.0
        stuck = False  # the last step only repeated earlier calls
        for step in range(1, self.settings.max_steps + 1):
            messages = base + turn
            stops: tuple[str, ...] = ("<tool_call>",)
            if stuck:  # small models repeat a call until the step limit; start the answer for them
                messages = messages + [{"role": "assistant", "content": NATIVE_STUCK_PREFIX}]
                stops = ("<tool_call>", "\n\n")
                yield ThoughtDelta(step, NATIVE_STUCK_PREFIX)
            text, usage = yield from self._reason(step, messages, stops, schemas)
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
                    self.history = [*base[1:], *turn, {"role": "assistant", "content": answer}]
                    yield Answer(step, answer, time.perf_counter() - start, step, new_tokens, rate)
                    return
                # a server that parses tool calls itself hands them back in their tags, after the text
                tags = [] if "<tool_call>" in text else ["tool-call tags missing"]
                calls, raw, repairs = parsed.calls, text, [*tags, *parsed.repairs]
            else:
                yield Thought(step, text.strip(), usage.seconds, usage.new_tokens)
                cont = messages + [{"role": "assistant", "content": text + "<tool_call>\n"}]
                gen = self.engine.generate(cont, stop=["</tool_call>"], adapter=False, tools=schemas,
                                           grammar=self.calling.single_call_grammar, max_new_tokens=200)
                new_tokens += gen.usage.new_tokens
                yield ModelTurn(step, "calling", tuple(cont), gen.text, gen.usage.prompt_tokens,
                                gen.usage.cached_tokens, gen.usage.new_tokens, gen.usage.seconds, adapter=False,
                                constrained=self.calling.single_call_grammar is not None)
                parsed = parse_calls(f"<tool_call>{gen.text}</tool_call>")
                raw, repairs = gen.text, parsed.repairs
                calls = parsed.calls or []
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
                event = self._execute(step, call["name"], call["arguments"], seen_calls)
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

    def _run_react(self, question: str) -> Iterator[Event]:
        """Answer one question. The steps so far form one assistant message that the model continues
        (a scratchpad): small models keep the protocol far better that way than across chat turns,
        and each step extends the cached prefix instead of adding template tokens."""
        start = time.perf_counter()
        earlier = self.history
        if self.settings.history == "auto":
            earlier = recent(self.history) if refers_back(question) else []
            if earlier:
                yield Notice(0, "refers back: the last exchanges are in the prompt (/reset forgets them)")
        base = [self.system, *earlier, question_message(question)]
        scratch = ""
        observations: list[str] = []
        seen_calls: dict[str, str] = {}
        new_tokens = 0
        decode_seconds = 0.0
        stuck = 0  # consecutive steps that only repeated earlier calls
        earlier_actions: set[str] = set()
        refused_actions: set[str] = set()  # Actions that copied the format example's placeholders
        redraws = [self.settings.redraws]  # left for this question
        restart: str | None = None  # how the next turn is started, where not the usual way
        thought_only = 0  # consecutive turns with neither an Action nor an Answer
        grounding = Grounding(set(), set(), enabled=self.settings.grounding)
        grounding.learn([m["content"] for m in base[1:]])
        for step in range(1, self.settings.max_steps + 1):
            prefix = restart or (TURN_PREFIX if stuck < 2 else STUCK_PREFIX)
            restart = None
            messages = base + [{"role": "assistant", "content": scratch + prefix}]
            try:
                yield from self._fit(messages, base)
            except OverflowError as exc:
                yield NoAnswer(step, str(exc), time.perf_counter() - start, step - 1)
                return
            drawn = yield from self._draw_turn(step, base, scratch, prefix, earlier_actions, seen_calls, redraws)
            new_tokens += drawn.new_tokens
            decode_seconds += drawn.decode_seconds
            usage, turn, reply = drawn.usage, drawn.turn, drawn.reply
            if usage.stop_reason == "interrupted":
                yield NoAnswer(step, "interrupted", time.perf_counter() - start, step)
                return
            step_actions = {action_key(a) for a in reply.actions}
            earlier_actions |= step_actions
            scratch += turn.rstrip()
            yield Thought(step, reply.thought, usage.seconds, usage.new_tokens)
            rate = new_tokens / decode_seconds if decode_seconds > 0 else 0.0

            if not reply.actions:
                answer = reply.answer
                if answer is None and usage.stop_reason == "eos" and reply.thought:
                    answer = reply.thought  # the model answered outside the protocol
                if answer and answer.strip() == parse_reply(prefix).thought.strip():
                    answer = None  # it only wrote out again the thought the loop started its turn with
                note = grounding.question_answer(answer) if answer and observations else None
                if note:
                    scratch += f"\n{observation_text(note)}"
                    restart = REANSWER_PREFIX
                    observations.append(note)
                    yield Error(step, "the Answer's numbers do not match the observations; asked the model again")
                    yield Observation(step, note)
                    continue
                if answer:
                    self.history = [*self.history, base[-1], {"role": "assistant", "content": scratch}]
                    yield Answer(step, answer, time.perf_counter() - start, step, new_tokens, rate)
                    return
                scratch += "\nObservation: no Action or Answer found. Write an Action with a tool call, or the Answer.\n"
                thought_only += 1
                if thought_only >= 2:  # it keeps thinking without acting: its next turn is started as the Answer
                    restart = ANSWER_PREFIX
                yield Error(step, "the reply had neither an Action nor an Answer; asked the model again")
                continue
            thought_only = 0

            scratch += "\nPAUSE\n"
            for action in reply.actions:
                yield Action(step, action)
            copied = self._copied_example(reply.actions)
            if copied:
                observation = copied
                repeats = step_actions <= refused_actions
                refused_actions |= step_actions
                stuck = stuck + 1 if repeats else 0
                yield Error(step, "the Action has the format example's placeholders instead of values; not run")
                observations.append(observation)
                yield Observation(step, observation)
                scratch += observation_text(observation)
                continue
            plan = self.calling.run(question, observations, list(reply.actions))
            for messages_sent, raw, turn_usage, constrained in plan.turns:
                new_tokens += turn_usage.new_tokens
                yield ModelTurn(step, "calling", tuple(messages_sent), raw, turn_usage.prompt_tokens,
                                turn_usage.cached_tokens, turn_usage.new_tokens, turn_usage.seconds,
                                adapter=True, constrained=constrained)
            if plan.error is not None:
                observation = (f"Error: the Action could not be turned into a valid tool call ({plan.error}). "
                               f"Write the Action as a call of one of: {', '.join(self.registry.names())}.")
                yield Error(step, f"function-calling step failed: {plan.error}")
            elif not plan.calls:
                observation = ("No tool fits that Action. Use one of the listed tools, or write the Answer "
                               "if you know it.")
                yield CallPlan(step, (), plan.source, tuple(plan.repairs), plan.retried)
            else:
                yield CallPlan(step, tuple(plan.calls), plan.source, tuple(plan.repairs), plan.retried)
                lines, repeated = [], []
                questioned = len(grounding.warned)
                for call in plan.calls:
                    nested = yield from self._resolve_nested(step, call, seen_calls, lines, grounding)
                    if nested.failure:
                        lines.append((format_call(call['name'], call['arguments']), f"Error: {nested.failure}"))
                        repeated.append(nested.repeated)  # a failed inner call made again counts toward a loop
                        continue
                    event = self._execute(step, call["name"], nested.arguments, seen_calls, grounding)
                    if event.error is not None and nested.only_wraps:
                        yield Notice(step, f"{call['name']} only wrapped the inner call, whose result stands "
                                           f"({call['name']} failed on it: {event.error})")
                        continue
                    repeated.append(event.repeated)
                    yield event
                    shown = event.result if event.error is None else f"Error: {event.error}"
                    lines.append((format_call(event.name, event.arguments), shown))
                observation = results_text(lines)
                if len(grounding.warned) > questioned:
                    earlier_actions -= step_actions  # the same Action again confirms the number: not a loop
            stuck = stuck + 1 if plan.calls and repeated and all(repeated) else 0
            observation = observation.strip()
            observations.append(observation)
            yield Observation(step, observation)
            scratch += observation_text(observation)
        yield NoAnswer(self.settings.max_steps, f"no answer within {self.settings.max_steps} steps",
                       time.perf_counter() - start, self.settings.max_steps)

    def _draw_turn(self, step: int, base: list[dict], scratch: str, prefix: str, earlier_actions: set[str],
                   seen_calls: dict[str, str], redraws: list[int]):
        """One reasoning turn. A turn whose Actions only repeat earlier ones is drawn again with
        sampling (while `redraws[0]` lasts), since greedy decoding would write it again. A repeated
        placeholder call is not: sampling only sends such a model to some other tool."""
        drawn = DrawnTurn()
        sampling = self.settings.sampling
        while True:
            yield ThoughtDelta(step, prefix)
            messages = base + [{"role": "assistant", "content": scratch + prefix}]
            text, usage = yield from self._reason(step, messages, self.settings.stop, sampling=sampling)
            drawn.new_tokens += usage.new_tokens
            drawn.decode_seconds += usage.seconds - usage.prefill_seconds
            drawn.usage = usage
            drawn.turn = turn_text(text, prefix)
            drawn.reply = reply = self._without_copied_results(parse_reply(drawn.turn))
            if not reply.actions and reply.answer is None:
                # a call written right after "Thought:" without its Action label
                named = text.strip().splitlines()[0].strip().rstrip(".") if text.strip() else ""
                if self.calling.from_action_text([named]):
                    drawn.turn = f"{drawn.turn.rstrip()}\nAction: {named}"
                    drawn.reply = reply = Reply(reply.thought, (named,), None)
            if usage.stop_reason == "interrupted" or not reply.actions or redraws[0] <= 0:
                return drawn
            calls = self.calling.from_action_text(list(reply.actions)) or []
            if not self._only_repeats(reply.actions, calls, earlier_actions, seen_calls):
                return drawn
            if calls and all(placeholder_arguments(c["arguments"]) for c in calls):
                return drawn  # it has nothing to call: the stuck-loop guard starts its Answer instead
            sampling = replace(REDRAW_SAMPLING, seed=step * 100 + redraws[0])
            yield Notice(step, "the model only repeated an earlier Action; drawing this step again")
            redraws[0] -= 1

    def _copied_example(self, actions: tuple[str, ...]) -> str | None:
        """The note for Actions that are no valid call because they keep the format example's
        placeholders (`days=<int>`); None when they can be run or turned into calls as usual."""
        stand_ins = list(dict.fromkeys(p for a in actions for p in example_placeholders(a)))
        if not stand_ins or self.calling.from_action_text(list(actions)) is not None:
            return None
        one = len(stand_ins) == 1
        return (f"Error: {', '.join(stand_ins)} {'is a placeholder' if one else 'are placeholders'} copied from the "
                f"format example, not {'a value' if one else 'values'}. Write the call with real values. If another "
                "tool gives a value, call it first; if no tool does, write the Answer from what you know.")

    @staticmethod
    def _only_repeats(actions: tuple[str, ...], calls: list[dict], earlier_actions: set[str],
                      seen_calls: dict[str, str]) -> bool:
        """Every Action was written before, or every call in them has been made already."""
        if {action_key(a) for a in actions} <= earlier_actions:
            return True
        return bool(calls) and all(call_key(c["name"], c["arguments"]) in seen_calls for c in calls)

    def _without_copied_results(self, reply: Reply) -> Reply:
        """Action lines copied from an earlier observation, `call(...) -> result`, keep only the calls."""
        actions: list[str] = []
        for action in reply.actions:
            lines = [line.strip() for line in action.splitlines() if line.strip()]
            calls = [line.split(" -> ", 1)[0].strip() for line in lines]
            if all(" -> " in line for line in lines) and self.calling.from_action_text(calls):
                actions.extend(c for c in dict.fromkeys(calls) if c not in actions)
            else:
                actions.append(action)
        return replace(reply, actions=tuple(actions))

    def _reason(self, step: int, messages: list[dict], stop, tools: list[dict] | None = None,
                sampling: Sampling | None = None):
        """One reasoning turn (adapter off), streamed as ThoughtDelta events; returns (text, usage)."""
        text, usage = "", Usage(0, 0, 0.0)
        for chunk in self.engine.stream(messages, stop=stop, adapter=False, tools=tools,
                                        max_new_tokens=self.settings.max_new_tokens,
                                        sampling=sampling or self.settings.sampling):
            if isinstance(chunk, Usage):
                usage = chunk
            else:
                text += chunk
                yield ThoughtDelta(step, chunk)
        yield ModelTurn(step, "reasoning", tuple(messages), text, usage.prompt_tokens, usage.cached_tokens,
                        usage.new_tokens, usage.seconds, adapter=False)
        return text, usage

    def _resolve_nested(self, step: int, call: dict, seen: dict[str, str], lines: list[tuple[str, str]],
                        grounding: Grounding | None = None):
        """Run the tool calls that the Action gave as argument values first (see nesting.py; a quoted
        string is never run). `only_wraps`: every such argument is a text argument that is that call
        alone, calculate(expression=weekday(...)); where the outer tool then fails on the inner
        result, the wrapper was a slip of form."""
        arguments = dict(call["arguments"])
        nested = find_nested(arguments, set(self.registry.tools))
        if not nested:
            return Resolved(arguments)
        # calculate(expression=weekday(...)): a text argument that is only the inner call. A typed
        # argument given as a call, convert(value=get_mass(...)), is a composition, not a slip.
        props = self.registry.tools[call["name"]].parameters.get("properties", {})
        only_wraps = all(whole_call(tree, self.registry.tools) and props.get(key, {}).get("type") == "string"
                         for key, tree in nested.items())
        events: list[ToolCall] = []

        def run(name: str, args: dict) -> tuple[bool, str]:
            event = self._execute(step, name, args, seen, grounding)
            events.append(event)
            lines.append((format_call(name, event.arguments),
                          event.result if event.error is None else f"Error: {event.error}"))
            return event.error is None, event.result if event.error is None else event.error

        try:
            for key, tree in nested.items():
                arguments[key] = substitute(tree, self.calling.tool_params, run)
        except InnerCallFailed as exc:
            yield from events
            return Resolved(arguments, str(exc), only_wraps, repeated=bool(events) and events[-1].repeated)
        yield from events
        yield Notice(step, f"ran the tool calls nested in the arguments of {call['name']} first")
        return Resolved(arguments, None, only_wraps)

    def _execute(self, step: int, name: str, arguments: dict, seen: dict[str, str],
                 grounding: Grounding | None = None) -> ToolCall:
        key = call_key(name, arguments)
        stand_ins = placeholder_arguments(arguments)
        if stand_ins and key not in seen:
            listed = ", ".join(f"{k}={json.dumps(arguments[k])}" for k in stand_ins)
            note = (f"{listed} {'is a placeholder' if len(stand_ins) == 1 else 'are placeholders'}, not "
                    "a value. If another tool gives the value, call it first; if no tool does, write the Answer "
                    "from what you know.")
            seen[key] = f"Error: {note}"  # the same refused call again counts as a repeat
            return ToolCall(step, name, arguments, None, note, 0.0)
        if key in seen:
            note = (f"you already called {format_call(name, arguments)} and got: {seen[key].rstrip('.')}. "
                    "Do not repeat the call; use that result or write the Answer.")
            return ToolCall(step, name, arguments, None, note, 0.0, repeated=True)
        if grounding is not None and grounding.enabled and key not in grounding.warned:
            # numbers from nowhere first; failing those, a call none of whose values relates to anything
            found, advice = ungrounded_numbers(arguments, grounding.known), _STRAY_ADVICE
            if not found:
                found, advice = unrelated_call(arguments, grounding.known, grounding.words), _UNRELATED_ADVICE
            if found:
                grounding.warned.add(key)  # asked once: a call written again as it was runs
                verb = "comes" if len(found) == 1 else "come"
                note = (f"{', '.join(found)} in {format_call(name, arguments)} {verb} from neither the question "
                        f"nor an observation{advice}")
                return ToolCall(step, name, arguments, None, note, 0.0)
        event = run_tool(step, name, arguments, self.runner, self.registry, self.approve)
        if event.error == DECLINED:
            return event
        if event.error is None:
            seen[key] = event.result
            if grounding is not None:
                grounding.learn([event.result])
            return event
        seen[key] = f"Error: {event.error}"
        if grounding is not None:
            grounding.words |= known_words([event.error])  # an error may list the values that exist
        return event
