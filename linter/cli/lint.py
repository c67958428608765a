"""``memmap-lint [lint] PATH...``: lint inventories and boot config files (the default command)."""

from __future__ import annotations

import argparse
from typing import Any

from memmap_lint.cli.collect import add_collect_options
from memmap_lint.cli.common import (
    BOOT_KINDS,
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    FORMATS,
    Subparsers,
    add_hosts_option,
    add_rule_options,
)


def add_parser(sub: Subparsers) -> None:
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
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="report format (default: concise when every PATH is a boot file, else text)",
    )
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")
    add_rule_options(p, fail_on_default=None)
    nxt = p.add_argument_group("the next boot (wins over the config, the files and the inventory)")
    nxt.add_argument("--kernel", metavar="RELEASE", help="release of the kernel that boots next")
    nxt.add_argument(
        "--dialect", choices=("stock", "rfc", "mainline"), help="how that kernel reads memmap="
    )
    nxt.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="FEATURE",
        help="a kernel feature, e.g. memmap-wildcard (the RFC patch); repeatable",
    )
    nxt.add_argument(
        "--e820", metavar="CAPTURE", help="the firmware map boot files are checked against"
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: found upward)")
    add_hosts_option(p)
    p.add_argument(
        "--collect",
        choices=("never", "missing", "always"),
        default="never",
        help="collect captures over SSH (default: never)",
    )
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel SSH connections")
    add_collect_options(p, refresh=False)
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes for boot files as a unified diff; change nothing",
    )
    p.add_argument(
        "--fix", action="store_true", help="apply the fixes to boot files, then lint again"
    )
    p.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix/--diff, also the fixes that change more than the defect",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print no report (errors still go to stderr); the exit status tells the result",
    )
    p.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of findings per code instead of the report",
    )
    p.add_argument(
        "--baseline",
        metavar="FILE",
        help="leave out the findings recorded in FILE (--write-baseline): only new ones count",
    )
    p.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record every finding of this run in FILE and exit 0 (adopting the linter)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from contextlib import nullcontext

    from memmap_lint.cli.collect import collection
    from memmap_lint.engine.findings import rank
    from memmap_lint.engine.pipeline import Options
    from memmap_lint.engine.pipeline import run as run_pipeline
    from memmap_lint.engine.registry import split_codes
    from memmap_lint.gcpause import collector_paused
    from memmap_lint.report.progress import Progress

    known = None
    if args.baseline:
        from memmap_lint.engine.baseline import load_baseline

        known = load_baseline(args.baseline)
    options = Options(
        stdin=read_stdin(args),
        kind=args.kind,
        hosts=args.hosts,
        select=split_codes(args.select),
        ignore=split_codes(args.ignore),
        rules_dirs=args.rules_dir,
        config=args.config,
        collection=collection(args, args.collect, refresh=False),
        override=_override(args),
    )
    progress = Progress()  # a progress line on stderr, on a terminal, for runs over a second
    linter = None
    fix_errors: list[Any] = []
    if args.fix or args.diff:
        from memmap_lint.engine.pipeline import make_linter

        linter = make_linter(args.paths, options)
        fix_errors = apply_fixes(args, linter)
    # Without SSH (whose connections leave cycles behind) a run makes almost no cyclic garbage:
    # the collector is paused while it lints and while it writes the report.
    pause = collector_paused if args.collect == "never" else nullcontext
    with pause():
        done = run_pipeline(args.paths, options, progress, linter)
    seen = {str(e) for e in done.errors}  # a file the fixer could not read, the linter neither
    done.errors[:0] = [e for e in fix_errors if str(e) not in seen]
    progress.close()
    for err in done.errors:
        print(str(err), file=sys.stderr)
    if not done.results and done.errors:
        return EXIT_ERROR
    if args.write_baseline:
        return write_baseline(args.write_baseline, done.results, bool(done.errors))
    if known is not None:
        from memmap_lint.engine.baseline import apply_baseline

        done.results, left_out = apply_baseline(done.results, known)
        done.shown = apply_baseline(done.shown, known)[0]
        if left_out and not args.quiet:  # the report counts hosts clean without them
            print(
                f"memmap-lint: {left_out} finding(s) of {args.baseline} not reported",
                file=sys.stderr,
            )
    if not args.diff or args.output:
        progress.stage("writing the report", None)
        # boot files: a line per finding, as editors and pre-commit show linters' output; an
        # inventory: findings grouped by host with where each region lands (the table)
        default = "concise" if done.boot_only else "text"
        with pause():
            write_report(args, done.shown, done.rules, done.results, default)
        progress.close()
    if done.errors or done.unreachable:
        return EXIT_ERROR
    threshold = rank(args.fail_on or done.config.fail_on or "warning")
    return EXIT_FINDINGS if done.worst() >= threshold else EXIT_CLEAN


