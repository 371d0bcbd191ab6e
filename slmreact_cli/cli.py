"""The Typer app: reads flags, wires the parts, maps known errors to exit codes.

Exit codes: 0 answered, 1 no answer, 2 usage error (bad flags, config, tools, model), 130 Ctrl-C.
"""
from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import completion
from .cli_files import cache_app, models_app
from .errors import SlmreactError
from .models.base import Engine
from .safe_io import replace_surrogates
from .settings import DEFAULT_TOOL_TIMEOUT, AgentSettings, SessionOptions

app = typer.Typer(add_completion=True, no_args_is_help=False, rich_markup_mode=None,
                  help="A ReAct agent on a small local model that answers questions with your Python functions.")

ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", help="Profile name, .gguf file or model folder.",
                                                 autocompletion=completion.models)]
ToolsOpt = Annotated[Optional[list[str]], typer.Option(
    "--tools", "-t", help="Tool module: a .py path or a dotted module name (repeatable). Default: the shipped tools.",
    autocompletion=completion.tool_modules)]
StepsOpt = Annotated[int, typer.Option("--max-steps", min=1, max=64, help="Step limit per question.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show the full trace: prompts, raw output, timings.")]
GrammarOpt = Annotated[Optional[bool], typer.Option(
    "--grammar/--no-grammar", help="Constrain function calls to the tools' schemas (default: the profile's setting).")]
TimeoutOpt = Annotated[float, typer.Option("--tool-timeout", min=0.1, help="Seconds before a tool call is stopped.")]
ModeOpt = Annotated[Optional[str], typer.Option(
    "--mode", help="react (Thought/Action/Observation with a function-calling step) or native (the chat "
                   "template's own tool calls) or code (a short Python program that calls the tools). Default: the profile's "
                   "setting.", autocompletion=completion.modes)]
McpOpt = Annotated[Optional[list[str]], typer.Option(
    "--mcp", help="An MCP tool server: a command line (stdio), quoted, or an http(s):// URL (streamable HTTP); "
                  "repeatable, beside the [[mcp]] servers of config.toml.")]
NoLogOpt = Annotated[bool, typer.Option("--no-log", help="Do not write the transcript log.")]
ApproveOpt = Annotated[bool, typer.Option(
    "--approve/--no-approve", help="Ask before each tool call: yes, no, or always for that tool (--no-approve: "
                                   "run every call, whatever config.toml's approve says).")]
BatchApproveOpt = Annotated[Optional[str], typer.Option(
    "--approve", help="Run only the tools on this allow-list: names separated by commas, or a file with one "
                      "name per line. A call to any other tool is refused, and the model is told so.")]


def stderr_console() -> Console:
    return Console(stderr=True)


class LoadDisplay:
    """Model loading progress on stderr: a byte bar while assembling, a step bar while converting."""

    def __init__(self, console: Console):
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 DownloadColumn(), TimeElapsedColumn(), console=console, transient=True)
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total if total > 1 else None)
        self.progress.update(self.tasks[stage], completed=done)

    def __enter__(self) -> "LoadDisplay":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()


def given_engine(ctx: typer.Context) -> Engine | None:
    """An engine given as the context object (`CliRunner().invoke(app, args, obj=engine)`): it
    answers instead of the profile's model."""
    return ctx.find_object(Engine)


@contextmanager
def loaded_session(options: SessionOptions, console: Console, approve=False, engine: Engine | None = None) -> Iterator:
    """`approve`: True asks on the terminal before each call; an approver (a callable) decides by
    itself; False runs every call. `engine`: see `given_engine`."""
    from .approval import TerminalApprover
    from .session import open_session

    approver = TerminalApprover(console) if approve is True else approve or None
    with LoadDisplay(console) as display:
        session = open_session(options, progress=display, approve=approver, engine=engine)
    try:
        if hasattr(approver, "check"):  # a policy naming tools: a typo would silently change what runs
            approver.check(session.registry.names())
        yield session
    finally:
        session.close()


def _settings(ctx: typer.Context, model, tools, max_steps, mode, approve=None):
    """The effective settings: the flags typed on this command line, then config.toml, then the
    defaults. `approve` is the policy the command's --approve flag stands for."""
    from .effective_settings import effective_settings, given_on_command_line

    if mode not in (None, "react", "native", "code"):
        raise typer.BadParameter(f"--mode must be react, native or code, not {mode!r}")
    values = {"model": model, "tools": tools, "max_steps": max_steps, "mode": mode, "approve": approve}
    return effective_settings(given_on_command_line(ctx, values))


