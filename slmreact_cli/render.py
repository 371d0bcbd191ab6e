"""Event consumers: Rich panels (streaming), the verbose trace, and run records for JSON output.

Renderers only read events; they never reach into the loop. Model and tool text always goes
through `rich.text.Text`, so "[bold]" written by a model is shown as those characters.
"""
from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from .events import (Action, Answer, CallPlan, Error, Event, ModelTurn, NoAnswer, Notice, Observation, Started,
                     StepRecord, Thought, ThoughtDelta, ToolCall)

OBSERVATION_LIMIT = 800


def _title(text: str, step: int | None = None) -> Text:
    return Text(f"{text} · step {step}" if step else text, style="bold")


def truncate_for_display(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… {len(text) - limit} more characters"


class PanelRenderer:
    """Prints one panel per Thought, Action, function call, Observation and Answer; streams thoughts live."""

    def __init__(self, console: Console, verbose: bool = False, show_answer: bool = True):
        self.console = console
        self.verbose = verbose
        self.show_answer = show_answer
        self._live: Live | None = None
        self._stream = ""

    def __call__(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._stream = ""

    # ---- streaming ---------------------------------------------------------------------------------
    def _on_thought_delta(self, event: ThoughtDelta) -> None:
        self._stream += event.text
        panel = Panel(Text(self._stream), title=_title("Thinking", event.step), border_style="grey50",
                      title_align="left")
        if self._live is None:
            self._live = Live(panel, console=self.console, transient=True, refresh_per_second=12)
            self._live.start()
        else:
            self._live.update(panel)

    def _on_thought(self, event: Thought) -> None:
        self.close()
        if event.text:
            self.console.print(Panel(Text(event.text), title=_title("Thought", event.step), border_style="cyan",
                                     title_align="left"))

    def _on_action(self, event: Action) -> None:
        self.console.print(Panel(Text(event.text), title=_title("Action", event.step), border_style="magenta",
                                 title_align="left"))

    def _on_call_plan(self, event: CallPlan) -> None:
        text = "[" + ",\n ".join(json.dumps(c, ensure_ascii=False) for c in event.calls) + "]"
        body = Syntax(text, "json", word_wrap=True, background_color="default")
        subtitle = Text(f"from the {event.source}")
        if event.repairs:
            subtitle.append(f" · repaired: {', '.join(dict.fromkeys(event.repairs))}")
        if event.retried:
            subtitle.append(" · retried once")
        self.console.print(Panel(body, title=_title("Function call", event.step), subtitle=subtitle,
                                 border_style="yellow", title_align="left", subtitle_align="left"))

    def _on_tool_call(self, event: ToolCall) -> None:
        if self.verbose:
            status = "error" if event.error else "ok"
            self.console.print(Text(f"  {event.name} {status} in {event.seconds * 1000:.1f} ms"
                                    + (" (repeated call, not run)" if event.repeated else ""), style="dim"))

    def _on_observation(self, event: Observation) -> None:
        text = event.text if self.verbose else truncate_for_display(event.text, OBSERVATION_LIMIT)
        self.console.print(Panel(Text(text), title=_title("Observation", event.step), border_style="green",
                                 title_align="left"))

    def _on_notice(self, event: Notice) -> None:
        self.close()  # a turn drawn again starts its own live panel
        self.console.print(Text(f"note: {event.text}", style="dim italic"))

    def _on_error(self, event: Error) -> None:
        self.console.print(Text(f"step {event.step}: {event.message}", style="red"))

    def _on_model_turn(self, event: ModelTurn) -> None:
        if not self.verbose:
            return
        header = (f"{event.role} turn · step {event.step} · adapter {'on' if event.adapter else 'off'}"
                  f"{' · constrained' if event.constrained else ''} · prompt {event.prompt_tokens} tok "
                  f"({event.cached_tokens} from cache) · {event.new_tokens} new tok · {event.seconds:.2f} s")
        messages = Text()
        for m in event.messages:
            messages.append(f"[{m['role']}]\n", style="bold dim")
            messages.append(str(m.get("content", "")) + "\n")
        self.console.print(Panel(Group(Text(header, style="dim"), messages,
                                       Text("── raw output ──", style="bold dim"), Text(event.raw)),
                                 title=_title(f"{event.role} prompt", event.step), border_style="grey37",
                                 title_align="left"))

    def _on_answer(self, event: Answer) -> None:
        self.close()
        if self.show_answer:
            self.console.print(Panel(Markdown(event.text), title=_title("Answer"), border_style="bold blue",
                                     title_align="left"))
        self.console.print(Text(f"{event.seconds:.1f} s · {event.steps} step{'s' if event.steps != 1 else ''} · "
                                f"{event.tokens_per_second:.1f} tokens/s", style="dim"))

    def _on_no_answer(self, event: NoAnswer) -> None:
        self.close()
        self.console.print(Text(f"No answer: {event.reason} ({event.seconds:.1f} s, {event.steps} steps)",
                                style="bold red"))


class RecordBuilder:
    """Collects events into the `batch` / `ask --json` record. The question and the model come with
    the run's Started event; `question` and `model` are for a record without one (a `batch` line
    that is not a valid question, a question rebuilt from the log)."""

    def __init__(self, question: str | None = None, model: str | None = None, record_id: Any = None):
        self.record: dict[str, Any] = {"id": record_id, "question": question, "answer": None, "steps": [],
                                       "seconds": 0.0, "model": model, "error": None}
        self._current: StepRecord | None = None
        self._step = 0

    def _step_record(self, step: int) -> StepRecord:
        if self._current is None or step != self._step:
            self._current = StepRecord()
            self._step = step
            self.record["steps"].append(self._current)
        return self._current

    def __call__(self, event: Event) -> None:
        if isinstance(event, Started):
            self.record["question"], self.record["model"] = event.question, event.model
        elif isinstance(event, Thought):
            self._step_record(event.step).thought = event.text
        elif isinstance(event, Action):
            rec = self._step_record(event.step)
            rec.action = event.text if rec.action is None else f"{rec.action}\n{event.text}"
        elif isinstance(event, ToolCall):
            call: dict[str, Any] = {"name": event.name, "arguments": event.arguments}
            if event.error is None:
                call["result"] = event.result
            else:
                call["error"] = event.error
            self._step_record(event.step).calls.append(call)
        elif isinstance(event, Observation):
            self._step_record(event.step).observation = event.text
        elif isinstance(event, Answer):
            self.record["answer"] = event.text
            self.record["seconds"] = round(event.seconds, 3)
        elif isinstance(event, NoAnswer):
            self.record["error"] = event.reason
            self.record["seconds"] = round(event.seconds, 3)

    def result(self) -> dict[str, Any]:
        out = dict(self.record)
        out["steps"] = [vars(s) if isinstance(s, StepRecord) else s for s in self.record["steps"]]
        return out
