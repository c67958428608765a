"""``memmap-lint verify INVENTORY``: after the reboot, did every region and consumer come up?

Each selected host is collected now over SSH (``--collect always``, the default; the cache and
SSH rules of ``collect``), or read from the cache (``--collect never``); the command line it
booted (``/proc/cmdline``) is simulated on its firmware map under its running release and
compared with what the running kernel shows (``engine.verify``). The findings are the MM6xx
(collection) and MM7xx (after the reboot) rules unless ``--select`` says otherwise; exit status
as for ``lint``.
"""

from __future__ import annotations

import argparse
from typing import Any

from memmap_lint.cli.collect import add_collect_options
from memmap_lint.cli.common import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    FORMATS,
    Subparsers,
    add_inventory_arguments,
    add_rule_options,
)


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "verify",
        help="after the reboot: check that every region and consumer really came up",
        description="Collect each host's post-boot facts and compare them with the simulation "
        "of the command line it booted: regions, ramoops, trace instances, pstore.",
    )
    add_inventory_arguments(p)
    p.add_argument(
        "--collect",
        choices=("always", "never"),
        default="always",
        help="always: collect every host now (default); never: use the cached facts only",
    )
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel SSH connections")
    add_collect_options(p, refresh=False)
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")
    add_rule_options(p, fail_on_default=None)
    p.add_argument("--config", metavar="FILE", help="config file (default: found upward)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=run)


def _cached(
    args: argparse.Namespace, inventory: Any, hosts: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    from pathlib import Path

    from memmap_lint.collect.run import default_cache_dir, open_cache

    directory = Path(args.cache_dir) if args.cache_dir else default_cache_dir(inventory.path)
    cache = open_cache(directory)
    found: dict[str, Any] = {}
    for host in hosts:
        entry = cache.load(host.name)
        found[host.name] = entry.facts if entry is not None else None
    return found, {h.name: str(cache.path_for(h.name)) for h in hosts}


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from memmap_lint.cli.collect import collection
    from memmap_lint.cli.lint import write_report
    from memmap_lint.engine.findings import rank
    from memmap_lint.engine.lint import Linter
    from memmap_lint.engine.pipeline import Options, check, collect, rules_and_config
    from memmap_lint.engine.registry import split_codes
    from memmap_lint.engine.verify import VERIFY_SELECT, profile_addresses, verify_inputs
    from memmap_lint.errors import LintError
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.inventory.select import select_hosts
    from memmap_lint.report.json_report import report_json
    from memmap_lint.report.output import write_output

    options = Options(
        select=split_codes(args.select) or VERIFY_SELECT,
        ignore=split_codes(args.ignore),
        rules_dirs=args.rules_dir,
        config=args.config,
    )
    rules, config = rules_and_config([args.inventory], options)
    linter = Linter(rules, config)
    inventory = load_inventory(args.inventory)
    hosts = select_hosts(inventory, args.hosts)  # never empty: MM001/MM604 name what exists
    errors: list[LintError] = []
    if args.collect == "always":
        how = collection(args, "always", refresh=True)  # the boot that runs now, never the cache
        outcomes, errors = collect(inventory.path, hosts, how)
        found: dict[str, Any] = {n: o.result for n, o in outcomes.items()}
        sources = {n: str(o.cache_file) for n, o in outcomes.items()}
    else:
        found, sources = _cached(args, inventory, hosts)
    inputs, bad = verify_inputs(hosts, found, linter.captures, sources)
    errors.extend(bad)
    results = check(linter, inputs)
    for err in errors:
        print(str(err), file=sys.stderr)
    if not results and errors:
        return EXIT_ERROR
    if args.format == "json":
        report = report_json(results)
        report["verify"] = profile_addresses(inputs)
        write_output(json.dumps(report, indent=2) + "\n", args.output)
    else:
        write_report(args, results, rules)
    verified = [r for r in found.values() if r is not None and not hasattr(r, "cause")]
    if errors or not verified:
        return EXIT_ERROR
    threshold = rank(args.fail_on or config.fail_on or "warning")
    worst = max((rank(f.severity) for r in results for f in r.findings), default=0)
    return EXIT_FINDINGS if worst >= threshold else EXIT_CLEAN
