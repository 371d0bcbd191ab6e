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
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .errors import SlmreactError
from .models.base import Engine
from .safe_io import replace_surrogates
from .settings import DEFAULT_TOOL_TIMEOUT, AgentSettings, SessionOptions

app = typer.Typer(add_completion=False, no_args_is_help=False, rich_markup_mode=None,
                  help="A ReAct agent on a small local model that answers questions with your Python functions.")

ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", help="Profile name, .gguf file or model folder.")]
ToolsOpt = Annotated[Optional[list[str]], typer.Option(
    "--tools", "-t", help="Tool module: a .py path or a dotted module name (repeatable). Default: the shipped tools.")]
StepsOpt = Annotated[int, typer.Option("--max-steps", min=1, max=64, help="Step limit per question.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show the full trace: prompts, raw output, timings.")]
GrammarOpt = Annotated[Optional[bool], typer.Option(
    "--grammar/--no-grammar", help="Constrain function calls to the tools' schemas (default: the profile's setting).")]
TimeoutOpt = Annotated[float, typer.Option("--tool-timeout", min=0.1, help="Seconds before a tool call is stopped.")]
ModeOpt = Annotated[Optional[str], typer.Option(
    "--mode", help="react (Thought/Action/Observation with a function-calling step) or native (the chat "
                   "template's own tool calls) or code (a short Python program that calls the tools). Default: the profile's "
                   "setting.")]
NoLogOpt = Annotated[bool, typer.Option("--no-log", help="Do not write the transcript log.")]
ApproveOpt = Annotated[bool, typer.Option("--approve", help="Ask before each tool call: yes, no, or always for that tool.")]
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
        yield session
    finally:
        session.close()


def session_options(
    model: ModelOpt = None,
    tools: ToolsOpt = None,
    max_steps: StepsOpt = AgentSettings.max_steps,
    constrained: GrammarOpt = None,
    tool_timeout: TimeoutOpt = DEFAULT_TOOL_TIMEOUT,
    no_log: NoLogOpt = False,
    mode: ModeOpt = None,
) -> SessionOptions:
    """The flags that open a session, defined once for `ask`, `batch` and `chat`."""
    if mode not in (None, "react", "native", "code"):
        raise typer.BadParameter(f"--mode must be react, native or code, not {mode!r}")
    return SessionOptions(model=model, tools=tools, max_steps=max_steps, constrained=constrained,
                          tool_timeout=tool_timeout, log=not no_log, mode=mode)


def with_session_options(command: Callable) -> Callable:
    """Gives a command that takes `options: SessionOptions` the flags of `session_options` instead.
    Typer has no shared option groups and reads a command's flags from its signature, so the
    signature it reads is the command's arguments, then the shared flags, then its own options."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]
    shared = list(inspect.signature(session_options, eval_str=True).parameters.values())
    arguments = [p for p in own if p.default is inspect.Parameter.empty]
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
              for p in arguments + shared + [p for p in own if p not in arguments]]

    @functools.wraps(command)
    def with_options(**values):
        flags = {p.name: values.pop(p.name, p.default) for p in shared}  # `root` calls `chat` with none
        return command(options=session_options(**flags), **values)

    with_options.__signature__ = inspect.Signature(params)
    with_options.__annotations__ = {p.name: p.annotation for p in params}
    return with_options


def _check_question(question: str) -> str:
    question = replace_surrogates(question).strip()
    if not question:
        raise typer.BadParameter("the question is empty")
    if len(question) > 20_000:
        raise typer.BadParameter(f"the question is too long ({len(question)} characters; the limit is 20000)")
    return question


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
) -> None:
    """Answer one question and exit."""
    from .render import PanelRenderer, RecordBuilder

    question = _check_question(question)
    err = stderr_console()
    plain_stdout = quiet or json_out or not sys.stdout.isatty()
    panels = PanelRenderer(err if plain_stdout else Console(), verbose=verbose, show_answer=not plain_stdout)
    with loaded_session(options, err, approve, given_engine(ctx)) as session:
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


def _batch_item(number: int, line: bytes) -> tuple[dict | None, str | None]:
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

    item, problem = _batch_item(number, line)
    if problem:
        record = RecordBuilder(item.get("question") if item else None, session.model_name,
                               item.get("id") if item else None)
        record.record["error"] = problem
        return record.result()
    record = RecordBuilder(record_id=item["id"])
    try:
        session.agent.reset()
        session.ask(item["question"], record)
    except SlmreactError as exc:
        record.record["error"] = f"line {number}: {exc}"
    except Exception as exc:  # noqa: BLE001 - one line's failure must not end the batch
        record.record["error"] = f"line {number}: {type(exc).__name__}: {exc}"
    return record.result()


def _approval_policy(spec: str | None):
    from .approval import AllowList

    return AllowList.parse(spec) if spec is not None else None


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
    policy = _approval_policy(approve)
    err = stderr_console()
    sink = open(out, "w", encoding="utf-8", errors="replace") if out else sys.stdout
    answered = total = 0
    try:
        with loaded_session(options, err, policy or False, given_engine(ctx)) as session:
            if policy is not None:
                policy.check(session.registry.names())
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
    tools: ToolsOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the tools with the schema the model sees, and the functions skipped and why."""
    from .tools import load_registry

    registry = load_registry(tools)
    if json_out:
        print(json.dumps({"tools": registry.schemas(),
                          "skipped": [vars(s) for s in registry.skipped]}, indent=2, ensure_ascii=False))
        return
    from .render_tables import tools_table

    console = Console()
    console.print(tools_table(registry))


@app.command("models")
def list_models(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the model profiles: which are installed or available, their size, and the default."""
    from .render_tables import model_rows, models_table

    rows = model_rows()
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    Console().print(models_table(rows))


@app.command()
def logs(
    n: Annotated[int, typer.Option("-n", min=1, help="How many recent questions.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON, with every event.")] = False,
) -> None:
    """Show recent questions and answers from the transcript log."""
    from .logs import default_path, recent_questions

    rows = recent_questions(n, with_events=json_out)
    if json_out:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        stderr_console().print(f"no transcripts yet ({default_path()})", markup=False)
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
) -> None:
    """Start the interactive session (the default command)."""
    from .repl import run_repl

    console = Console()
    with loaded_session(options, stderr_console(), approve, given_engine(ctx)) as session:
        run_repl(session, console, verbose=verbose)


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
        ctx.invoke(chat, ctx=ctx)


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    _replace_unencodable_output()
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit comes back as its code
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
