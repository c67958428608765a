"""Rules ask the kernel model and phrase its answers: no rule module reads numbers, quoting or a
consumer's grammar itself (those readers live in memmap_lint.kernel and memmap_lint.bootconfig)."""

from __future__ import annotations

import ast
from pathlib import Path

RULES = Path(__file__).parent.parent.parent / "rules"
#: Readers a rule must not call itself: number parsers, regular expressions, shell lexing.
READERS = {"memparse", "strtoull", "kstrtoull", "kstrto", "read_memmap_item"}
MODULES = {"re", "shlex"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.update(alias.name for alias in node.names)
            found.add(node.module or "")
    return found


def test_no_rule_module_parses_by_itself() -> None:
    modules = sorted(RULES.glob("*.py"))
    assert len(modules) > 40
    offenders = {
        p.name: sorted(_imports(p) & (READERS | MODULES))
        for p in modules
        if _imports(p) & (READERS | MODULES)
    }
    assert offenders == {}
