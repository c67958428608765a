"""Every rule against its cases: tests/rules/cases/<CODE>.yaml, one list of cases per rule.

A case is data (sqlfluff-style), so a new case needs no code; it runs through the real pipeline
(``memmap_lint.testing.lint_case``: host input, every rule, post-processing), and counts the
findings of its file's rule::

    - id: wildcard-on-stock          # unique within the file
      e820: e820/qemu-q35-32g.txt    # capture under tests/fixtures/ (omit: no hardware)
      cmdline: "memmap=12M*4096:oops"
      kernel: 6.1.0-28-amd64         # release of the next kernel (optional)
      features: [memmap-wildcard]    # optional; dialect: stock|rfc|mainline overrides
      facts: {}                      # host facts (optional)
      options: {MM305: {share: 0.5}} # rule options (optional; thresholds: {headroom: 64M})
      fires: 1                       # how many findings of this file's rule (0: must not fire)
      message: ["RAM above 12 MiB"]  # substrings the first finding's message must contain

Fleet rules take ``hosts:`` (a list of the per-host fields plus ``name``) instead.
Boot-config rules take ``boot:`` instead of ``cmdline:``: a fixture path under tests/fixtures/
(read with the files its tool reads with it, e.g. ``grub.d/``) or ``{text: ..., kind: ...}``;
optional ``companion:`` (fixture path, e.g. the /etc/default/grub of a grub.cfg). Every entry is
a host, as ``memmap-lint FILE`` runs it; identical findings (same message and place) count once.
``at:`` lists where each finding points, in report order (``memmap_lint.testing.where``):
``path:line:col`` under tests/fixtures/, ``@OFFSET`` in the command line (``NAME@OFFSET`` in a
fleet), or the host's name when it points at no character.
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
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate
from memmap_lint.testing import lint_case, where

FIXTURES = Path(__file__).parent.parent / "fixtures"
CASES = Path(__file__).parent / "cases"
ALL_RULES = load_rules(entry_points_too=False)
RULES = {r.code: r for r in ALL_RULES}


def _cases() -> list[Any]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        code = file.stem
        for case in yaml.safe_load(file.read_text()) or []:
            out.append(pytest.param(code, case, id=f"{code}-{case['id']}"))
    return out


def _postboot(case: dict[str, Any]) -> dict[str, Any]:
    """A post-boot case as the host that boot ran: its map, /proc/cmdline, release, and
    ``verify``'s comparison as its facts."""
    from memmap_lint.engine.collected import facts_capture
    from memmap_lint.engine.verify import check_host
    from postboot_boot import console_facts

    facts = console_facts((FIXTURES / case["postboot"]).read_text())
    assert facts.postboot is not None
    cap = load_capture(FIXTURES / case["e820"]) if case.get("e820") else facts_capture(facts, "host")
    assert cap is not None
    kernel = kernel_for(facts.kernel_release, case.get("features", ()), case.get("dialect"))
    sim = simulate(cap.entries, parse(facts.proc_cmdline), kernel, cap.setup_data)
    return {
        **{k: v for k, v in case.items() if k not in ("postboot", "e820")},
        "cmdline": facts.proc_cmdline,
        "capture": cap,
        "kernel": facts.kernel_release,
        "facts": {"verify": check_host(sim, facts.postboot)},
    }


def findings_of(code: str, case: dict[str, Any]) -> list[Any]:
    """The findings of rule ``code`` in ``case``, every rule run as ``memmap-lint`` runs them."""
    if case.get("postboot"):
        case = _postboot(case)
    found = lint_case(case, ALL_RULES, base=FIXTURES)
    return [f for f in found if f.code == code]


def test_every_rule_has_cases() -> None:
    have = {f.stem for f in CASES.glob("*.yaml")}
    missing = sorted(set(RULES) - have)
    assert not missing, f"rules without cases: {missing}"


@pytest.mark.parametrize(("code", "case"), _cases())
def test_rule_case(code: str, case: dict[str, Any]) -> None:
    assert code in RULES, f"{code}.yaml names no rule"
    assert case.get("source"), "each case says where its expectation comes from"
    findings = findings_of(code, case)
    assert len(findings) == case["fires"], [f.message for f in findings]
    for text in case.get("message", []):
        assert text in findings[0].message, findings[0].message
    fleet = RULES[code].scope == "fleet"
    assert [where(f, FIXTURES, fleet) for f in findings] == case.get("at", []), "where they point"
    for f in findings:
        assert f.code == code and f.message
