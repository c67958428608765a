"""The dispatcher: ``memmap-lint [lint] PATH...``, ``simulate``, ``collect``, ``advise``,
``verify``, ``rules``, ``schema``; each command is one module of this package.

Building the parser imports no command's implementation: ``--help`` loads neither paramiko nor
jsonschema.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from memmap_lint import __version__
from memmap_lint.cli import advise, collect, completion, lint, rules, schema, simulate, verify
from memmap_lint.cli.common import EXIT_ERROR
from memmap_lint.cli.guard import guarded
from memmap_lint.errors import LintError, LintErrors

COMMANDS = ("lint", "simulate", "collect", "advise", "rules", "schema", "verify", "completion")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memmap-lint",
        description="Predict what the kernel will do with memmap=/reserve_mem= boot parameters.",
    )
    parser.add_argument("--version", action="version", version=f"memmap-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (lint, simulate, rules, schema, collect, advise, verify, completion):
        command.add_parser(sub)
    parser.set_defaults(root_parser=parser)  # for commands that read the parser (completion)
    return parser


@guarded
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memmap-lint`` console script."""
    # A fleet run builds millions of small acyclic objects; with the default thresholds the
    # cycle collector rescans them over and over (half the time of a 100k-host run).
    gc.set_threshold(100_000, 20, 100)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] not in (*COMMANDS, "-h", "--help", "--version"):
        args_list.insert(0, "lint")  # `memmap-lint [lint] PATH...`: options may come first
    parser = build_parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        code: int = args.func(args)
        return code
    except LintError as exc:
        print(f"memmap-lint: {exc}" if not exc.path else str(exc), file=sys.stderr)
        return EXIT_ERROR
    except LintErrors as exc:
        for err in exc.errors:
            print(str(err), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("memmap-lint: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
