"""The interactive session: prompt-toolkit input over the same agent loop and renderers as `ask`.

One function handles one input line; Ctrl-C or an error ends that input, never the session.
Slash commands live in one registry that also produces /help. The input history and saved
transcripts are private to the user (0600 files; the history's folder 0700).
"""
from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .conversations import Conversation, Exchange
from .errors import SlmreactError
from .guards.history import RECENT_EXCHANGES
from .paths import data_dir
from .render import PanelRenderer, RecordBuilder
from .render_tables import tools_table
from .safe_io import private_file, replace_surrogates, write_atomically


@dataclass
class ReplState:
    session: object  # session.Session (kept loose so tests can pass a light stand-in)
    console: Console
    verbose: bool = False
    transcript: list[dict] = field(default_factory=list)
    running: bool = True


PATH = "path"  # a slash command whose argument is a file path, completed as one


@dataclass(frozen=True)
class SlashCommand:
    name: str
    usage: str
    help: str
    handler: Callable[[ReplState, str], None]
    arguments: tuple[str, ...] | str = ()  # the argument's choices, or PATH


COMMANDS: dict[str, SlashCommand] = {}


def command(name: str, usage: str, help: str, arguments: tuple[str, ...] | str = ()):
    def register(func: Callable[[ReplState, str], None]):
        COMMANDS[name] = SlashCommand(name, usage, help, func, arguments)
        return func
    return register


def _say(state: ReplState, text: str, style: str = "") -> None:
    state.console.print(Text(text, style=style))


@command("/help", "/help", "show this list")
def _help(state: ReplState, arg: str) -> None:
    table = Table(show_header=False, box=None)
    for c in COMMANDS.values():
        table.add_row(Text(c.usage, style="bold"), Text(c.help))
    state.console.print(table)
    _say(state, "Enter sends; Esc then Enter (or Alt-Enter) adds a new line. Ctrl-C stops an answer, Ctrl-D exits.",
         "dim")


@command("/tools", "/tools", "list the tools the model can call")
def _tools(state: ReplState, arg: str) -> None:
    state.console.print(tools_table(state.session.registry))


@command("/model", "/model", "show the loaded model profile")
def _model(state: ReplState, arg: str) -> None:
    p = state.session.profile
    engine = state.session.engine
    _say(state, f"{p.name}: {p.description or p.source}\nengine {engine.name} · source {p.source}"
                f" · adapter {p.adapter or 'none'}"
                f"{f' · reasoning adapter {p.reasoning_adapter}' if p.reasoning_adapter else ''} · mode {p.mode} · grammar {'on' if state.session.settings.constrained else 'off'}"
                f" · context {engine.context_length} tokens")


@command("/reset", "/reset", "forget the conversation")
def _reset(state: ReplState, arg: str) -> None:
    state.session.reset()
    _say(state, "conversation cleared", "dim")


@command("/verbose", "/verbose on|off", "show or hide the full trace", arguments=("on", "off"))
def _verbose(state: ReplState, arg: str) -> None:
    if arg not in ("on", "off", ""):
        _say(state, "usage: /verbose on|off", "red")
        return
    state.verbose = (arg == "on") if arg else not state.verbose
    _say(state, f"verbose {'on' if state.verbose else 'off'}", "dim")


@command("/save", "/save FILE", "save this session's transcript (.json, else Markdown; chat --load reads both)",
         arguments=PATH)
def _save(state: ReplState, arg: str) -> None:
    if not arg:
        _say(state, "usage: /save FILE (FILE.json for JSON, anything else for Markdown)", "red")
        return
    path = Path(arg).expanduser()
    text = json.dumps(state.transcript, indent=2, ensure_ascii=False) if path.suffix == ".json" \
        else transcript_markdown(state.transcript)
    try:
        write_atomically(path, text)
    except OSError as exc:
        _say(state, f"cannot save to {path}: {exc.strerror or exc}", "red")
        return
    _say(state, f"saved {len(state.transcript)} question(s) to {path}", "dim")


@command("/exit", "/exit", "leave (Ctrl-D works too)")
def _exit(state: ReplState, arg: str) -> None:
    state.running = False


def transcript_markdown(records: Iterable[dict]) -> str:
    out = ["# slmreact session\n"]
    for r in records:
        out.append(f"## {r['question']}\n")
        for i, step in enumerate(r["steps"], start=1):
            if step.get("thought"):
                out.append(f"**Thought {i}:** {step['thought']}\n")
            if step.get("action"):
                out.append(f"**Action {i}:** `{step['action']}`\n")
            for call in step.get("calls", []):
                out.append("```json\n" + json.dumps(call, ensure_ascii=False) + "\n```\n")
            if step.get("observation"):
                out.append(f"**Observation {i}:** {step['observation']}\n")
        out.append(f"**Answer:** {r['answer'] if r['answer'] is not None else '(none: ' + str(r['error']) + ')'}\n")
    return "\n".join(out)


