"""The streamed JSON report is ``json.dumps`` of the report, finding by finding."""

from __future__ import annotations

import json
from dataclasses import dataclass

from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.results import HostResult
from memmap_lint.report.json_report import render_json, report_json


@dataclass(frozen=True, slots=True)
class _Wider(Finding):
    """A finding type of a plug-in that writes one more member."""

    def to_json(self) -> dict[str, object]:
        return {**Finding.to_json(self), "more": [1, None]}


def _findings(host: str) -> tuple[Finding, ...]:
    return (
        Finding(
            "MM101", "slug", "error", host, "plain", "memmap=1G*2M:x", Location("a.yaml", 3, 7)
        ),
        Finding(
            "MM101", "slug", "error", host, "plain", "memmap=1G*2M:x", Location("a.yaml", 9, 1)
        ),
        Finding("MM102", "other", "warning", host, 'quote " and \\ and é\u2028', "", None),
        Finding("MM103", "x", "info", host, "no line", "p", Location("b.ini")),
        Finding("MM103", "x", "info", host, "no column", "p", Location("b.ini", 4)),
        _Wider("MM104", "w", "info", host, "wider", "", Location("c", 1, 1)),
    )


def test_every_kind_of_finding_is_written_as_json_dumps_writes_it() -> None:
    results = [HostResult(name, None, _findings(name)) for name in ("h1", 'h\u00e9"2', "h1", "")]
    text = "".join(render_json(results))
    assert text == json.dumps(report_json(results)) + "\n"
    assert json.loads(text)["findings"][5]["more"] == [1, None]
