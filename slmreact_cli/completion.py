"""Shell completion for the CLI's arguments (`slmreact --install-completion` sets it up).

Each function is a Typer `autocompletion` callback: it gets the word being typed and returns the
candidates, with a short help text where the shell can show one. Completion runs on every Tab, so
these read only config files and folder listings, never a model or a tool module, and a broken
config file gives no candidates rather than an error.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import SlmreactError

MODES = (("react", "Thought/Action/Observation with a function-calling step"),
         ("native", "the chat template's own tool calls"),
         ("code", "a short Python program that calls the tools"))


def _profiles() -> dict:
    from .config import load_profiles

    try:
        return load_profiles()
    except (SlmreactError, OSError):
        return {}


def paths(incomplete: str, suffixes: tuple[str, ...]) -> list[str]:
    """Files ending in one of `suffixes` and folders (with a trailing slash, to go on into them)
    that start with `incomplete`, written as the user started it (relative, or with `~`)."""
    head, slash, prefix = incomplete.rpartition("/")
    folder = Path(os.path.expanduser(head or "/")) if slash else Path(".")
    shown = head + slash  # the folder as typed: "", "tools/", "~/", "/"
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(prefix) or (entry.name.startswith(".") and not prefix.startswith(".")):
            continue
        if entry.is_dir():
            found.append(f"{shown}{entry.name}/")
        elif entry.name.endswith(suffixes):
            found.append(shown + entry.name)
    return found


def models(incomplete: str) -> list[tuple[str, str] | str]:
    """--model: profile names (with their description), then .gguf files and folders."""
    named = [(name, profile.description or profile.source) for name, profile in sorted(_profiles().items())
             if name.startswith(incomplete)]
    return [*named, *paths(incomplete, (".gguf",))]


def profiles(incomplete: str) -> list[tuple[str, str]]:
    """A profile name only (`models rm NAME`)."""
    return [(name, profile.description or profile.source) for name, profile in sorted(_profiles().items())
            if name.startswith(incomplete)]


def tool_modules(incomplete: str) -> list[str]:
    """--tools: .py files and folders."""
    return paths(incomplete, (".py",))


def modes(incomplete: str) -> list[tuple[str, str]]:
    return [(name, help_text) for name, help_text in MODES if name.startswith(incomplete)]
