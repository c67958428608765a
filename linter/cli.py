"""The command line: ``memmap-lint [lint] PATH...``, ``simulate``, ``collect``, ``rules``, ``schema``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__
from .errors import LintError
from .kernel import kernel_for
from .model import DIALECTS
from .output import write_output

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

COMMANDS = ("lint", "simulate", "collect", "rules", "schema")


def _simulate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "simulate",
        help="show step by step what the kernel does with a command line on one e820 map",
        description="Apply a kernel command line to an e820 capture exactly as early boot does.",
    )
    p.add_argument("--e820", required=True, metavar="CAPTURE", help="e820 capture (any format)")
    p.add_argument("--cmdline", required=True, metavar="STR", help="the kernel command line")
    p.add_argument("--kernel", metavar="RELEASE", help="release of the kernel that boots next")
    p.add_argument("--dialect", choices=DIALECTS, help="override the dialect the release implies")
    p.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="NAME",
        help="a kernel feature, e.g. memmap-wildcard (the RFC patch)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")
    p.set_defaults(func=_cmd_simulate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memmap-lint",
        description="Predict what the kernel will do with memmap=/reserve_mem= boot parameters.",
    )
    parser.add_argument("--version", action="version", version=f"memmap-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _simulate_parser(sub)
    return parser


def _cmd_simulate(args: argparse.Namespace) -> int:
    from .captures import load_capture
    from .report.explain import explain
    from .report.json_report import report_json
    from .results import HostResult
    from .simulate import simulate

    capture = load_capture(args.e820)
    try:
        kernel = kernel_for(args.kernel, args.feature, args.dialect)
    except ValueError as exc:
        raise LintError("MM604", str(exc)) from exc
    sim = simulate(capture.entries, args.cmdline, kernel, capture.setup_data)
    result = HostResult(host=args.e820, simulation=sim, findings=())
    if args.format == "json":
        text = json.dumps(report_json([result]), indent=2) + "\n"
    else:
        text = "\n".join(explain(sim, args.e820)) + "\n"
    write_output(text, args.output)
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memmap-lint`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and not args_list[0].startswith("-") and args_list[0] not in COMMANDS:
        args_list.insert(0, "lint")
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
    except KeyboardInterrupt:
        print("memmap-lint: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