def read_stdin(args: argparse.Namespace) -> bytes | None:
    """The content of ``-`` among the paths (read once), or None."""
    import sys

    from memmap_lint.errors import LintError
    from memmap_lint.fileio import read_fd

    if "-" not in args.paths:
        return None
    if args.paths.count("-") > 1:
        raise LintError("MM001", "'-' (stdin) can be given once")
    if args.fix or args.diff:
        raise LintError("MM001", "--fix and --diff need files, not '-' (stdin)")
    if sys.stdin.isatty():  # nobody is piping anything in: say so now, do not wait
        raise LintError("MM001", "'-' reads standard input, which is a terminal: pipe a file in")
    boot = args.kind not in (None, "inventory")
    return read_fd(sys.stdin.fileno(), "-", "boot-file" if boot else "inventory", "MM001")


def write_baseline(path: str, results: list[Any], failed: bool) -> int:
    """``--write-baseline``: every finding recorded in ``path``; 0 unless the run had errors."""
    import sys

    from memmap_lint.engine.baseline import baseline_text
    from memmap_lint.fileio import write_file

    write_file(path, [baseline_text(results)])
    count = sum(len(r.findings) for r in results)
    print(f"memmap-lint: {count} finding(s) recorded in {path}", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_CLEAN


def _override(args: argparse.Namespace) -> Any:
    """What ``--kernel``, ``--dialect``, ``--feature`` and ``--e820`` say of the next boot."""
    from memmap_lint.engine.override import Override

    return Override(args.kernel, args.dialect, tuple(args.feature), args.e820)


def apply_fixes(args: argparse.Namespace, linter: Any) -> list[Any]:
    """``--diff``: the fixes as a diff on stdout; ``--fix``: written. A line per fix on stderr."""
    import sys
    from dataclasses import replace

    from memmap_lint.engine.bootlint import is_boot_path
    from memmap_lint.engine.fixes import diff, plan_paths, summary, write
    from memmap_lint.report.output import write_output

    boot_paths = [p for p in args.paths if is_boot_path(p, args.kind)]

    planned, errors = plan_paths(
        linter, boot_paths, args.kind, args.unsafe_fixes, override=_override(args)
    )
    if args.diff:
        write_output(diff(planned), None)
        sys.stderr.writelines(summary(planned, args.unsafe_fixes, False))
        return errors
    done: list[Any] = []
    for _round in range(3):  # a fix can uncover another (a joined line holding a lost $)
        if not any(p.outcome.applied for p in planned):
            break
        write(planned)
        done.extend(replace(p, outcome=replace(p.outcome, left=())) for p in planned)
        planned, errors = plan_paths(
            linter, boot_paths, args.kind, args.unsafe_fixes, override=_override(args)
        )
    left = [replace(p, outcome=replace(p.outcome, applied=())) for p in planned]
    sys.stderr.writelines(summary([*done, *left], args.unsafe_fixes, True))
    return errors


def write_report(
    args: argparse.Namespace,
    shown: list[Any],
    rules: list[Any],
    results: list[Any] | None = None,
    default_format: str = "text",
) -> None:
    """The report in ``--format`` (else ``default_format``), to ``--output`` or stdout: the text
    report may show a finding that several boot entries share once (``shown``); every other
    format, and the text report's totals, have one finding per entry (``results``)."""
    import os
    import sys
    from collections.abc import Iterable

    from memmap_lint.report.output import write_output

    # each format's module only when it is asked for (their imports cost start-up time)
    fmt = args.format or default_format
    chunks: Iterable[str]
    every = shown if results is None else results
    if getattr(args, "quiet", False) and not args.output:  # verify shares this, without it
        return
    if getattr(args, "statistics", False):
        from memmap_lint.report.concise import render_statistics

        write_output(render_statistics(every), None)
        if not args.output:
            return
    if fmt == "concise":
        from memmap_lint.report.concise import render_concise

        chunks = render_concise(shown)  # as the text report: a finding entries share, once
    elif fmt == "json":
        from memmap_lint.report.json_report import render_json

        chunks = render_json(every)
    elif fmt == "sarif":
        from memmap_lint.report.sarif import render_sarif

        chunks = render_sarif(every, rules)
    elif fmt == "junit":
        from memmap_lint.report.junit import render_junit

        chunks = render_junit(every)
    elif fmt == "github":
        from memmap_lint.report.github import render_github

        chunks = render_github(every)
    elif fmt == "html":
        from memmap_lint.report.html import render_html

        chunks = render_html(every)
    else:
        from memmap_lint.report.text import render_text

        colour = args.color == "always" or (
            args.color == "auto"
            and args.output is None
            and sys.stdout.isatty()
            and not os.environ.get("NO_COLOR")
        )
        chunks = render_text(shown, colour, every)
    write_output(chunks, args.output)
