"""``memmap-lint simulate`` as text: the firmware map, each step, the final table, the regions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from memmap_lint.engine.findings import Finding
from memmap_lint.kernel.e820 import Entry
from memmap_lint.kernel.model import RFC, Simulation
from memmap_lint.kernel.placement import overlaps
from memmap_lint.kernel.sizes import human
from tabulate import tabulate

_DIALECT_TEXT = {
    "stock": "stock x86 (no wildcard patch; memmap=nn* is a memory limit)",
    "rfc": "rfc (carries the memmap=nn*align:name wildcard patch)",
    "mainline": "mainline (>= 6.11: reserve_mem=)",
}


def _table(entries: Sequence[Entry], who: str) -> list[str]:
    return [f"  {who}: {e.describe()}  ({human(e.size)})" for e in entries]


def explain(sim: Simulation, source: str, findings: Sequence[Finding] = ()) -> Iterable[str]:
    """Lines of the step-by-step account of one simulation."""
    kernel = f"{sim.kernel}, " if sim.kernel else ""
    yield f"Kernel: {kernel}{_DIALECT_TEXT.get(sim.dialect, sim.dialect)}"
    yield f"Firmware map ({source}, {len(sim.firmware)} entries):"
    yield from _table(sim.firmware, "BIOS-e820")
    yield ""
    yield "Command line, in the order the kernel applies it:"
    if not sim.events:
        yield "  (no parameter edits the memory map)"
    for ev in sim.events:
        mark = {"error": "!!", "warning": " !"}.get(ev.level, "  ")
        shown = ev.text
        if ev.param is not None and ev.text != ev.param.raw:
            shown = f"{ev.param.name}={ev.text}"
        yield f"{mark} {shown}"
        yield f"      {ev.message}"
    yield ""
    if sim.panic:
        yield f"Kernel panic - not syncing: {sim.panic}"
        yield "  The boot stops here: there is no memory map."
    else:
        title = "user-defined physical RAM map" if sim.userdef else "physical RAM map (unchanged)"
        ram = human(sim.ram_total())
        yield f"The kernel's {title} ({len(sim.table)} entries, {ram} usable):"
        yield from _table(sim.table, "user" if sim.userdef else "BIOS-e820")
    if sim.regions:
        yield ""
        yield "Regions:"
        rows = []
        for r in sim.regions:
            where = "-" if r.start is None else f"{r.start:#x}-{r.start + r.size - 1:#x}"
            if r.approximate and r.start is not None:
                where = "~" + where
            rows.append(
                [r.name if r.name is not None else "(none)", human(r.size), where, r.status, r.note]
            )
        table = tabulate(rows, headers=["name", "size", "range", "status", "note"])
        yield from ("  " + line for line in table.splitlines())
    clashes = overlaps(sim)
    if clashes:
        yield ""
        for o in clashes:
            other = f"'{o.other.name}'" if o.other and o.other.name else f"'{o.other_text}'"
            yield (
                f"!! '{o.region.name}' and {other} share [{o.start:#x}-{o.end - 1:#x}] "
                f"({human(o.end - o.start)}): the kernel gives both the same memory"
            )
            if sim.dialect == RFC:
                yield (
                    "   (the RFC only appends its reservation; the RAM slot it searched is "
                    "unchanged, so a later search returns the same place)"
                )
    if findings:
        yield ""
        yield "Findings:"
        for f in findings:
            yield f"  {f.severity:7} {f.code} {f.message}"  # messages name the parameter
