"""Finding rules: the built-ins in ``memmap_lint.rules``, ``--rules-dir`` folders, entry points."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil
import sys
import types
from collections.abc import Iterable, Sequence
from pathlib import Path

from memmap_lint.errors import LintError
from memmap_lint.rule import Rule, RuleError, rule_from_module

ENTRY_POINT_GROUP = "memmap_lint.rules"


def _builtin_modules() -> Iterable[types.ModuleType]:
    from memmap_lint import rules as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def _dir_modules(folder: str) -> Iterable[types.ModuleType]:
    path = Path(folder)
    if not path.is_dir():
        raise LintError("MM001", f"--rules-dir {folder}: not a directory", folder)
    for file in sorted(path.glob("*.py")):
        if file.name.startswith("_"):
            continue
        name = f"memmap_lint_user_rules.{file.stem}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise LintError("MM001", "cannot load rule module", str(file))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:  # where Python stopped reading it, as the interpreter says
            why = f"rule module failed to load: {exc.msg}"
            raise LintError("MM001", why, str(file), exc.lineno, exc.offset) from None
        except Exception as exc:
            raise LintError("MM001", f"rule module failed to load: {exc!r}", str(file)) from exc
        yield module


def may_declare_rules() -> bool:
    """False only when no installed distribution can declare a rule entry point.

    What ``importlib.metadata`` reads for ``sys.path``: each folder's ``*.dist-info`` and
    ``*.egg-info`` ``entry_points.txt``. A zip on the path or another finder of distributions
    on ``sys.meta_path`` answers True (let importlib.metadata look). Importing importlib.metadata
    costs more than the rest of a one-file boot lint's start, so it is skipped when no file
    names the group.
    """
    import importlib.machinery

    for finder in sys.meta_path:
        if hasattr(finder, "find_distributions") and finder is not importlib.machinery.PathFinder:
            return True
    for entry in sys.path:
        folder = Path(entry or ".")
        if not folder.is_dir():
            if folder.exists():
                return True
            continue
        for pattern in ("*.dist-info/entry_points.txt", "*.egg-info/entry_points.txt"):
            for txt in folder.glob(pattern):
                try:
                    if ENTRY_POINT_GROUP in txt.read_text(encoding="utf-8", errors="replace"):
                        return True
                except OSError:
                    return True
    return False


def _entry_point_modules() -> Iterable[types.ModuleType]:
    if not may_declare_rules():
        return
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:
            raise LintError(
                "MM001", f"rule entry point {ep.name} ({ep.value}) failed to load: {exc!r}"
            ) from exc
        if isinstance(loaded, types.ModuleType):
            yield loaded
        else:
            yield from loaded


def load_rules(rules_dirs: Sequence[str] = (), entry_points_too: bool = True) -> list[Rule]:
    """Every rule, sorted by code; a code defined twice is an error."""
    modules: list[types.ModuleType] = list(_builtin_modules())
    for folder in rules_dirs:
        modules.extend(_dir_modules(folder))
    if entry_points_too:
        modules.extend(_entry_point_modules())
    rules: dict[str, Rule] = {}
    for module in modules:
        try:
            rule = rule_from_module(module)
        except RuleError as exc:
            raise LintError("MM001", str(exc)) from exc
        if rule.code in rules:
            raise LintError(
                "MM001",
                f"rule {rule.code} is defined twice: {rules[rule.code].origin} and {rule.origin}",
            )
        rules[rule.code] = rule
    return sorted(rules.values(), key=lambda r: r.code)


def matches(rule: Rule, pattern: str) -> bool:
    """A selector names a rule by code (MM301), code prefix (MM3, MM30) or slug."""
    p = pattern.strip()
    return rule.code.upper().startswith(p.upper()) or rule.name == p


def superseding(rules: Sequence[Rule], chosen: Sequence[Rule]) -> list[Rule]:
    """The rules of ``rules`` not ``chosen`` that supersede a chosen one (``SUPERSEDES``): they
    run so that their precedence holds whether or not they are selected; their own findings are
    not reported."""
    codes = {r.code for r in chosen}
    return [r for r in rules if r.code not in codes and codes.intersection(r.supersedes)]


def split_codes(values: Iterable[object]) -> list[str]:
    """The selectors of repeated, comma-separated ``select``/``ignore`` values."""
    return [v.strip() for value in values for v in str(value).split(",") if v.strip()]


def select(rules: Sequence[Rule], selected: Sequence[str], ignored: Sequence[str]) -> list[Rule]:
    """The rules ``selected`` (all when empty) minus those ``ignored``."""
    for pattern in (*selected, *ignored):
        if not any(matches(r, pattern) for r in rules):
            names = [r.code for r in rules] + [r.name for r in rules]
            close = difflib.get_close_matches(pattern.strip(), names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise LintError("MM001", f"no rule matches '{pattern}' (see memmap-lint rules){hint}")
    chosen = [r for r in rules if not selected or any(matches(r, s) for s in selected)]
    return [r for r in chosen if not any(matches(r, i) for i in ignored)]
