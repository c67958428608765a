"""``memmap-lint collect INVENTORY``, and the collection options ``lint --collect`` shares.

Exit status of ``collect``: 0 every host collected, 1 some failed (each an MM601 line on stderr
with its cause), 2 every host failed or the command was misused.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from memmap_lint.cli.common import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    Subparsers,
    add_inventory_arguments,
)
from memmap_lint.collect.defaults import (
    CACHE_DIR_NAME,
    DEFAULT_JOBS,
    DEFAULT_MAX_AGE,
    DEFAULT_SSH_CONFIG,
)
from memmap_lint.errors import LintError

if TYPE_CHECKING:
    from memmap_lint.engine.pipeline import Collection
    from memmap_lint.inventory.model import Host


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
    add_inventory_arguments(p)
    p.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"parallel SSH connections (default {DEFAULT_JOBS})",
    )
    add_collect_options(p, refresh=True)
    p.set_defaults(func=run)


def collection(args: argparse.Namespace, mode: str, refresh: bool) -> Collection:
    """The collection the options of ``collect`` or ``lint --collect`` ask for."""
    from memmap_lint.engine.pipeline import Collection

    return Collection(
        mode=mode,
        jobs=args.jobs if args.jobs is not None else DEFAULT_JOBS,
        max_age=args.max_age,
        accept_new=args.accept_new,
        cache_dir=args.cache_dir,
        ssh_config=args.ssh_config,
        refresh=refresh,
    )


def _where(host: Host) -> str:
    return f"{host.pos.path}:{host.pos.line}:{host.pos.column}"


def run(args: argparse.Namespace) -> int:
    from memmap_lint.engine.collected import CAUSE_WORDS, view_of
    from memmap_lint.engine.lint_collected import human_age
    from memmap_lint.engine.pipeline import collect
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.inventory.select import select_hosts
    from memmap_lint.report.output import write_output
    from tabulate import tabulate

    inventory = load_inventory(args.inventory)
    hosts = select_hosts(inventory, args.hosts)
    how = collection(args, "always", args.refresh)
    outcomes, errors = collect(inventory.path, hosts, how)
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
