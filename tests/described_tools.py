"""Tool descriptions of the repository's own modules, made once per test run.

Describing tool modules (`tool_loading.describe_modules`) starts a worker process that imports
transformers for the schemas: about a second of CPU each time. Most tests load the same modules from
tools/, tests/data/ and bench/, so `DescriptionCache` stands in for `describe_modules` for the whole
run (conftest installs it). A file of the repository whose exact content it has described before is
answered from memory. Everything else goes to a real worker as before, one worker per load: modules
named by import path, files a test writes (they live outside the repository), the hostile modules
that misbehave at import (tests/data/hostile/*_at_import.py: their tests check what describing them
does), and any module whose description was an error, which is kept only where it was described
ahead. The loading code around it (`load_registry`: name clashes, empty modules, Skipped entries)
runs on every load.

Two ways to start fewer workers: modules named `together` are described in the worker of the first
load that needs any of them, and `describe_ahead` describes a test module's own modules in one
worker and keeps them wherever they are.
"""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from slmreact_cli.tools import ModuleRef, module_ref

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path("tests", "data", "hostile")
AT_IMPORT = "*_at_import.py"  # hostile modules described every time: what describing them does is tested

Description = tuple  # (error line or None, the module's entries), as describe_modules yields them
Describe = Callable[[list[tuple[str, ModuleRef]]], Iterator[Description]]


class DescriptionCache:
    """`describe_modules`, with each repository file's description kept by its path and content."""

    def __init__(self, describe: Describe, root: Path = ROOT, together: list[str] = ()):
        self._describe = describe
        self._root = root
        self._together = [module_ref(spec) for spec in together]  # described with the first of them loaded
        self._ahead: set[str] = set()  # files described ahead, kept wherever they are
        self._kept: dict[tuple[str, str], Description] = {}
        self.described: list[str] = []  # the specs a real worker described, in order

    def key(self, ref: ModuleRef) -> tuple[str, str] | None:
        """Path and content hash of a file whose description may be kept (a module described ahead
        by name: its name); None for any other module."""
        if not ref.is_path:
            return (ref.spec, "") if ref.spec in self._ahead else None
        path = Path(ref.spec)
        inside = path.is_relative_to(self._root) and not (path.parent == self._root / HOSTILE
                                                           and path.match(AT_IMPORT))
        if not inside and ref.spec not in self._ahead:
            return None
        try:
            return ref.spec, hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None

    def describe_modules(self, modules: list[tuple[str, ModuleRef]]) -> Iterator[Description]:
        """What describe_modules yields for `modules`, in order; the ones not kept are described by
        one real worker, which starts only when the first of them is reached, as before. Where they
        include a `together` module, the worker describes the other unknown `together` modules first."""
        keys = [self.key(ref) for _, ref in modules]
        kept = [key in self._kept for key in keys]
        unknown = [module for module, known in zip(modules, kept) if not known]
        extra = self._described_along(unknown)
        fresh = self._describe(extra + unknown) if unknown else None
        try:
            for (spec, ref), key, known in zip(modules, keys, kept):
                if known:
                    yield copy.deepcopy(self._kept[key])
                    continue
                for extra_spec, extra_ref in extra:  # described first: a load may stop at its last module
                    self._keep(extra_spec, extra_ref, next(fresh))
                extra = []
                yield self._keep(spec, ref, next(fresh))
        finally:
            if fresh is not None:
                fresh.close()  # the worker stops, as when load_registry stops early

    def _keep(self, spec: str, ref: ModuleRef, description: Description) -> Description:
        """Keep a description a worker made: one without an error, or any of a module described ahead."""
        self.described.append(spec)
        error, entries = description
        key = self.key(ref)
        if key is not None and (error is None or ref.spec in self._ahead):
            self._kept[key] = (error, copy.deepcopy(entries))
        return description

    def _described_along(self, unknown: list[tuple[str, ModuleRef]]) -> list[tuple[str, ModuleRef]]:
        """The `together` modules not known yet, when a load includes one of them."""
        refs = {ref for _, ref in unknown}
        if not refs & set(self._together):
            return []
        return [(ref.spec, ref) for ref in self._together if ref not in refs and self.key(ref) not in self._kept]

    def describe_ahead(self, specs: list[str]) -> None:
        """Describe these modules in one worker now and keep their descriptions, errors included,
        wherever the files are (a module named by import path is kept by its name, as the import
        path is now): for test modules that load many modules of their own one or two at a time. A
        module that ends the worker while importing ends this call."""
        modules = [(spec, module_ref(spec)) for spec in specs]
        self._ahead.update(ref.spec for _, ref in modules)
        list(self.describe_modules(modules))
