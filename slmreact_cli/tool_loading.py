"""Building the registry: every tool module is described by a short-lived worker process, and its
tools are collected here. Kept apart from tools.py because the worker builds its tools with tools.py,
so tools.py itself never imports the worker."""
from __future__ import annotations

import contextlib

from .errors import ToolLoadError
from .tools import Registry, Skipped, Tool, default_tool_specs, module_ref
from .worker import describe_modules


def load_registry(specs: list[str] | None) -> Registry:
    """Describe every module (in a worker process) and collect its tools; clashes and empty modules
    are errors."""
    specs = list(specs or default_tool_specs())
    registry = Registry(modules=[module_ref(spec) for spec in specs])
    owners: dict[str, str] = {}
    with contextlib.closing(describe_modules(list(zip(specs, registry.modules)))) as described:
        for spec, ref, (error, entries) in zip(specs, registry.modules, described):
            if error is not None:
                raise ToolLoadError(error)
            found = 0
            for entry in entries:
                if isinstance(entry, Skipped):
                    registry.skipped.append(entry)
                    continue
                name = entry["name"]
                if name in owners:
                    raise ToolLoadError(f"tool name clash: {name!r} is defined in both {owners[name]} and {spec}")
                owners[name] = spec
                registry.tools[name] = Tool(module=ref, **entry)
                found += 1
            if not found:
                skipped = [f"{s.name}: {s.reason}" for s in registry.skipped if s.module == ref.spec]
                reasons = "; ".join(skipped[:3]) + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
                raise ToolLoadError(f"tools module {spec} has no usable functions"
                                    + (f" ({reasons})" if reasons else " (define public functions with type hints "
                                       "and docstrings)"))
    return registry