def session_options(
    model: ModelOpt = None,
    tools: ToolsOpt = None,
    max_steps: StepsOpt = AgentSettings.max_steps,
    constrained: GrammarOpt = None,
    tool_timeout: TimeoutOpt = DEFAULT_TOOL_TIMEOUT,
    no_log: NoLogOpt = False,
    mode: ModeOpt = None,
    mcp: McpOpt = None,
) -> SessionOptions:
    """The flags that open a session, defined once for `ask`, `batch` and `chat`, as typed; config.toml's
    saved defaults fill in the ones not given (`_with_saved_defaults`)."""
    return SessionOptions(model=model, tools=tools, max_steps=max_steps, constrained=constrained,
                          tool_timeout=tool_timeout, log=not no_log, mode=mode, mcp=mcp)


def with_session_options(command: Callable) -> Callable:
    """Gives a command that takes `options: SessionOptions` the flags of `session_options` instead.
    Typer has no shared option groups and reads a command's flags from its signature, so the
    signature it reads is the command's parameters without defaults (the context, arguments), then
    the shared flags, then the command's own options."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]
    shared = list(inspect.signature(session_options, eval_str=True).parameters.values())
    required = [p for p in own if p.default is inspect.Parameter.empty]
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
              for p in required + shared + [p for p in own if p not in required]]

    @functools.wraps(command)
    def with_options(**values):
        flags = {p.name: values.pop(p.name, p.default) for p in shared}  # `root` calls `chat` with none
        return command(options=session_options(**flags), **values)

    with_options.__signature__ = inspect.Signature(params)
    with_options.__annotations__ = {p.name: p.annotation for p in params}
    return with_options


def _with_saved_defaults(options: SessionOptions, settings) -> SessionOptions:
    """The session's options: the flags, with config.toml's saved defaults where no flag was given
    (`settings` from `_settings`)."""
    return replace(options, model=settings.model.value, tools=settings.tools.value,
                   max_steps=settings.max_steps.value, mode=settings.mode.value, user_rules=settings.system.value)


def _approver(settings, console: Console | None):
    """The approver of the effective `approve` policy; `console` None: there is no one to ask."""
    from .approval import approver_for
    from .effective_settings import FLAG

    where = "--approve" if settings.approve.source == FLAG else f"approve in {settings.approve.source}"
    return approver_for(settings.approve.value, console, where)


def _check_question(question: str) -> str:
    from .api import checked_question

    try:
        return checked_question(question)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
@with_session_options
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question.")],
    options: SessionOptions,
    verbose: VerboseOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run as one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the answer on stdout.")] = False,
    approve: ApproveOpt = False,
    continue_last: Annotated[bool, typer.Option("--continue", "-c", help="Continue the last conversation.")] = False,
    cid: Annotated[Optional[str], typer.Option("--cid", help="Continue the conversation with this id.")] = None,
) -> None:
    """Answer one question and exit."""
    from .conversations import to_continue
    from .render import PanelRenderer, RecordBuilder

    question = _check_question(question)
    settings = _settings(ctx, options.model, options.tools, options.max_steps, options.mode,
                         "always" if approve else "never")
    earlier = to_continue(continue_last, cid)  # before the model loads: an unknown id fails fast
    err = stderr_console()
    plain_stdout = quiet or json_out or not sys.stdout.isatty()
    panels = PanelRenderer(err if plain_stdout else Console(), verbose=verbose, show_answer=not plain_stdout)
    with loaded_session(_with_saved_defaults(options, settings), err, _approver(settings, err),
                        given_engine(ctx)) as session:
        if earlier is not None:
            session.resume(earlier)
        record = RecordBuilder()
        try:
            session.ask(question, record, panels)
        finally:
            panels.close()
    result = record.result()
    if json_out:
        print(json.dumps(result, ensure_ascii=False))
    elif plain_stdout and result["answer"] is not None:
        print(result["answer"])
    raise typer.Exit(0 if result["answer"] is not None else 1)


def _read_batch_lines(source: str) -> Iterator[tuple[int, bytes]]:
    stream = sys.stdin.buffer if source == "-" else open(source, "rb")
    with stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, line


def batch_item(number: int, line: bytes) -> tuple[dict | None, str | None]:
    try:
        item = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None, f"line {number}: not valid UTF-8"
    except ValueError as exc:
        return None, f"line {number}: invalid JSON ({exc.msg})"
    if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("question"), str):
        return item if isinstance(item, dict) else None, f"line {number}: needs an \"id\" and a string \"question\""
    item = {**item, "question": replace_surrogates(item["question"])}  # a "\ud800" escape decodes to a lone surrogate
    if not item["question"].strip():
        return item, f"line {number}: the question is empty"
    return item, None


def _batch_record(session, number: int, line: bytes) -> dict:
    """The output record of one input line. Whatever goes wrong with this line (bad JSON, a failed
    run) is this record's `error`; the batch goes on with the next line."""
    from .render import RecordBuilder

    item, problem = batch_item(number, line)
    if problem:
        record = RecordBuilder(item.get("question") if item else None, session.model_name,
                               item.get("id") if item else None)
        record.record["error"] = problem
        return record.result()
    record = RecordBuilder(record_id=item["id"])
    try:
        session.reset()
        session.ask(item["question"], record)
    except SlmreactError as exc:
        record.record["error"] = f"line {number}: {exc}"
    except Exception as exc:  # noqa: BLE001 - one line's failure must not end the batch
        record.record["error"] = f"line {number}: {type(exc).__name__}: {exc}"
    return record.result()


