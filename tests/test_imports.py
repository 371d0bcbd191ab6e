"""No two modules of the package import each other, directly or round a longer loop.

The import graph is read from the source (ast), so every import counts, including the ones inside
functions that run late: a cycle there is still two modules that cannot be understood apart.
Imports under `if TYPE_CHECKING:` never run and are left out.
"""
import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path


from conftest import ROOT



def module_files(package: Path) -> dict[str, tuple[Path, bool]]:
    """Each module's dotted name, with its file and whether it is a package's __init__."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _runtime_nodes(tree: ast.AST):
    """The nodes of a module, leaving out the bodies of `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its code."""
    modules = module_files(package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1]) if node.level else ""
                source = ".".join(part for part in (base, node.module) if part)
                # `from . import x` and `from .models import base` name modules; `from .x import f` does not
                imported |= {f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                             for alias in node.names}
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def first_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return exc.args[1]
    return None


def without(graph: dict[str, set[str]], pairs) -> dict[str, set[str]]:
    """The graph less the edges inside each known pair."""
    return {name: {t for t in targets if frozenset({name, t}) not in pairs} for name, targets in graph.items()}


def test_the_package_has_no_import_cycle():
    graph = import_graph(ROOT / "slmreact_cli")
    assert "slmreact_cli.cli" in graph and "slmreact_cli.models.base" in graph["slmreact_cli.session"]
    cycle = first_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_walk_finds_a_cycle_through_a_late_import_and_skips_type_checking(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .e import x\n")
    (package / "e.py").write_text("from . import d\n")
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.c"} and graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.d"] == set() and graph["pkg.e"] == {"pkg.d"}
    assert sorted(first_cycle(graph)[:-1]) == ["pkg.a", "pkg.c", "pkg.sub.b"]
    assert first_cycle(without(graph, {frozenset({"pkg.c", "pkg.a"})})) is None
