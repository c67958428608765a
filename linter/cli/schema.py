"""``memmap-lint schema``: the JSON Schema of the inventory variables."""

from __future__ import annotations

import argparse

from memmap_lint.cli.common import EXIT_CLEAN, Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schema",
        help="print the inventory JSON Schema",
        description="Print the JSON Schema of memmap-lint's inventory variables.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from memmap_lint.inventory.reader import schema
    from memmap_lint.report.output import write_output

    write_output(json.dumps(schema(), indent=2) + "\n", None)
    return EXIT_CLEAN
