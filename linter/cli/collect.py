"""``memmap-lint collect INVENTORY`` and the collection behind ``memmap-lint INVENTORY --collect``.

Exit status of ``collect``: 0 every host collected, 1 some failed (each an MM601 line on stderr
with its cause), 2 every host failed or the command was misused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from memmap_lint.cli.common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Subparsers
from memmap_lint.collect.defaults import (
    CACHE_DIR_NAME,
    DEFAULT_JOBS,
    DEFAULT_MAX_AGE,
    DEFAULT_SSH_CONFIG,
)
from memmap_lint.errors import LintError

if TYPE_CHECKING:
    from memmap_lint.collect.run import Outcome
    from memmap_lint.collect.target import CollectOptions
    from memmap_lint.inventory.model import Host, Inventory


def add_collect_options(p: argparse.ArgumentParser, refresh: bool) -> None:
    """The options both ``collect`` and ``lint --collect`` take (``--jobs`` is the caller's)."""
    p.add_argument(
        "--max-age",
        default=DEFAULT_MAX_AGE,
        metavar="DURATION",
        help=f"reuse cached facts younger than this: 90s, 30m, 12h, 7d (default {DEFAULT_MAX_AGE})",
    )
    if refresh:
        p.add_argument(
            "--refresh", action="store_true", help="collect every host even if its cache is fresh"
        )
    p.add_argument(
        "--accept-new",
        action="store_true",
        help="trust and record the key of a host known_hosts does not list yet "
        "(StrictHostKeyChecking=accept-new); a changed key is still refused",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"where collected facts are kept (default: {CACHE_DIR_NAME}/ beside the inventory)",
    )
    p.add_argument(
        "--ssh-config", metavar="FILE", default=DEFAULT_SSH_CONFIG, help="OpenSSH client config"
    )


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "collect",
        help="collect firmware maps, command lines and boot files over SSH into the cache",
        description="Collect every selected host of an inventory over SSH (read-only, fixed "
        "commands) into the cache, and print what was found.",
    )
    p.add_argument("inventory", metavar="INVENTORY", help="inventory file or directory")
    p.add_argument(
        "--hosts", metavar="PATTERN", help="Ansible host pattern (names, globs, groups, !x)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"parallel SSH connections (default {DEFAULT_JOBS})",
    )
    add_collect_options(p, refresh=True)
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> CollectOptions:
    from memmap_lint.collect.target import CollectOptions

    jobs = args.jobs if args.jobs is not None else DEFAULT_JOBS
    if jobs < 1:
        raise LintError("MM001", f"--jobs must be at least 1, not {jobs}")
    return CollectOptions(jobs=jobs, accept_new=args.accept_new, ssh_config=args.ssh_config)


def _run(
    args: argparse.Namespace, inventory_path: str, hosts: Sequence[Host], refresh: bool
) -> tuple[dict[str, Outcome], list[LintError]]:
    from memmap_lint.collect.run import (
        collect_hosts,
        default_cache_dir,
        open_cache,
        parse_duration,
        targets_for,
    )
    from memmap_lint.collect.ssh import progress_printer

    max_age = parse_duration(args.max_age)
    options = _options(args)
    directory = Path(args.cache_dir) if args.cache_dir else default_cache_dir(inventory_path)
    targets, errors = targets_for(hosts, args.ssh_config)
    cache = open_cache(directory)
    outcomes = collect_hosts(
        targets, options, cache, max_age, refresh, progress_printer(sys.stderr)
    )
    return outcomes, errors


def collect_for_lint(
    args: argparse.Namespace, inventory: Inventory, hosts: Sequence[Host]
) -> tuple[dict[str, Outcome], list[LintError]]:
    """Outcomes of the hosts ``--collect`` asks for: ``missing`` (no ``e820`` in the
    inventory) or ``always`` (every host), each through the cache."""
    wanted = [h for h in hosts if args.collect == "always" or h.get("e820") is None]
    if not wanted:
        return {}, []
    return _run(args, inventory.path, wanted, refresh=False)


def every_host_unreachable(hosts: Sequence[Host], outcomes: dict[str, Outcome]) -> bool:
    """True when hosts were selected and not one of them could be collected."""
    return bool(hosts) and all(
        (o := outcomes.get(h.name)) is not None and o.failure is not None for h in hosts
    )


def _where(host: Host) -> str:
    return f"{host.pos.path}:{host.pos.line}:{host.pos.column}"


def run(args: argparse.Namespace) -> int:
    from memmap_lint.engine.collected import CAUSE_WORDS, view_of
    from memmap_lint.engine.lint_collected import human_age
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.inventory.select import select_hosts
    from memmap_lint.report.output import write_output
    from tabulate import tabulate

    inventory = load_inventory(args.inventory)
    hosts = select_hosts(inventory, args.hosts)
    if not hosts:
        raise LintError("MM001", f"no host of {inventory.path} matches {args.hosts!r}")
    outcomes, errors = _run(args, inventory.path, hosts, refresh=args.refresh)
    now = datetime.now(timezone.utc)
    rows: list[list[str]] = []
    failed = 0
    lines: list[str] = [str(e) for e in errors]
    for host in hosts:
        o = outcomes.get(host.name)
        if o is None:
            failed += 1
            rows.append([host.name, "MM604 bad SSH settings", "", "", "", ""])
            continue
        if o.failure is not None:
            failed += 1
            words = CAUSE_WORDS.get(o.failure.cause, o.failure.cause)
            lines.append(f"{_where(host)}: MM601 host {host.name}: {words}: {o.failure.message}")
            rows.append([host.name, f"MM601 {words}", "", "", "", ""])
            continue
        facts = o.facts
        assert facts is not None
        via = "ssh" if o.via == "ssh" else f"cache ({human_age(o.age or 0)} old)"
        try:
            view = view_of(facts, str(o.cache_file), now)
        except LintError as exc:
            rows.append([host.name, f"ok via {via}", f"unusable: {exc.message}", "", "", ""])
            continue
        if view.capture is None:
            source = "none"
        else:
            source = f"{facts.e820_source} ({len(view.capture.entries)} entries)"
        rows.append(
            [
                host.name,
                f"ok via {via}",
                source,
                facts.kernel_release,
                view.next_kernel,
                view.boot.source,
            ]
        )
    table = tabulate(
        rows, headers=["host", "result", "map", "kernel", "next kernel", "command line from"]
    )
    write_output(table + "\n", None)
    for line in lines:
        print(line, file=sys.stderr)
    if failed == len(hosts):
        return EXIT_ERROR
    return EXIT_FINDINGS if failed or errors else EXIT_CLEAN
