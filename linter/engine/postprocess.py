"""After the rules, the same on every path (inventory, boot files, pre-flight, rule cases).

In order: precedence between rules (a rule module's ``SUPERSEDES`` names the rules whose finding
on the same parameter it replaces, whether or not its own finding is then silenced or its rule
deselected: ``registry.superseding`` runs it anyway, unreported); a host's
ignores (its ``memmap_lint_ignore`` variable and the config's ``per-group-ignores``); inline
``# memmap-lint: disable=CODES`` comments in the boot files a host's command line comes from; a
stable order. :func:`grouped`
folds, for display only, a finding that several entries of one boot configuration share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from memmap_lint.engine.config import Config
from memmap_lint.engine.findings import Finding
from memmap_lint.engine.hostinput import HostInput
from memmap_lint.engine.registry import matches
from memmap_lint.engine.results import HostResult
from memmap_lint.engine.suppress import suppressed_codes
from memmap_lint.rule import Rule


def postprocess(
    inputs: Sequence[HostInput],
    results: Sequence[HostResult],
    rules: Sequence[Rule],
    config: Config,
    hidden: frozenset[str] = frozenset(),
) -> list[HostResult]:
    """``results`` (one per input, in order) without the findings that are superseded, of a
    ``hidden`` rule (one not selected, run for its precedence), ignored or disabled inline;
    each host's findings sorted."""
    by_code = {r.code: r for r in rules}
    texts: dict[str, str] = {}
    for inp in inputs:
        if inp.boot is not None:
            texts.update(inp.boot.sources)
    out: list[HostResult] = []
    for inp, r in zip(inputs, results, strict=True):
        ignored = _ignored(inp, config)
        kept = [
            f
            for f in _precedence(list(r.findings), by_code)
            if f.code not in hidden
            and not (ignored and _matched(f, ignored, by_code))
            and not _disabled(f, texts)
        ]
        out.append(replace(r, findings=tuple(sorted(kept, key=Finding.sort_key))))
    return out


def _ignored(inp: HostInput, config: Config) -> tuple[str, ...]:
    own = inp.host.get("memmap_lint_ignore") or []
    per_group = [c for g in inp.host.groups for c in config.group_ignores.get(g, ())]
    return (*own, *per_group)


def _matched(f: Finding, patterns: Sequence[str], by_code: Mapping[str, Rule]) -> bool:
    rule = by_code.get(f.code)
    return rule is not None and any(matches(rule, p) for p in patterns)


def _disabled(f: Finding, texts: Mapping[str, str]) -> bool:
    """A ``# memmap-lint: disable=`` directive on the finding's line or the line before."""
    loc = f.location
    if loc is None or loc.line is None or loc.path not in texts:
        return False
    lines = texts[loc.path].split("\n")
    codes: set[str] = set()
    for n in (loc.line - 1, loc.line - 2):
        if 0 <= n < len(lines):
            codes |= suppressed_codes(lines[n])
    return f.code in codes or f.name in codes or "all" in codes


def _precedence(findings: list[Finding], by_code: Mapping[str, Rule]) -> list[Finding]:
    """Drop a finding when a rule that supersedes its rule reports the same parameter."""
    over: set[tuple[str, str]] = set()
    for f in findings:
        rule = by_code.get(f.code)
        if rule is not None:
            over.update((code, f.param) for code in rule.supersedes)
    if not over:
        return findings
    return [f for f in findings if (f.code, f.param) not in over]


def _key(f: Finding) -> tuple[Any, ...]:
    return (f.code, f.message, f.location, f.severity, f.param)


def grouped(inputs: Sequence[HostInput], results: Sequence[HostResult]) -> list[HostResult]:
    """For display: a finding that several entries of one boot configuration (``inputs``, its
    entries) share (same code, message and place: entries with the same command line, or one
    line feeding several entries) is shown once, on the first such entry, naming the others.
    The data keeps one finding per entry."""
    first_of: dict[tuple[Any, ...], int] = {}
    others: list[dict[tuple[Any, ...], list[str]]] = [{} for _ in results]
    kept: list[list[Finding]] = []
    for i, (inp, r) in enumerate(zip(inputs, results, strict=True)):
        title = inp.boot.entry.title if inp.boot is not None else r.host
        mine: list[Finding] = []
        for f in r.findings:
            key = _key(f)
            if key in first_of:
                others[first_of[key]].setdefault(key, []).append(title)
                continue
            first_of[key] = i
            mine.append(f)
        kept.append(mine)
    return [
        replace(r, findings=tuple(_naming(f, others[i].get(_key(f), [])) for f in kept[i]))
        for i, r in enumerate(results)
    ]


def _naming(f: Finding, others: Sequence[str]) -> Finding:
    if not others:
        return f
    return replace(f, message=f"{f.message} (same in entries: {'; '.join(others)})")
