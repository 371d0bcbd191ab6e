"""`--approve`: show each tool call before it runs and ask yes, no, or always for this tool."""
from __future__ import annotations

import json

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
