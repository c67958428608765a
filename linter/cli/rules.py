"""``memmap-lint rules [--explain CODE]``: the rule catalog."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from memmap_lint.cli.common import EXIT_CLEAN, Subparsers

if TYPE_CHECKING:
    from memmap_lint.rule import Rule


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "rules",
        help="list the rules, or explain one",
        description="List every rule, or print one rule's documentation.",
    )
    p.add_argument("--explain", metavar="CODE", help="print the documentation of one rule")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules-dir", action="append", default=[], metavar="DIR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from memmap_lint.engine.registry import load_rules, matches
    from memmap_lint.errors import LintError
    from memmap_lint.report.output import write_output
    from tabulate import tabulate

    rules = load_rules(args.rules_dir)
    if args.explain:
        found = [r for r in rules if r.code == args.explain.upper() or r.name == args.explain]
        if not found:
            found = [r for r in rules if matches(r, args.explain)]
        if not found:
            raise LintError("MM001", f"no rule {args.explain} (see memmap-lint rules)")
        for r in found:
            write_output(f"{r.code} {r.name} ({r.severity})\n\n{r.doc}\n{_options(r)}", None)
        return EXIT_CLEAN
    if args.format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity,
                "scope": r.scope,
                "needs_e820": r.needs_e820,
                "summary": r.summary,
                "options": {o.name: o.default for o in r.options},
            }
            for r in rules
        ]
        write_output(json.dumps(data, indent=2) + "\n", None)
        return EXIT_CLEAN
    rows = [[r.code, r.name, r.severity, r.summary] for r in rules]
    write_output(tabulate(rows, headers=["code", "name", "severity", "finds"]) + "\n", None)
    return EXIT_CLEAN


def _options(rule: Rule) -> str:
    """The rule's options, their defaults and where to set them ("" when it has none)."""
    if not rule.options:
        return ""
    lines = [f"\nOptions ([tool.memmap-lint.rules.{rule.code}], or rules: {{{rule.code}: ...}}):"]
    lines += [f"    {o.name} = {o.default!r}: {o.help} ({o.kind_text()})" for o in rule.options]
    return "\n".join(lines) + "\n"
