"""The parts of a step that reach the engine or the tools, shared by the react and native loops:
a reasoning turn (streamed), a turn drawn again when it only repeats, nested calls run first, and
one call run past the guards.

Each is a generator of events where it has events to show, returning its outcome to the loop
(`text, usage = yield from steps.reason(...)`). The guards themselves (slmreact_cli/guards) only
judge; this module asks them and acts on their answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from ..events import Notice, ModelTurn, ThoughtDelta, ToolCall
from ..execution import DECLINED, run_tool
from ..guards.grounding import Grounding, call_note
from ..guards.nesting import InnerCallFailed, find_nested, only_wraps, substitute
from ..guards.placeholders import placeholder_arguments, placeholder_note
from ..guards.repeats import call_key, only_repeats, repeated_call_note
from ..models.base import Engine, Sampling, Usage
from ..parsing import Reply, parse_reply
from ..prompts import TURN_PREFIX, format_call
from ..settings import AgentSettings
from ..tools import Registry
from ..worker import ToolRunner
from .calling import CallingStep

Approver = Callable[[str, dict], bool]  # (tool name, arguments) -> run it?

REDRAW_SAMPLING = Sampling(temperature=0.8, top_p=0.95, top_k=40)

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
    redraws_left: int = 0


class Steps:
    def __init__(self, engine: Engine, registry: Registry, runner: ToolRunner, settings: AgentSettings,
                 calling: CallingStep, approve: Approver | None = None):
        self.engine = engine
        self.registry = registry
        self.runner = runner
        self.settings = settings
        self.calling = calling
        self.approve = approve

    def reason(self, step: int, messages: list[dict], stop, tools: list[dict] | None = None,
               sampling: Sampling | None = None):
        """One reasoning turn (adapter off), streamed as ThoughtDelta events; returns (text, usage)."""
        text, usage = "", Usage(0, 0, 0.0)
        for chunk in self.engine.stream(messages, stop=stop, role="reasoning", tools=tools,
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

    def draw_turn(self, step: int, base: list[dict], scratch: str, prefix: str, earlier_actions: set[str],
                  seen_calls: dict[str, str], redraws_left: int):
        """One reasoning turn of the react loop. A turn whose Actions only repeat earlier ones is
        drawn again with sampling (while `redraws_left` lasts; the turn says how many are left), since
        greedy decoding would write it again. A repeated placeholder call is not: sampling only sends
        such a model to some other tool."""
        drawn = DrawnTurn(redraws_left=redraws_left)
        sampling = self.settings.sampling
        while True:
            yield ThoughtDelta(step, prefix)
            messages = base + [{"role": "assistant", "content": scratch + prefix}]
            text, usage = yield from self.reason(step, messages, self.settings.stop, sampling=sampling)
            drawn.new_tokens += usage.new_tokens
            drawn.decode_seconds += usage.seconds - usage.prefill_seconds
            drawn.usage = usage
            drawn.turn = turn_text(text, prefix)
            drawn.reply = reply = self.without_copied_results(parse_reply(drawn.turn))
            if not reply.actions and reply.answer is None:
                # a call written right after "Thought:" without its Action label
                named = text.strip().splitlines()[0].strip().rstrip(".") if text.strip() else ""
                if self.calling.from_action_text([named]):
                    drawn.turn = f"{drawn.turn.rstrip()}\nAction: {named}"
                    drawn.reply = reply = Reply(reply.thought, (named,), None)
            if usage.stop_reason == "interrupted" or not reply.actions or drawn.redraws_left <= 0:
                return drawn
            if not self.settings.uses("repeats"):
                return drawn
            calls = self.calling.from_action_text(list(reply.actions)) or []
            if not only_repeats(reply.actions, calls, earlier_actions, seen_calls):
                return drawn
            if self.settings.uses("placeholders") and calls and all(placeholder_arguments(c["arguments"])
                                                                    for c in calls):
                return drawn  # it has nothing to call: the stuck-loop guard starts its Answer instead
            sampling = replace(REDRAW_SAMPLING, seed=step * 100 + drawn.redraws_left)
            yield Notice(step, "the model only repeated an earlier Action; drawing this step again")
            drawn.redraws_left -= 1

    def without_copied_results(self, reply: Reply) -> Reply:
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

    def resolve_nested(self, step: int, call: dict, seen: dict[str, str], lines: list[tuple[str, str]],
                       grounding: Grounding | None = None):
        """Run the tool calls that the Action gave as argument values first (see guards/nesting.py;
        a quoted string is never run). Each inner call is one line of `lines`, the step's
        (call, result) pairs. Returns a `Resolved`."""
        arguments = dict(call["arguments"])
        if not self.settings.uses("nesting"):
            return Resolved(arguments)
        nested = find_nested(arguments, set(self.registry.tools))
        if not nested:
            return Resolved(arguments)
        props = self.registry.tools[call["name"]].parameters.get("properties", {})
        wraps = only_wraps(nested, props, self.registry.tools)
        events: list[ToolCall] = []

        def run(name: str, args: dict) -> tuple[bool, str]:
            event = self.execute(step, name, args, seen, grounding)
            events.append(event)
            lines.append((format_call(name, event.arguments),
                          event.result if event.error is None else f"Error: {event.error}"))
            return event.error is None, event.result if event.error is None else event.error

        try:
            for key, tree in nested.items():
                arguments[key] = substitute(tree, self.calling.tool_params, run)
        except InnerCallFailed as exc:
            yield from events
            return Resolved(arguments, str(exc), wraps, repeated=bool(events) and events[-1].repeated)
        yield from events
        yield Notice(step, f"ran the tool calls nested in the arguments of {call['name']} first")
        return Resolved(arguments, None, wraps)

    def execute(self, step: int, name: str, arguments: dict, seen: dict[str, str],
                grounding: Grounding | None = None) -> ToolCall:
        """One call past the guards, then to the tools: a call that only repeats, has stand-in
        values or numbers from nowhere comes back as a ToolCall whose error is the guard's note.
        `seen` (call key -> result or error) and `grounding` learn from each call."""
        key = call_key(name, arguments)
        repeated = repeated_call_note(name, arguments, seen) if self.settings.uses("repeats") else None
        stand_ins = placeholder_note(arguments) if self.settings.uses("placeholders") else None
        if stand_ins and not repeated:
            seen[key] = f"Error: {stand_ins}"  # the same refused call again counts as a repeat
            return ToolCall(step, name, arguments, None, stand_ins, 0.0)
        if repeated:
            return ToolCall(step, name, arguments, None, repeated, 0.0, repeated=True)
        if grounding is not None:
            stray = call_note(name, arguments, grounding)
            if stray:
                grounding.warned.add(key)  # asked once: a call written again as it was runs
                return ToolCall(step, name, arguments, None, stray, 0.0)
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
            grounding.learn_words(event.error)  # an error may list the values that exist
        return event
