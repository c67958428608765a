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

from collections.abc import Sequence
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
    stage = _Stage(rules, config, hidden, inputs)
    out: list[HostResult] = []
    for inp, r in zip(inputs, results, strict=True):
        findings = r.findings
        if findings:
            kept = tuple(sorted(stage.kept(inp, findings), key=Finding.sort_key))
            if kept != findings:
                r = replace(r, findings=kept)
        out.append(r)
    return out


class _Stage:
    """What ``postprocess`` looks up once per run: rules by code, the superseding rules, the
    boot files' lines, and which ignore patterns match which codes."""

    def __init__(
        self,
        rules: Sequence[Rule],
        config: Config,
        hidden: frozenset[str],
        inputs: Sequence[HostInput],
    ) -> None:
        self.by_code = {r.code: r for r in rules}
        self.over = {r.code: r.supersedes for r in rules if r.supersedes}
        self.config = config
        self.hidden = hidden
        self.texts: dict[str, str] = {}
        for inp in inputs:
            if inp.boot is not None:
                self.texts.update(inp.boot.sources)
        self.lines: dict[str, list[str]] = {}
        self.matched: dict[tuple[str, tuple[str, ...]], bool] = {}

    def kept(self, inp: HostInput, findings: Sequence[Finding]) -> list[Finding]:
        ignored = self._ignored(inp)
        return [
            f
            for f in self._precedence(findings)
            if f.code not in self.hidden
            and not (ignored and self._matches(f.code, ignored))
            and not self._disabled(f)
        ]

    def _ignored(self, inp: HostInput) -> tuple[str, ...]:
        own = inp.host.get("memmap_lint_ignore") or []
        groups = self.config.group_ignores
        per_group = [c for g in inp.host.groups for c in groups.get(g, ())] if groups else []
        return (*own, *per_group)

    def _matches(self, code: str, patterns: tuple[str, ...]) -> bool:
        key = (code, patterns)
        if key not in self.matched:
            rule = self.by_code.get(code)
            self.matched[key] = rule is not None and any(matches(rule, p) for p in patterns)
        return self.matched[key]

    def _disabled(self, f: Finding) -> bool:
        """A ``# memmap-lint: disable=`` directive on the finding's line or the line before."""
        loc = f.location
        if loc is None or loc.line is None or loc.path not in self.texts:
            return False
        if loc.path not in self.lines:
            self.lines[loc.path] = self.texts[loc.path].split("\n")
        lines = self.lines[loc.path]
        codes: set[str] = set()
        for n in (loc.line - 1, loc.line - 2):
            if 0 <= n < len(lines):
                codes |= suppressed_codes(lines[n])
        return f.code in codes or f.name in codes or "all" in codes

    def _precedence(self, findings: Sequence[Finding]) -> Sequence[Finding]:
        """Drop a finding when a rule that supersedes its rule reports the same parameter."""
        over = {(c, f.param) for f in findings for c in self.over.get(f.code, ())}
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