@app.command()
@with_session_options
def batch(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="JSON lines with \"id\" and \"question\", or - for stdin.")],
    options: SessionOptions,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write results here instead of stdout.")] = None,
    approve: BatchApproveOpt = None,
) -> None:
    """Answer many questions with one model load; one JSON line out per line in, in order."""
    if file != "-" and not Path(file).is_file():
        raise typer.BadParameter(f"batch file not found: {file}")
    from .approval import AllowList

    allowed = sorted(AllowList.parse(approve).tools) if approve is not None else None
    settings = _settings(ctx, options.model, options.tools, options.max_steps, options.mode, allowed)
    err = stderr_console()
    if settings.approve.value == "always":
        err.print(f'approve = "always" ({settings.approve.source}): batch has no one to ask, so no tool call runs; '
                  "give --approve TOOLS to allow some", markup=False, highlight=False)
    sink = open(out, "w", encoding="utf-8", errors="replace") if out else sys.stdout
    answered = total = 0
    try:
        with loaded_session(_with_saved_defaults(options, settings), err, _approver(settings, None),
                            given_engine(ctx)) as session:
            for number, line in _read_batch_lines(file):
                total += 1
                result = _batch_record(session, number, line)
                answered += result["answer"] is not None
                sink.write(json.dumps(result, ensure_ascii=False) + "\n")
                sink.flush()
                status = "answered" if result["answer"] is not None else f"no answer ({result['error']})"
                err.print(f"[{total}] {result['id']}: {status} in {result['seconds']:.1f} s", markup=False,
                          highlight=False)
    finally:
        if out:
            sink.close()
    err.print(f"{answered}/{total} answered", markup=False, highlight=False)


@app.command("tools")
def list_tools(
    ctx: typer.Context,
    tools: ToolsOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    mcp: McpOpt = None,
) -> None:
    """List the tools with the schema the model sees, and the functions skipped and why."""
    from .session import open_tools

    registry, runner = open_tools(_settings(ctx, None, tools, None, None).tools.value, mcp)
    runner.close()
    if json_out:
        print(json.dumps({"tools": registry.schemas(),
                          "skipped": [vars(s) for s in registry.skipped]}, indent=2, ensure_ascii=False))
        return
    from .render_tables import tools_table

    console = Console()
    console.print(tools_table(registry))


app.add_typer(models_app, name="models")  # and `models rm`; see cli_files.py
app.add_typer(cache_app, name="cache")  # and `cache clear`


