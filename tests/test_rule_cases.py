"""Every rule against its cases: tests/rules/cases/<CODE>.yaml, one list of cases per rule.

A case is data (sqlfluff-style), so a new case needs no code::

    - id: wildcard-on-stock          # unique within the file
      e820: e820/qemu-q35-32g.txt    # capture under tests/fixtures/ (omit: no hardware)
      cmdline: "memmap=12M*4096:oops"
      kernel: 6.1.0-28-amd64         # release of the next kernel (optional)
      features: [memmap-wildcard]    # optional; dialect: stock|rfc|mainline overrides
      facts: {}                      # host facts (optional)
      thresholds: {}                 # Thresholds fields (optional)
      fires: 1                       # how many findings of this file's rule (0: must not fire)
      message: ["RAM above 12 MiB"]  # substrings the first finding's message must contain

Fleet rules take ``hosts:`` (a list of the per-host fields plus ``name``) instead.
Each case says where its expectation comes from in a ``source:`` field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from memmap_lint.captures import load_capture
from memmap_lint.cmdline import parse
from memmap_lint.engine import Engine
from memmap_lint.kernel import kernel_for
from memmap_lint.registry import load_rules
from memmap_lint.rule import FleetContext, HostContext, Thresholds
from memmap_lint.simulate import Options, simulate

FIXTURES = Path(__file__).parent / "fixtures"
CASES = Path(__file__).parent / "rules" / "cases"
RULES = {r.code: r for r in load_rules(entry_points_too=False)}


def _cases() -> list[Any]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        code = file.stem
        for case in yaml.safe_load(file.read_text()) or []:
            out.append(pytest.param(code, case, id=f"{code}-{case['id']}"))
    return out


def _context(case: dict[str, Any], name: str = "host") -> HostContext:
    thresholds = Thresholds(**case.get("thresholds", {}))
    kernel = kernel_for(case.get("kernel"), case.get("features", ()), case.get("dialect"))
    line = parse(case.get("cmdline", ""))
    sim = None
    if case.get("e820"):
        cap = load_capture(FIXTURES / case["e820"])
        sim = simulate(cap.entries, line, kernel, cap.setup_data, Options(headroom=thresholds.headroom))
    return HostContext(name, line, kernel, sim, thresholds, case.get("facts", {}))


def test_every_rule_has_cases() -> None:
    have = {f.stem for f in CASES.glob("*.yaml")}
    missing = sorted(set(RULES) - have)
    assert not missing, f"rules without cases: {missing}"


@pytest.mark.parametrize(("code", "case"), _cases())
def test_rule_case(code: str, case: dict[str, Any]) -> None:
    assert code in RULES, f"{code}.yaml names no rule"
    assert case.get("source"), "each case says where its expectation comes from"
    rule = RULES[code]
    engine = Engine([rule])
    if rule.scope == "fleet":
        hosts = tuple(_context(h, h["name"]) for h in case["hosts"])
        findings = engine.check_fleet(FleetContext(hosts), lambda _h, _o: None)
    else:
        findings = engine.check_host(_context(case))
    assert len(findings) == case["fires"], [f.message for f in findings]
    for text in case.get("message", []):
        assert text in findings[0].message, findings[0].message
    for f in findings:
        assert f.code == code and f.message
