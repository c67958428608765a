"""Rule options: declared by the rule (``OPTIONS``), set per rule in the config (or through the
documented ``thresholds`` keys), read by the rule as ``ctx.options``, shown by ``rules --explain``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from memmap_lint.engine.config import parse_config
from memmap_lint.engine.options import rule_options
from memmap_lint.engine.registry import load_rules
from memmap_lint.errors import LintError
from memmap_lint.testing import lint_case

RULES = load_rules(entry_points_too=False)
CASE = {
    "e820": "tests/fixtures/e820/ec2-t3-large-nitro-mem7g-8g.txt",
    "cmdline": "reserve_mem=2G:4096:oops",
    "kernel": "6.12.0-1-amd64",
}


def _mm305(settings: dict[str, Any]) -> list[str]:
    config = parse_config(settings, "cfg")
    return [f.message for f in lint_case(CASE, RULES, ["MM305"], config=config)]


def test_defaults_come_from_the_rule_modules() -> None:
    values = rule_options(RULES, {})
    assert values["MM305"] == {"share": 0.10}
    assert values["MM304"] == {"limit": 1 << 32}
    assert values["MM603"] == {"max-age-days": 90}


@pytest.mark.parametrize(
    "settings",
    [
        {"rules": {"MM305": {"share": 0.5}}},
        {"rules": {"large-reservation": {"share": 0.5}}},  # by slug
        {"thresholds": {"large-reservation-share": 0.5}},  # the documented threshold key
        {"thresholds": {"large_reservation_share": 0.5}},
    ],
)
def test_a_setting_reaches_the_rule(settings: dict[str, Any]) -> None:
    assert _mm305({}) and "the limit is 10%" in _mm305({})[0]
    assert _mm305(settings) == []


def test_sizes_and_the_explicit_setting_wins() -> None:
    config = parse_config(
        {"thresholds": {"low-memory-limit": "2G"}, "rules": {"MM304": {"limit": "8G"}}}, "cfg"
    )
    assert rule_options(RULES, config.rules)["MM304"] == {"limit": 8 << 30}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rules": {"MM999": {"x": 1}}}, "rules.MM999: no rule MM999"),
        ({"rules": {"MM305": {"limit": 1}}}, "MM305 has no option 'limit' (options: share)"),
        ({"rules": {"MM304": {"limit": "lots"}}}, "expected a size such as 64M"),
        ({"rules": {"MM603": {"max-age-days": -1}}}, "expected a whole number"),
        ({"rules": {"MM305": {"share": "half"}}}, "expected a number"),
        ({"rules": {"MM305": 0.5}}, "rules: expected a table"),
        ({"thresholds": {"nonsense": 1}}, "thresholds: unknown setting(s) nonsense"),
    ],
)
def test_bad_settings_are_mm003(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(LintError) as exc:
        rule_options(RULES, parse_config(settings, "cfg").rules, "cfg")
    assert exc.value.code == "MM003" and message in exc.value.message


def test_explain_shows_the_options(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli", "rules", "--explain", "MM305"],
        capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "[tool.memmap-lint.rules.MM305]" in p.stdout
    assert "share = 0.1: the largest share of the RAM a region may take" in p.stdout
