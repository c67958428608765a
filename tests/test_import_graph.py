"""The import graph of memmap_lint, read from the source (the AST of linter/ and rules/): no
cycle, and no private name (``_x``) taken from another module."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = {"memmap_lint": ROOT / "linter", "memmap_lint.rules": ROOT / "rules"}


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for file in folder.rglob("*.py"):
            rel = file.relative_to(folder).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            out[".".join((package, *rel))] = file
    return out


MODULES = _modules()


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import the module runs, at its top or inside a function (lazy imports are still
    imports); not those only a type checker reads."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def _targets(module: str) -> Iterator[tuple[str, str | None]]:
    """(imported module, imported name or None) of each memmap_lint import of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, None
            continue
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            is_package = MODULES[module].name == "__init__.py"
            keep = len(parts) - node.level + (1 if is_package else 0)
            base = ".".join([*parts[:keep], *([base] if base else [])])
        if base not in MODULES:
            continue
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in MODULES:
                yield sub, None
            else:
                yield base, alias.name


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _name in _targets(m) if t != m} for m in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_walk_sees_the_package() -> None:
    graph = _graph()
    assert len(graph) > 100
    assert "memmap_lint.engine.hostinput" in graph["memmap_lint.engine.pipeline"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def _package(module: str) -> str:
    is_package = MODULES[module].name == "__init__.py"
    return module if is_package else module.rsplit(".", 1)[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def test_no_module_imports_a_private_name_of_another() -> None:
    """``from memmap_lint.x import _y`` is private to x; a private module (``rules._common``)
    serves only its own package."""
    bad: list[str] = []
    for module in MODULES:
        for target, name in _targets(module):
            if name is not None and _private(name):
                bad.append(f"{module}: {name} from {target}")
            last = target.rsplit(".", 1)[-1]
            if _private(last) and _package(target) != _package(module):
                bad.append(f"{module}: private module {target}")
    assert not bad, bad
