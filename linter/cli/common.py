"""What the commands share: exit statuses, report formats and the rule-selection options."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from memmap_lint.engine.findings import SEVERITIES

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

FORMATS = ("text", "json", "sarif", "junit", "github", "html")

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_rule_options(p: argparse.ArgumentParser, fail_on_default: str | None) -> None:
    """--select, --ignore, --rules-dir and --fail-on, shared by lint and simulate."""
    for flag, what in (("--select", "only these rules"), ("--ignore", "not these rules")):
        p.add_argument(
            flag,
            action="append",
            default=[],
            metavar="CODES",
            help=f"{what}: codes, prefixes or slugs, comma-separated",
        )
    p.add_argument(
        "--rules-dir", action="append", default=[], metavar="DIR", help="load more rule modules"
    )
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=fail_on_default,
        help="exit 1 when a finding of this severity or worse exists (default: warning)",
    )


def split_codes(values: list[str]) -> list[str]:
    """The codes of repeated, comma-separated ``--select``/``--ignore`` values."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]
