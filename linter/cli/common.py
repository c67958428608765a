"""What the commands share: exit statuses, report formats and the rule-selection options."""

from __future__ import annotations

import argparse
from typing import TypeAlias

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

FORMATS = ("text", "concise", "json", "sarif", "junit", "github", "html")
# Choices written out so that building the parser imports no implementation (a test checks
# each against the module that owns it: engine.findings.SEVERITIES, kernel.model.DIALECTS).
SEVERITIES = ("error", "warning", "info")
DIALECTS = ("stock", "rfc", "mainline")
#: ``--kind`` of a boot file: the boot config front ends' kinds (``bootconfig.loader.KINDS``,
#: a test checks they agree), written out so that building the parser imports no front end
BOOT_KINDS = (
    "grubenv",
    "uki",
    "bootconfig",
    "grubby",
    "kernel-cmdline",
    "proc-cmdline",
    "bls",
    "grub-cfg",
    "grub-default",
)

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_hosts_option(p: argparse.ArgumentParser) -> None:
    """--hosts, an Ansible host pattern (``inventory.select.select_hosts``)."""
    p.add_argument(
        "--hosts", metavar="PATTERN", help="Ansible host pattern (names, globs, groups, !x)"
    )


def add_inventory_arguments(p: argparse.ArgumentParser) -> None:
    """The INVENTORY argument and --hosts of the commands that read one inventory."""
    p.add_argument("inventory", metavar="INVENTORY", help="inventory file or directory")
    add_hosts_option(p)


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
