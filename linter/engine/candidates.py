"""An entry whose next kernel is unknown is checked under every kernel it could meet.

A boot file often says nothing of the kernel that boots next, and the same parameter means
different things to different kernels (``memmap=nn*align:name`` is a named region with the RFC
patch and a memory limit without it; ``reserve_mem=`` exists from 6.11). So an input with the
``kernel_candidates`` fact (set by ``bootlint.boot_inputs``) is linted as each candidate, and the
findings are merged into one result: what holds on every candidate keeps its severity, what
holds on some only is conditional, one severity lower, and says on which kernels it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from memmap_lint.engine.findings import INFO, Finding, rank
from memmap_lint.engine.hostinput import HostInput, with_kernel
from memmap_lint.engine.results import HostResult
from memmap_lint.kernel.model import MAINLINE, RFC, STOCK

if TYPE_CHECKING:
    from memmap_lint.engine.lint import Linter
    from memmap_lint.report.progress import Progress

#: The kernels an entry could meet, and how a finding names each.
CANDIDATES = (
    (STOCK, "on a kernel without the RFC patch (before 6.11)"),
    (RFC, "on an RFC kernel (memmap-wildcard patch)"),
    (MAINLINE, "on 6.11 or later"),
)
CANDIDATE_DIALECTS = tuple(d for d, _ in CANDIDATES)
#: Rules whose finding only says that a kernel lacks a syntax: when it holds on some candidates
#: only, the file may simply target another kernel, so it is an info.
UNSUPPORTED = frozenset({"MM105", "MM106", "MM407"})
_LOWER = {"error": "warning", "warning": "info", "info": "info"}


def lint_entries(
    linter: Linter, inputs: Sequence[HostInput], progress: Progress | None = None
) -> list[HostResult]:
    """``linter.lint_hosts``, one result per input in order; an input with the
    ``kernel_candidates`` fact is linted under each candidate kernel and merged."""
    expanded: list[HostInput] = []
    spans: list[tuple[int, int]] = []
    for inp in inputs:
        start = len(expanded)
        if inp.facts.get("kernel_candidates"):
            release = inp.kernel.release
            expanded += [with_kernel(inp, release, (), d) for d in CANDIDATE_DIALECTS]
        else:
            expanded.append(inp)
        spans.append((start, len(expanded)))
    if len(expanded) == len(inputs):
        return linter.lint_hosts(inputs, progress)
    results = linter.lint_hosts(expanded, progress)
    return [results[a] if b - a == 1 else merge(results[a:b]) for a, b in spans]


def merge(results: Sequence[HostResult]) -> HostResult:
    """One entry's results under the candidate kernels (in ``CANDIDATES`` order) as one.

    A finding is the same on two kernels when its code, place and parameter are. Under every
    candidate it keeps its (worst) severity; under some only it is lowered one step (to info for
    ``UNSUPPORTED``) and marked conditional. Messages that differ by kernel are given per kernel:
    "on ...: ...; on ...: ...". The simulation shown is the first candidate's that has one.
    """
    names = [n for _, n in CANDIDATES]
    order: list[tuple[Any, ...]] = []
    found: dict[tuple[Any, ...], dict[int, Finding]] = {}
    for i, r in enumerate(results):
        for f in r.findings:
            key = (f.code, f.location, f.param)
            if key not in found:
                order.append(key)
                found[key] = {}
            found[key].setdefault(i, f)
    merged: list[Finding] = []
    for key in order:
        hits = found[key]
        first = next(iter(hits.values()))
        severity = max((f.severity for f in hits.values()), key=rank)
        texts = {f.message for f in hits.values()}
        if len(hits) == len(results):
            message = first.message if len(texts) == 1 else _per_kernel(hits, names)
        else:
            severity = INFO if first.code in UNSUPPORTED else _LOWER[severity]
            message = _per_kernel(hits, names) + " (conditional: the next kernel is unknown)."
        merged.append(replace(first, severity=severity, message=message))
    base = next((r for r in results if r.simulation is not None), results[0])
    return replace(base, findings=tuple(merged))


def _per_kernel(hits: dict[int, Finding], names: Sequence[str]) -> str:
    by_text: dict[str, list[str]] = {}
    for i, f in sorted(hits.items()):
        by_text.setdefault(f.message, []).append(names[i])
    return "; ".join(f"{' and '.join(ks)}: {text.rstrip('.')}" for text, ks in by_text.items())
