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
Boot-config rules take ``boot:`` instead of ``cmdline:``: a fixture path under tests/fixtures/
(read with the files its tool reads with it, e.g. ``grub.d/``) or ``{text: ..., kind: ...}``;
optional ``companion:`` (fixture path, e.g. the /etc/default/grub of a grub.cfg). Every entry is
a host, as ``memmap-lint FILE`` runs it; identical findings (same message and place) count once.
``at: "grub:9:35"`` checks the end of the first finding's ``path:line:column``.
Each case says where its expectation comes from in a ``source:`` field.
After-the-reboot rules (MM7xx) take ``postboot:`` instead: a console recorded by
tests/postboot_boot.py (under tests/fixtures/); the host is what that boot ran (its firmware map,
``/proc/cmdline`` and release; ``e820:`` replaces the map the prediction uses) and its facts are
``verify``'s comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from memmap_lint.captures.parse import load_capture
from memmap_lint.engine.registry import load_rules
from memmap_lint.engine.runner import Engine
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.rule import FleetContext, HostContext, Thresholds

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


def _postboot_context(case: dict[str, Any], name: str) -> HostContext:
    from memmap_lint.engine.collected import facts_capture
    from memmap_lint.engine.verify import check_host
    from postboot_boot import console_facts

    facts = console_facts((FIXTURES / case["postboot"]).read_text())
    assert facts.postboot is not None
    cap = load_capture(FIXTURES / case["e820"]) if case.get("e820") else facts_capture(facts, name)
    assert cap is not None
    kernel = kernel_for(facts.kernel_release, case.get("features", ()), case.get("dialect"))
    line = parse(facts.proc_cmdline)
    sim = simulate(cap.entries, line, kernel, cap.setup_data)
    verdict = check_host(sim, facts.postboot)
    return HostContext(name, line, kernel, sim, Thresholds(), {"verify": verdict})


def _context(case: dict[str, Any], name: str = "host") -> HostContext:
    if case.get("postboot"):
        return _postboot_context(case, name)
    thresholds = Thresholds(**case.get("thresholds", {}))
    kernel = kernel_for(case.get("kernel"), case.get("features", ()), case.get("dialect"))
    line = parse(case.get("cmdline", ""))
    sim = None
    if case.get("e820"):
        cap = load_capture(FIXTURES / case["e820"])
        sim = simulate(cap.entries, line, kernel, cap.setup_data, Options(headroom=thresholds.headroom))
    return HostContext(name, line, kernel, sim, thresholds, case.get("facts", {}))


def _boot_findings(engine: Engine, case: dict[str, Any]) -> list[Any]:
    from memmap_lint.bootconfig import load_boot_config, parse_boot_text
    from memmap_lint.engine.bootlint import read_sources, views
    from memmap_lint.engine.hostinput import boot_locator

    spec = case["boot"]
    if isinstance(spec, dict):
        config = parse_boot_text(spec["text"], spec["kind"], "<inline>")
        sources = {"<inline>": spec["text"]}
    else:
        config = load_boot_config(FIXTURES / spec)
        sources = {}
    companion = load_boot_config(FIXTURES / case["companion"]) if case.get("companion") else None
    if not isinstance(spec, dict):
        sources = read_sources(config, [companion] if companion else [])
    seen: dict[tuple[Any, ...], Any] = {}
    for view in views(config, sources, companion):
        base = _context({**case, "cmdline": view.entry.cmdline}, view.entry.title)
        ctx = HostContext(
            base.host, base.cmdline, base.kernel, base.sim, base.thresholds, base.facts,
            boot_locator(view, "<boot>"), view,
        )
        for f in engine.check_host(ctx):
            seen.setdefault((f.code, f.message, f.location), f)
    return list(seen.values())


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
    elif case.get("boot"):
        findings = _boot_findings(engine, case)
    else:
        findings = engine.check_host(_context(case))
    assert len(findings) == case["fires"], [f.message for f in findings]
    for text in case.get("message", []):
        assert text in findings[0].message, findings[0].message
    if case.get("at"):  # path suffix:line:col of the first finding
        loc = findings[0].location
        assert loc is not None and f"{loc.path}:{loc.line}:{loc.column}".endswith(case["at"]), loc
    for f in findings:
        assert f.code == code and f.message