@app.command("config")
def show_config(
    ctx: typer.Context,
    model: ModelOpt = None,
    tools: ToolsOpt = None,
    max_steps: StepsOpt = AgentSettings.max_steps,
    mode: ModeOpt = None,
    approve: ApproveOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the settings ask, batch and chat run with, and where each comes from: a flag given here,
    the config file, or the default."""
    from .effective_settings import shown_settings

    settings = _settings(ctx, model, tools, max_steps, mode, "always" if approve else "never")
    rows = shown_settings(settings)
    if json_out:
        print(json.dumps({"config_file": str(settings.config_file),
                          "settings": {r["name"]: {"value": r["value"], "source": r["source"]} for r in rows}},
                         indent=2, ensure_ascii=False))
        return
    from .render_tables import settings_table

    Console().print(settings_table(rows, str(settings.config_file)))


@app.command()
def logs(
    n: Annotated[int, typer.Option("-n", min=1, help="How many recent questions.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON, with every event.")] = False,
    query: Annotated[Optional[str], typer.Option(
        "--query", "-q", help="Only questions whose question, answer or tool results hold all these words.")] = None,
    tool: Annotated[Optional[str], typer.Option("--tool", help="Only questions that called this tool.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Only questions to this model profile.")] = None,
    cid: Annotated[Optional[str], typer.Option("--cid", help="Only this conversation.")] = None,
    errors: Annotated[bool, typer.Option(
        "--errors", help="Only questions without an answer or with a failed tool call.")] = False,
    since: Annotated[Optional[str], typer.Option(
        "--since", help="Only questions since a span ago (30m, 2h, 3d, 1w) or a date (2025-01-31 14:00).")] = None,
) -> None:
    """Show recent questions and answers from the transcript log, or search it."""
    from .logs import LogQuery, default_path, find, since_time

    filters = LogQuery(text=query, tool=tool, model=model, conversation_id=cid, errors=errors,
                       since=None if since is None else since_time(since))
    rows = find(filters, n, with_events=json_out)
    if json_out:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        found = "no matching questions" if filters != LogQuery() else "no transcripts yet"
        stderr_console().print(f"{found} ({default_path()})", markup=False)
        return
    from .render_tables import logs_table

    Console().print(logs_table(rows))


@app.command()
@with_session_options
def chat(
    ctx: typer.Context,
    options: SessionOptions,
    verbose: VerboseOpt = False,
    approve: ApproveOpt = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Reopen a logged conversation: the last one, or the id given after --resume.")] = False,
    conversation_id: Annotated[Optional[str], typer.Argument(
        metavar="[ID]", help="With --resume: the conversation's id (`slmreact logs` shows them).")] = None,
    load: Annotated[Optional[Path], typer.Option("--load", help="Reopen a conversation saved with /save.")] = None,
) -> None:
    """Start the interactive session (the default command)."""
    from .conversations import to_reopen
    from .repl import run_repl

    console = Console()
    err = stderr_console()
    settings = _settings(ctx, options.model, options.tools, options.max_steps, options.mode,
                         "always" if approve else "never")
    reopened = to_reopen(resume, conversation_id, load)
    with loaded_session(_with_saved_defaults(options, settings), err, _approver(settings, err),
                        given_engine(ctx)) as session:
        run_repl(session, console, verbose=verbose, resumed=reopened)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"slmreact {version('slmreact')}")
        except PackageNotFoundError:
            print("slmreact (not installed)")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def root(ctx: typer.Context,
         show_version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                           help="Print the version and exit.")) -> None:
    """slmreact with no command starts `chat`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat, ctx=ctx)  # every option at its default


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    _replace_unencodable_output()
    try:
        code = app(standalone_mode=False, prog_name="slmreact")  # a command's typer.Exit comes back as its code
        if isinstance(code, int) and code:
            sys.exit(code)
    except SlmreactError as exc:
        stderr_console().print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.BadParameter, typer.Abort) as exc:
        _click_error(exc)
    except KeyboardInterrupt:
        stderr_console().print("interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # click's usage errors and anything unforeseen: one line, no traceback
        import click

        if isinstance(exc, click.ClickException):
            _click_error(exc)
        if os.environ.get("SLMREACT_DEBUG"):
            raise
        stderr_console().print(f"error: {type(exc).__name__}: {exc} (set SLMREACT_DEBUG=1 for details)",
                               markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)


def _replace_unencodable_output() -> None:
    """Text that the terminal's encoding cannot hold (a lone surrogate from a file name) is printed
    as a replacement character instead of ending the command."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def _click_error(exc) -> None:
    import click

    if isinstance(exc, click.exceptions.Abort):
        sys.exit(130)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    stderr_console().print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code if isinstance(exc, click.ClickException) else 2)
