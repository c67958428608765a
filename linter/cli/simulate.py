"""``memmap-lint simulate --e820 CAPTURE --cmdline STR``: one command line on one map, step by step."""

from __future__ import annotations

import argparse

from memmap_lint.cli.common import (
    DIALECTS,
    EXIT_CLEAN,
    EXIT_FINDINGS,
    Subparsers,
    add_rule_options,
)


def add_parser(sub: Subparsers) -> None:
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
    add_rule_options(p, fail_on_default="warning")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from memmap_lint.captures.parse import load_capture
    from memmap_lint.engine.findings import rank
    from memmap_lint.engine.registry import load_rules, select, split_codes
    from memmap_lint.engine.results import HostResult
    from memmap_lint.engine.runner import Engine
    from memmap_lint.errors import LintError
    from memmap_lint.kernel.cmdline import parse
    from memmap_lint.kernel.release import kernel_for
    from memmap_lint.kernel.simulate import Options, simulate
    from memmap_lint.report.explain import explain
    from memmap_lint.report.json_report import report_json
    from memmap_lint.report.output import write_output
    from memmap_lint.rule import HostContext

    capture = load_capture(args.e820)
    try:
        kernel = kernel_for(args.kernel, args.feature, args.dialect)
    except ValueError as exc:
        raise LintError("MM604", str(exc)) from exc
    line = parse(args.cmdline)
    options = Options(facts=capture.boot_facts())
    sim = simulate(capture.entries, line, kernel, capture.setup_data, options)
    rules = select(load_rules(args.rules_dir), split_codes(args.select), split_codes(args.ignore))
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
