"""`--approve`: which tool calls run.

On a terminal (`ask`, `chat`) each call is shown before it runs, with yes, no, or always for this
tool. `batch` has no one to ask, so it takes a policy instead: an allow-list of tool names. A call
refused either way is not run; the model reads that it was declined and goes on.

The saved default (`approve` in config.toml) is a policy for both: "never" asks about nothing,
"always" about every call, and a list names the tools that run without asking (`approver_for`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

from rich.console import Console
from rich.text import Text


class TerminalApprover:
    def __init__(self, console: Console, read=None, trusted: frozenset[str] = frozenset(),
                 where: str = "--approve"):
        self.console = console
        # The question goes to the console (stderr in the CLI), so `ask --json` keeps a clean stdout.
        self.read = read or (lambda prompt: console.input(prompt, markup=False))
        self.trusted = trusted  # tools that run without asking, from the policy
        self.where = where  # the policy's origin, for error messages
        self.always: set[str] = set(trusted)

    def check(self, known: list[str]) -> None:
        _check_names(self.trusted, known, self.where)

    def __call__(self, name: str, arguments: dict) -> bool:
        if name in self.always:
            return True
        self.console.print(Text(f"Run {name}({json.dumps(arguments, ensure_ascii=False)})?", style="bold yellow"))
        while True:
            try:
                choice = self.read("[y]es / [n]o / [a]lways for this tool: ").strip().lower()
            except EOFError:
                return False
            if choice in ("y", "yes"):
                return True
            if choice in ("n", "no", ""):
                return False
            if choice in ("a", "always"):
                self.always.add(name)
                return True


@dataclass(frozen=True)
class AllowList:
    """Runs a call only when its tool is on the list."""

    tools: frozenset[str]
    where: str = "--approve"  # the list's origin, for error messages

    @classmethod
    def parse(cls, spec: str) -> "AllowList":
        """`spec` is a file with one tool name per line (`#` starts a comment), or names separated
        by commas. An empty list is allowed: then no call runs."""
        path = Path(spec).expanduser()
        if path.is_file():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"--approve: cannot read {path}: {exc}") from None
            names = [line.split("#", 1)[0].strip() for line in lines]
        else:
            names = [name.strip() for name in spec.split(",")]
        return cls(frozenset(name for name in names if name))

    def check(self, known: list[str]) -> None:
        """Fail on names that are no tool of this session: a typo would silently refuse every call."""
        _check_names(self.tools, known, self.where)

    def __call__(self, name: str, arguments: dict) -> bool:
        return name in self.tools


def _check_names(names: frozenset[str], known: list[str], where: str) -> None:
    unknown = sorted(names - set(known))
    if unknown:
        raise ConfigError(f"{where} names unknown tool(s) {', '.join(unknown)} (tools: {', '.join(sorted(known))})")


def approver_for(policy: str | list[str], console: Console | None, where: str = "--approve"):
    """The approver of a policy: None for "never" (every call runs); for "always" and a list of
    tools that run without asking, one that asks on `console` about the other calls, or, without a
    console (`batch`), refuses them."""
    if policy == "never":
        return None
    trusted = frozenset() if policy == "always" else frozenset(policy)
    if console is None:
        return AllowList(trusted, where)
    return TerminalApprover(console, trusted=trusted, where=where)
