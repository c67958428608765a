"""The import graph of memmap_lint, read from the source (the AST of linter/ and rules/): no
cycle, no import from a lower stage up to a higher one, and no private name (``_x``) taken
from another module."""

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


#: The stages of the flow, lowest first: cli -> engine -> (inputs) -> kernel. A module imports
#: only from its own stage or lower ones; report/, fix/ and the rules read results and the kernel
#: model and are not imported by the lower stages either.
STAGES = {
    "kernel": 0,
    "captures": 1,
    "inventory": 1,
    "bootconfig": 1,
    "collect": 1,
    "engine": 2,
    "cli": 3,
}
#: Stages that the stages below ``engine`` must never import.
UPPER = {"engine", "cli", "report", "fix", "rules"}


def _stage(module: str) -> str:
    """The stage a module belongs to: its subpackage of memmap_lint (``rules`` for the rules)."""
    if module.startswith("memmap_lint.rules"):
        return "rules"
    parts = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    return parts[1] if len(parts) > (1 if is_package else 2) else parts[0]


def _upward(module: str, target: str) -> bool:
    low, high = _stage(module), _stage(target)
    if low not in STAGES or low == high:
        return False
    if STAGES[low] < STAGES["engine"] and high in UPPER:
        return True
    return high in STAGES and STAGES[high] > STAGES[low]


def test_the_stage_rule_sees_an_upward_import() -> None:
    assert _stage("memmap_lint.kernel.e820") == "kernel"
    assert _stage("memmap_lint.rules.mm101_memmap_syntax") == "rules"
    assert _stage("memmap_lint.kernel") == "kernel"
    assert _stage("memmap_lint.errors") == _stage("memmap_lint") == "memmap_lint"
    assert _upward("memmap_lint.kernel.e820", "memmap_lint.engine.lint")
    assert _upward("memmap_lint.bootconfig.bls", "memmap_lint.report.output")
    assert _upward("memmap_lint.engine.lint", "memmap_lint.cli.main")
    assert not _upward("memmap_lint.engine.lint", "memmap_lint.kernel.e820")
    assert not _upward("memmap_lint.captures.parse", "memmap_lint.errors")


def test_no_lower_stage_imports_a_higher_one() -> None:
    """kernel/ imports no other stage; captures/, inventory/, bootconfig/, collect/ import no
    engine/, cli/, report/, fix/ or rule; engine/ imports no cli/."""
    bad = [
        f"{module} imports {target}"
        for module in MODULES
        for target, _name in _targets(module)
        if _upward(module, target)
    ]
    assert not bad, bad


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
