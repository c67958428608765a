"""Values of the inventory variables memmap-lint owns, and inline disables, that name something
it does not know.

A typo there would pass silently: ``kernel_features: [memmap-wilcard]`` makes the host a stock
kernel, ``memmap_lint_ignore: [MM999]`` ignores nothing. Each unknown value is MM604 at the
variable's line:col, with a did-you-mean.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence

from memmap_lint.engine.hostinput import HostInput
from memmap_lint.engine.registry import load_rules, matches
from memmap_lint.engine.suppress import directive_words
from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Host
from memmap_lint.kernel.consumers import RAMOOPS_BUILTIN_FEATURE
from memmap_lint.kernel.release import WILDCARD_FEATURE
from memmap_lint.rule import Rule

FEATURES = (WILDCARD_FEATURE, RAMOOPS_BUILTIN_FEATURE)
"""Every ``kernel_features`` value memmap-lint models."""


def _hint(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def known_rules(selected: Sequence[Rule]) -> list[Rule]:
    """Every rule a value may name: the installed ones and those of this run."""
    rules = {r.code: r for r in load_rules()}
    rules.update((r.code, r) for r in selected)
    return list(rules.values())


def unknown_directives(inputs: Sequence[HostInput], selected: Sequence[Rule]) -> list[LintError]:
    """MM505 for each word of a ``# memmap-lint: disable=`` directive in the boot files of
    ``inputs`` that names no rule (the rules are loaded only when a directive exists)."""
    texts = {p: t for i in inputs if i.boot is not None for p, t in i.boot.sources.items()}
    texts = {p: t for p, t in texts.items() if "memmap-lint" in t}
    if not texts:
        return []
    rules = known_rules(selected)
    names = [r.code for r in rules] + [r.name for r in rules] + ["all"]
    errors: list[LintError] = []
    for path, text in texts.items():
        for line, column, word in directive_words(text):
            if word.upper() not in names and word not in names:
                errors.append(
                    LintError(
                        "MM505",
                        f"disable={word}: no such rule" + _hint(word, names),
                        path,
                        line,
                        column,
                    )
                )
    return errors


def unknown_values(hosts: Sequence[Host], rules: Sequence[Rule]) -> list[LintError]:
    """MM604 for each unknown ``kernel_features`` or ``memmap_lint_ignore`` value (each place
    reported once, however many hosts share it)."""
    names = [r.code for r in rules] + [r.name for r in rules]
    errors: list[LintError] = []
    seen: set[tuple[str, int, int]] = set()
    checks: tuple[tuple[str, Sequence[str], Callable[[str], bool]], ...] = (
        ("kernel_features", FEATURES, FEATURES.__contains__),
        ("memmap_lint_ignore", names, lambda v: any(matches(r, v) for r in rules)),
    )
    for host in hosts:
        for var, known, ok in checks:
            vardef = host.vars.get(var)
            if vardef is None or not isinstance(vardef.value, list):
                continue
            place = (vardef.pos.path, vardef.pos.line, vardef.pos.column)
            if place in seen:
                continue
            seen.add(place)
            for value in vardef.value:
                if isinstance(value, str) and not ok(value):
                    errors.append(
                        LintError(
                            "MM604",
                            f"host {host.name}: {var}: unknown value {value!r}"
                            + _hint(value, known),
                            *place,
                        )
                    )
    return errors