class ReplCompleter(Completer):
    """Slash commands at the start of the line, then their argument (a choice or a file path); tool
    names elsewhere."""

    def __init__(self, tool_names: list[str]):
        self.tool_names = tool_names
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document, complete_event):
        text = document.text_before_cursor
        if text.startswith("/"):
            name, space, arg = text.partition(" ")
            if not space:
                for known in COMMANDS:
                    if known.startswith(name):
                        yield Completion(known, start_position=-len(name))
                return
            arguments = COMMANDS[name].arguments if name in COMMANDS else ()
            if arguments == PATH:
                yield from self.paths.get_completions(Document(arg), complete_event)
            else:
                for choice in arguments:
                    if choice.startswith(arg):
                        yield Completion(choice, start_position=-len(arg))
            return
        word = document.get_word_before_cursor()
        if word:
            for name in self.tool_names:
                if name.startswith(word) and name != word:
                    yield Completion(name, start_position=-len(word))


def key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _(event):
        buffer = event.current_buffer
        if buffer.complete_state and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
        else:
            buffer.validate_and_handle()

    @kb.add("escape", "enter")
    def _(event):
        event.current_buffer.insert_text("\n")

    return kb


def ask_one(state: ReplState, question: str) -> None:
    """Run one question through the agent, rendering as it goes. Ctrl-C stops generation."""
    session = state.session
    panels = PanelRenderer(state.console, verbose=state.verbose)
    record = RecordBuilder()
    engine = session.engine
    engine.cancel.clear()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):
        if engine.cancel.cancelled:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        engine.cancel.cancel()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        session.ask(question, record, panels)
    except KeyboardInterrupt:
        _say(state, "interrupted", "yellow")
        record.record["error"] = "interrupted"
    finally:
        signal.signal(signal.SIGINT, previous)
        panels.close()
        engine.cancel.clear()
    exchange = Exchange(record.result(), session.settings.mode, session.last_exchange)
    state.transcript.append(exchange.saved())


def handle_line(state: ReplState, line: str) -> None:
    text = replace_surrogates(line).strip()
    if not text:
        return
    try:
        if text.startswith("/"):
            run_command(state, text)
        else:
            ask_one(state, text)
    except SlmreactError as exc:
        _say(state, f"error: {exc}", "red")
    except Exception as exc:  # one failed command or turn must not end the session
        _say(state, f"error: {type(exc).__name__}: {exc}", "red")


def run_command(state: ReplState, text: str) -> None:
    name, _, arg = text.partition(" ")
    cmd = COMMANDS.get(name)
    if cmd is None:
        _say(state, f"unknown command {name}; type /help", "red")
        return
    cmd.handler(state, arg.strip())


def make_prompt_session(tool_names: list[str], history: History | None = None, **kwargs) -> PromptSession:
    if history is None:
        try:
            history = FileHistory(str(private_file(data_dir() / "history")))
        except OSError:
            history = InMemoryHistory()
    return PromptSession(history=history, auto_suggest=AutoSuggestFromHistory(), multiline=True,
                         key_bindings=key_bindings(), completer=ReplCompleter(tool_names),
                         complete_while_typing=False, **kwargs)


def show_resumed(state: ReplState, conversation: Conversation) -> None:
    """The last exchanges of a reopened conversation, as a reminder of where it was left."""
    shown = conversation.exchanges[-RECENT_EXCHANGES:]
    continued = f"continuing {conversation.source}" if conversation.id else \
        f"loaded {conversation.source}; new questions go to conversation {state.session.conversation_id}"
    state.console.print(Text(f"{continued}: {len(conversation.exchanges)} earlier question(s), the last {len(shown)} "
                             "below", style="dim"), soft_wrap=True)  # a long file name stays whole
    for exchange in shown:
        state.console.print(Text(f"› {exchange.question}", style="bold"))
        error = exchange.record.get("error") or "unfinished"
        state.console.print(Text(exchange.answer if exchange.answer is not None else f"(no answer: {error})"))


def run_repl(session, console: Console, verbose: bool = False, prompt_session: PromptSession | None = None,
             resumed: Conversation | None = None) -> None:
    """`resumed`: an earlier conversation to take up (chat --resume, chat --load)."""
    state = ReplState(session=session, console=console, verbose=verbose)
    prompt = prompt_session or make_prompt_session(session.registry.names())
    console.print(Text(f"slmreact · {session.profile.name} · {len(session.registry.tools)} tools · "
                       "/help for commands, Ctrl-D to exit", style="dim"))
    if resumed is not None:
        session.resume(resumed)
        state.transcript = [exchange.saved() for exchange in resumed.exchanges]
        show_resumed(state, resumed)
    session.warm_in_background()  # the system prompt's state, while the first question is typed
    while state.running:
        try:
            line = prompt.prompt("› ")
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        handle_line(state, line)
