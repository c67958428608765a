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


def _scalar(v: int | None) -> str:
    return "null" if v is None else str(v)


class _FindingText:
    """``json.dumps(finding.to_json())`` from two pieces shared by every finding with the same
    rule and text: the members before the host, and those from the message to the line."""

    def __init__(self) -> None:
        self._heads: dict[tuple[str, str, str], str] = {}
        self._bodies: dict[tuple[str, str, str | None], str] = {}
        self._hosts: dict[str, str] = {}

    def __call__(self, f: Finding) -> str:
        if type(f) is not Finding:  # a subclass may write more members
            return json.dumps(f.to_json())
        head = self._heads.get((f.code, f.name, f.severity))
        if head is None:
            head = self._heads[(f.code, f.name, f.severity)] = (
                f'{{"code": {json.dumps(f.code)}, "name": {json.dumps(f.name)}, '
                f'"severity": {json.dumps(f.severity)}, "host": '
            )
        loc = f.location
        path = loc.path if loc else None
        body = self._bodies.get((f.message, f.param, path))
        if body is None:
            body = self._bodies[(f.message, f.param, path)] = (
                f', "message": {json.dumps(f.message)}, "param": {json.dumps(f.param)}, '
                f'"path": {json.dumps(path)}, "line": '
            )
        host = self._hosts.get(f.host)
        if host is None:
            host = self._hosts[f.host] = json.dumps(f.host)
        line, column = (loc.line, loc.column) if loc else (None, None)
        return f'{head}{host}{body}{_scalar(line)}, "column": {_scalar(column)}}}'


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
