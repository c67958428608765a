"""The shipped example fleet (inventory/prod.yaml) shows what it promises (issue 4 item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent.parent
PROD = ROOT / "inventory" / "prod.yaml"


def _report(tmp_path: Path) -> tuple[int, dict[str, object]]:
    out = tmp_path / "report.json"
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", str(PROD), "--format", "json", "--output", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert p.stderr == ""
    return p.returncode, json.loads(out.read_text())


def test_example_fleet(tmp_path: Path) -> None:
    code, report = _report(tmp_path)
    assert code == 1  # the README says so: the example has findings
    hosts = report["hosts"]
    assert isinstance(hosts, list) and len(hosts) >= 12
    captures = {
        h["e820"]
        for g in yaml.safe_load(PROD.read_text())["all"]["children"].values()
        for h in (g.get("hosts") or {}).values()
        if h and "e820" in h
    }
    assert len(captures) >= 5
    assert {h["dialect"] for h in hosts} == {"stock", "rfc", "mainline"}
    findings = report["findings"]
    assert isinstance(findings, list)
    codes = {f["code"] for f in findings}
    for code in [f"MM30{i}" for i in range(1, 10)] + [f"MM40{i}" for i in range(1, 10)] + ["MM410"]:
        assert code in codes, f"the example fleet shows no {code}"
    clean = {"web-01", "web-02", "web-03"}
    assert not [f for f in findings if f["host"] in clean]
    assert all(f["path"] and f["line"] for f in findings)
    assert any(h["panic"] is None and any(e["type"].startswith("persistent") for e in h["e820"]) for h in hosts)
