"""The text report: findings grouped by host, a placement summary per region, a total line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from memmap_lint.engine.findings import ERROR, WARNING
from memmap_lint.engine.results import HostResult, summary
from memmap_lint.kernel.model import PLACED
from memmap_lint.kernel.sizes import human
from memmap_lint.report.escape import visible

_COLOURS = {ERROR: "\033[31m", WARNING: "\033[33m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour and code else text


def _wrap(text: str, width: int = 88) -> str:
    words = text.split()
    lines: list[str] = []
    line = ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return "\n".join(lines)


def render_text(
    results: Sequence[HostResult],
    colour: bool = False,
    counted: Sequence[HostResult] | None = None,
) -> Iterable[str]:
    """Text chunks of the report. ``results`` may show a finding that several boot entries share
    once; ``counted`` (default: ``results``) keeps one per entry and gives the total line."""
    for r in results:
        if not r.findings:
            continue
        yield _paint(visible(r.host), _BOLD, colour) + (
            f"  ({r.simulation.dialect}, {r.simulation.kernel or 'kernel unknown'})\n"
            if r.simulation
            else "\n"
        )
        rows = []
        for f in r.findings:
            where = str(f.location) if f.location else ""
            rows.append(
                [
                    _paint(f.severity, _COLOURS.get(f.severity, ""), colour),
                    f.code,
                    _wrap(visible(f.message)),
                    visible(f"{f.param}\n{where}" if f.param else where),
                ]
            )
        from tabulate import tabulate  # only for this format (its import is slow)

        table = tabulate(rows, headers=["severity", "code", "message", "parameter / location"])
        yield "\n".join("  " + line for line in table.splitlines()) + "\n\n"
    yield from _placements(results)
    every = results if counted is None else counted
    findings = [f for r in every for f in r.findings]
    s = summary(every, findings)
    clean = sum(1 for r in every if not r.findings)
    yield (
        f"{s['hosts']} host(s), {clean} clean: {s['error']} error(s), {s['warning']} "
        f"warning(s), {s['info']} info\n"
    )


def _placements(results: Sequence[HostResult]) -> Iterable[str]:
    """Per region name: where it lands, on how many hosts."""
    places: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if r.simulation is None:
            continue
        for reg in r.simulation.regions:
            if reg.name is None:
                continue
            if reg.status == PLACED and reg.start is not None:
                where = f"{'~' if reg.approximate else ''}{reg.start:#x} ({human(reg.size)})"
            else:
                where = reg.status
            places[reg.name][where].append(r.host)
    if not places:
        return
    rows = []
    for name in sorted(places):
        for where, hosts in sorted(places[name].items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(hosts[:4]) + (f" +{len(hosts) - 4} more" if len(hosts) > 4 else "")
            rows.append([visible(name), where, len(hosts), visible(shown)])
    yield "Placement summary (~ = approximate):\n"
    from tabulate import tabulate

    table = tabulate(rows, headers=["region", "address / status", "hosts", "e.g."])
    yield "\n".join("  " + line for line in table.splitlines()) + "\n\n"
