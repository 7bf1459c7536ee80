"""The package's import graph, read from the source: no cycles, no borrowed private names.

Every ``import`` counts, at module level and inside functions alike: a function-level
import only delays a cycle to the first call, where it fails half-initialised or hides a
layering mistake. Imports under ``if TYPE_CHECKING:`` are left out; they never run.

Where the check is blind: it reads ``import`` statements only, so ``importlib.import_module``
with a computed name (the backend registry) and ``__import__`` are not seen, and a private
name reached through an object rather than a module (``pool._pool``) is not a module's
private name and is not flagged.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "narrator"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE



@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool
    tree: ast.Module


def _modules() -> dict[str, Module]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        found[name] = Module(name, path, is_package, ast.parse(path.read_text(encoding="utf-8")))
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that can run: all of them except the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for node in child.orelse:
                yield node
                yield from _runtime_nodes(node)
            continue
        yield child
        yield from _runtime_nodes(child)


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _nearest_module(dotted: str) -> str | None:
    """The longest prefix of ``dotted`` that is a module of the package."""
    parts = dotted.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imports(module: Module) -> Iterator[tuple[str, str]]:
    """(imported module, name or "") for every runtime import of a package module."""
    for node in _runtime_nodes(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield alias.name, ""
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                yield source, alias.name


def _graph() -> dict[str, set[str]]:
    """Module → the package modules its imports run."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for module in MODULES.values():
        for source, name in _imports(module):
            targets = {_nearest_module(source)}
            if name and f"{source}.{name}" in MODULES:  # from package import submodule
                targets.add(f"{source}.{name}")
            edges[module.name] |= {t for t in targets if t and t != module.name}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _module_names(module: Module) -> dict[str, str]:
    """Local names bound to package modules by imports: name → module."""
    bound = {}
    for node in _runtime_nodes(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != PACKAGE:
                    continue
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[alias.name.split(".")[0]] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
    return bound


def _dotted(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else [*inner, node.attr]
    return None


def _private_uses(module: Module) -> Iterator[str]:
    """Private names of other package modules that ``module`` imports or reads."""
    for source, name in _imports(module):
        if name and _is_private(name):
            yield f"{source}.{name}"
        elif not name and any(_is_private(part) for part in source.split(".")):
            yield source
    bound = _module_names(module)
    for node in _runtime_nodes(module.tree):
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        chain = _dotted(node.value)
        if chain is None or chain[0] not in bound:
            continue
        target = ".".join([bound[chain[0]], *chain[1:]])
        if target in MODULES and target != module.name:
            yield f"{target}.{node.attr}"


def test_the_checker_sees_every_kind_of_import() -> None:
    """The helpers find what they must on a made-up module (so a pass is not vacuous)."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import narrator.build.lock\n"
        "import narrator.voice.backends as b\n"
        "from narrator.build import atomic\n"
        "from . import pipeline\n"
        "if TYPE_CHECKING:\n"
        "    from narrator.publish.feed import _hidden\n"
        "def f():\n"
        "    from narrator.text.ingest import _late\n"
        "    return narrator.build.lock._a, b._b, atomic._c, pipeline._d\n"
    )
    fake = Module("narrator.build.fake", ROOT / "build" / "fake.py", False, ast.parse(source))
    runtime = set(_imports(fake))
    assert ("narrator.text.ingest", "_late") in runtime  # function-level counts
    assert not any(name == "_hidden" for _, name in runtime)  # TYPE_CHECKING does not
    assert ("narrator.build", "pipeline") in runtime  # relative, resolved
    assert set(_private_uses(fake)) == {
        "narrator.text.ingest._late",
        "narrator.build.lock._a",
        "narrator.voice.backends._b",
        "narrator.build.atomic._c",
        "narrator.build.pipeline._d",
    }
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]


def test_the_package_has_no_import_cycle() -> None:
    assert len(MODULES) > 20, "the package was not found"
    cycles = set(_cycles(_graph()))
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_no_module_uses_another_modules_private_name() -> None:
    uses = {(m.name, name) for m in MODULES.values() for name in _private_uses(m)}
    assert not uses, f"private names used from another module: {sorted(uses)}"
