"""A host's verdict: its simulation (when there is one) and its findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memmap_lint.engine.findings import SEVERITIES, Finding
from memmap_lint.kernel.model import Simulation


@dataclass(frozen=True, slots=True)
class HostResult:
    """One host of a run. ``simulation`` is None when the host could not be simulated."""

    host: str
    simulation: Simulation | None
    findings: tuple[Finding, ...]
    groups: tuple[str, ...] = ()
    profile: str | None = None


def summary(results: Sequence[HostResult], findings: Sequence[Finding]) -> dict[str, int]:
    """Counts per severity, and the number of hosts."""
    counts = {s: 0 for s in SEVERITIES}
    for f in findings:
        counts[f.severity] += 1
    return {"hosts": len(results), **counts}
