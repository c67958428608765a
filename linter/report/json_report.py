"""The JSON report, schema ``memmap-lint/report/v1`` (the JSON report contract in README.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from memmap_lint.engine.findings import Finding
from memmap_lint.engine.results import HostResult, summary
from memmap_lint.kernel.e820 import Entry, type_name
from memmap_lint.kernel.model import Region, Simulation

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


def _simulation_text(sim: Simulation | None) -> str:
    """The members of ``host_json`` that come from the simulation, as JSON text (no braces)."""
    body = host_json(HostResult(host="", simulation=sim, findings=()))
    del body["host"], body["findings"]
    return json.dumps(body)[1:-1]


class _FindingText:
    """``json.dumps(finding.to_json())``, with the strings that hosts share encoded once."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}

    def _shared(self, v: str) -> str:
        text = self._strings.get(v)
        if text is None:
            text = self._strings[v] = json.dumps(v)
        return text

    def __call__(self, f: Finding) -> str:
        parts = []
        for key, v in f.to_json().items():
            text = self._shared(v) if isinstance(v, str) and key != "host" else json.dumps(v)
            parts.append(self._shared(key) + ": " + text)
        return "{" + ", ".join(parts) + "}"


def render_json(results: Sequence[HostResult]) -> Iterable[str]:
    """The report as text chunks (hosts streamed one by one).

    The same text as ``json.dumps(report_json(results))``, made cheaply: hosts that share a
    simulation share its serialized table and regions, and the strings findings share (messages,
    parameters, paths) are encoded once.
    """
    findings: list[Finding] = [f for r in results for f in r.findings]
    finding_text = _FindingText()
    sims: dict[int, tuple[Simulation | None, str]] = {}
    yield '{"schema": ' + json.dumps(SCHEMA) + ', "hosts": ['
    for i, r in enumerate(results):
        known = sims.get(id(r.simulation))
        if known is None:
            known = sims[id(r.simulation)] = (r.simulation, _simulation_text(r.simulation))
        yield (
            ("" if i == 0 else ", ")
            + '{"host": '
            + json.dumps(r.host)
            + ", "
            + known[1]
            + ', "findings": ['
            + ", ".join(finding_text(f) for f in r.findings)
            + "]}"
        )
    yield '], "findings": ['
    for i, f in enumerate(findings):
        yield ("" if i == 0 else ", ") + finding_text(f)
    yield '], "summary": ' + json.dumps(summary(results, findings)) + "}\n"
