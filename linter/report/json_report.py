"""The JSON report, schema ``memmap-lint/report/v1`` (DESIGN.md section 5)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from ..e820 import Entry, type_name
from ..findings import Finding
from ..model import Region, Simulation
from ..results import HostResult, summary

SCHEMA = "memmap-lint/report/v1"


def entry_json(e: Entry) -> dict[str, object]:
    """An e820 entry with its inclusive end and the kernel's type string."""
    return {"start": e.start, "end": e.start + e.size - 1, "type": type_name(e.type)}


def region_json(r: Region) -> dict[str, object]:
    data: dict[str, object] = {
        "name": r.name,
        "size": r.size,
        "align": r.align,
        "start": r.start,
        "status": r.status,
        "param": f"{r.param.name}={r.text}" if r.kind == "memmap-wildcard" else r.param.raw,
        "kind": r.kind,
        "approximate": r.approximate,
    }
    if r.note:
        data["note"] = r.note
    return data


def host_json(result: HostResult) -> dict[str, object]:
    sim: Simulation | None = result.simulation
    return {
        "host": result.host,
        "dialect": sim.dialect if sim else None,
        "kernel": sim.kernel if sim else None,
        "panic": sim.panic if sim else None,
        "e820": [entry_json(e) for e in sim.table] if sim else [],
        "regions": [region_json(r) for r in sim.regions] if sim else [],
        "findings": [f.to_json() for f in result.findings],
    }


def report_json(results: Sequence[HostResult]) -> dict[str, object]:
    findings: list[Finding] = [f for r in results for f in r.findings]
    return {
        "schema": SCHEMA,
        "hosts": [host_json(r) for r in results],
        "findings": [f.to_json() for f in findings],
        "summary": summary(results, findings),
    }


def render_json(results: Sequence[HostResult]) -> Iterable[str]:
    """The report as text chunks (hosts streamed one by one)."""
    findings: list[Finding] = [f for r in results for f in r.findings]
    yield '{"schema": ' + json.dumps(SCHEMA) + ', "hosts": ['
    for i, r in enumerate(results):
        yield ("" if i == 0 else ", ") + json.dumps(host_json(r))
    yield '], "findings": ['
    for i, f in enumerate(findings):
        yield ("" if i == 0 else ", ") + json.dumps(f.to_json())
    yield '], "summary": ' + json.dumps(summary(results, findings)) + "}\n"
