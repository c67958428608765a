"""The command line: ``memmap-lint [lint] PATH...``, ``simulate``, ``collect``, ``rules``, ``schema``."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from memmap_lint import __version__
from memmap_lint.bootconfig import KINDS as BOOT_KINDS
from memmap_lint.engine.findings import SEVERITIES, rank
from memmap_lint.errors import LintError, LintErrors
from memmap_lint.kernel.model import DIALECTS
from memmap_lint.kernel.release import kernel_for
from memmap_lint.report.output import write_output

FORMATS = ("text", "json", "sarif", "junit", "github", "html")

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

COMMANDS = ("lint", "simulate", "collect", "advise", "rules", "schema")


def _rule_options(p: argparse.ArgumentParser, fail_on_default: str | None) -> None:
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
    p.add_argument("--format", choices=("text", "json", "html"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")
    _rule_options(p, fail_on_default="warning")
    p.set_defaults(func=_cmd_simulate)


def _lint_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lint",
        help="lint inventories and boot config files (the default command)",
        description="Lint every host of an inventory (or a boot config file) with every rule.",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="inventory, or boot config file / BLS directory"
    )
    p.add_argument(
        "--kind",
        choices=("inventory", *BOOT_KINDS),
        help="what PATH is (default: detected by name and content)",
    )
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")
    _rule_options(p, fail_on_default=None)
    p.add_argument("--config", metavar="FILE", help="config file (default: found upward)")
    p.add_argument(
        "--hosts", metavar="PATTERN", help="Ansible host pattern (names, globs, groups, !x)"
    )
    p.add_argument(
        "--collect",
        choices=("never", "missing", "always"),
        default="never",
        help="collect captures over SSH (default: never)",
    )
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel SSH connections")
    from memmap_lint.cli.collect import add_collect_options

    add_collect_options(p, refresh=False)
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=_cmd_lint)


def _rules_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "rules",
        help="list the rules, or explain one",
        description="List every rule, or print one rule's documentation.",
    )
    p.add_argument("--explain", metavar="CODE", help="print the documentation of one rule")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules-dir", action="append", default=[], metavar="DIR")
    p.set_defaults(func=_cmd_rules)


def _schema_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schema",
        help="print the inventory JSON Schema",
        description="Print the JSON Schema of memmap-lint's inventory variables.",
    )
    p.set_defaults(func=_cmd_schema)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memmap-lint",
        description="Predict what the kernel will do with memmap=/reserve_mem= boot parameters.",
    )
    parser.add_argument("--version", action="version", version=f"memmap-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _lint_parser(sub)
    _simulate_parser(sub)
    _rules_parser(sub)
    _schema_parser(sub)
    from memmap_lint.cli.collect import add_collect_parser

    add_collect_parser(sub)
    from memmap_lint.cli.advise import add_advise_parser

    add_advise_parser(sub)
    return parser


def _cmd_simulate(args: argparse.Namespace) -> int:
    from memmap_lint.captures.parse import load_capture
    from memmap_lint.engine.registry import load_rules, select
    from memmap_lint.engine.results import HostResult
    from memmap_lint.engine.runner import Engine
    from memmap_lint.kernel.cmdline import parse
    from memmap_lint.kernel.simulate import simulate
    from memmap_lint.report.explain import explain
    from memmap_lint.report.json_report import report_json
    from memmap_lint.rule import HostContext

    capture = load_capture(args.e820)
    try:
        kernel = kernel_for(args.kernel, args.feature, args.dialect)
    except ValueError as exc:
        raise LintError("MM604", str(exc)) from exc
    line = parse(args.cmdline)
    sim = simulate(capture.entries, line, kernel, capture.setup_data)
    rules = select(load_rules(args.rules_dir), _split(args.select), _split(args.ignore))
    host = os.path.basename(args.e820.rstrip("/")) or args.e820
    findings = Engine(rules).check_host(HostContext(host, line, kernel, sim))
    result = HostResult(host=host, simulation=sim, findings=tuple(findings))
    if args.format == "json":
        text = json.dumps(report_json([result]), indent=2) + "\n"
    elif args.format == "html":
        from memmap_lint.report.html import render_html

        title = f"memmap-lint simulate: {host}"
        text = "".join(render_html([result], title=title, story_open=True))
    else:
        text = "\n".join(explain(sim, args.e820, findings)) + "\n"
    write_output(text, args.output)
    worst = max((rank(f.severity) for f in findings), default=0)
    return EXIT_FINDINGS if worst >= rank(args.fail_on) else EXIT_CLEAN


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _cmd_lint(args: argparse.Namespace) -> int:
    from pathlib import Path

    from memmap_lint.engine.config import Config, find_config, load_config
    from memmap_lint.engine.lint import Linter, collect_inputs
    from memmap_lint.engine.registry import load_rules, select
    from memmap_lint.errors import LintErrors
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.inventory.select import select_hosts

    errors: list[LintError] = []
    first = Path(args.paths[0])
    config_path = Path(args.config) if args.config else find_config(first)
    config = load_config(config_path) if config_path else Config()
    all_rules = load_rules(args.rules_dir)
    rules = select(
        all_rules,
        _split(args.select) or list(config.select),
        [*_split(args.ignore), *config.ignore],
    )
    linter = Linter(rules, config)
    from memmap_lint.report.progress import Progress

    progress = Progress()  # a progress line on stderr, on a terminal, for runs over a second
    results = []
    unreachable: list[bool] = []  # per inventory with --collect: not one host could be collected
    from memmap_lint.engine.bootlint import is_boot_path, lint_boot_paths

    boot_paths = [p for p in args.paths if is_boot_path(p, args.kind)]
    if boot_paths:
        boot_results, boot_errors = lint_boot_paths(linter, boot_paths, args.kind)
        results.extend(boot_results)
        errors.extend(boot_errors)
    for path in args.paths:
        if path in boot_paths:
            continue
        try:
            progress.stage(f"reading {path}", None)
            inventory = load_inventory(path, progress)
        except LintErrors as exc:
            errors.extend(exc.errors)
            continue
        except LintError as exc:
            errors.append(exc)
            continue
        hosts = select_hosts(inventory, args.hosts)
        collected: dict[str, Any] | None = None
        if args.collect != "never":
            from memmap_lint.cli.collect import collect_for_lint, every_host_unreachable

            collected, bad = collect_for_lint(args, inventory, hosts)
            errors.extend(bad)
            unreachable.append(every_host_unreachable(hosts, collected))
        progress.stage("resolving hosts", len(hosts))
        inputs, bad = collect_inputs(inventory, hosts, linter.captures, collected, progress)
        errors.extend(bad)
        progress.stage("linting", len(inputs))
        results.extend(linter.lint_hosts(inputs, progress))
    progress.close()
    for err in errors:
        print(str(err), file=sys.stderr)
    if not results and errors:
        return EXIT_ERROR
    progress.stage("writing the report", None)
    _write_report(args, results, rules)
    progress.close()
    if errors or (unreachable and all(unreachable)):
        return EXIT_ERROR
    threshold = rank(args.fail_on or config.fail_on or "warning")
    worst = max((rank(f.severity) for r in results for f in r.findings), default=0)
    return EXIT_FINDINGS if worst >= threshold else EXIT_CLEAN


def _write_report(args: argparse.Namespace, results: list[Any], rules: list[Any]) -> None:
    from memmap_lint.report.github import render_github
    from memmap_lint.report.json_report import render_json
    from memmap_lint.report.junit import render_junit
    from memmap_lint.report.sarif import render_sarif
    from memmap_lint.report.text import render_text

    fmt = args.format
    chunks: Iterable[str]
    if fmt == "json":
        chunks = render_json(results)
    elif fmt == "sarif":
        chunks = render_sarif(results, rules)
    elif fmt == "junit":
        chunks = render_junit(results)
    elif fmt == "github":
        chunks = render_github(results)
    elif fmt == "html":
        from memmap_lint.report.html import render_html

        chunks = render_html(results)
    else:
        colour = args.color == "always" or (
            args.color == "auto"
            and args.output is None
            and sys.stdout.isatty()
            and not os.environ.get("NO_COLOR")
        )
        chunks = render_text(results, colour)
    write_output(chunks, args.output)


def _cmd_rules(args: argparse.Namespace) -> int:
    from memmap_lint.engine.registry import load_rules
    from tabulate import tabulate

    rules = load_rules(args.rules_dir)
    if args.explain:
        from memmap_lint.engine.registry import matches

        found = [r for r in rules if r.code == args.explain.upper() or r.name == args.explain]
        if not found:
            found = [r for r in rules if matches(r, args.explain)]
        if not found:
            raise LintError("MM001", f"no rule {args.explain} (see memmap-lint rules)")
        for r in found:
            write_output(f"{r.code} {r.name} ({r.severity})\n\n{r.doc}\n", None)
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
            }
            for r in rules
        ]
        write_output(json.dumps(data, indent=2) + "\n", None)
        return EXIT_CLEAN
    rows = [[r.code, r.name, r.severity, r.summary] for r in rules]
    write_output(tabulate(rows, headers=["code", "name", "severity", "finds"]) + "\n", None)
    return EXIT_CLEAN


def _cmd_schema(args: argparse.Namespace) -> int:
    from memmap_lint.inventory.reader import schema

    write_output(json.dumps(schema(), indent=2) + "\n", None)
    return EXIT_CLEAN


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
