"""A host's verdict: its simulation (when there is one) and its findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from memmap_lint.engine.findings import SEVERITIES, Finding
from memmap_lint.kernel.model import Simulation
from memmap_lint.quickinit import quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class HostResult:
    """One host of a run. ``simulation`` is None when the host could not be simulated."""

    host: str
    simulation: Simulation | None
    findings: tuple[Finding, ...]
    groups: tuple[str, ...] = ()
    profile: str | None = None
    #: the hardware as the inventory or the collected DMI names it ("product, BIOS version")
    hardware: str | None = None


def summary(results: Sequence[HostResult], findings: Sequence[Finding]) -> dict[str, int]:
    """Counts per severity, and the number of hosts."""
    counts = {s: 0 for s in SEVERITIES}
    for f in findings:
        counts[f.severity] += 1
    return {"hosts": len(results), **counts}


def hardware_label(facts: Mapping[str, Any]) -> str | None:
    """``"PowerEdge R740, BIOS 2.19.1"`` from a host's ``hardware`` fact, when it names any."""
    hw = facts.get("hardware")
    if not isinstance(hw, Mapping):
        return None
    product, bios = hw.get("product"), hw.get("bios")
    parts = [str(product)] if product not in (None, "") else []
    if bios not in (None, ""):
        parts.append(f"BIOS {bios}")
    return ", ".join(parts) or None
