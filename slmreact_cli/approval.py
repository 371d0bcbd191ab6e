"""`--approve`: which tool calls run.

On a terminal (`ask`, `chat`) each call is shown before it runs, with yes, no, or always for this
tool. `batch` has no one to ask, so it takes a policy instead: an allow-list of tool names. A call
refused either way is not run; the model reads that it was declined and goes on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

from rich.console import Console
from rich.text import Text


class TerminalApprover:
    def __init__(self, console: Console, read=input):
        self.console = console
        self.read = read
        self.always: set[str] = set()

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
        unknown = sorted(self.tools - set(known))
        if unknown:
            raise ConfigError(f"--approve names unknown tool(s) {', '.join(unknown)} (tools: {', '.join(sorted(known))})")

    def __call__(self, name: str, arguments: dict) -> bool:
        return name in self.tools
