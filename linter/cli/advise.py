"""``memmap-lint advise INVENTORY``: reading the hosts, and the text and JSON of the advice.

Exit status: 0 the advice places every region on every host that can hold one and every group
has a line, 1 it does not (some host cannot, a group has no line, or a dialect has no named
regions), 2 the command could not run. Hosts left out of their group's line are listed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from memmap_lint.cli.common import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    Subparsers,
    add_inventory_arguments,
)
from memmap_lint.errors import LintError, LintErrors

if TYPE_CHECKING:
    from memmap_lint.engine.advise import Advice, GroupAdvice, Subject


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "advise",
        help="the named-region sizes and command line that work on every selected host",
        description=(
            "For each named region the inventory asks for: the largest size that fits on every "
            "selected host, the hosts where it would land elsewhere, and the parameters to use "
            "per kernel dialect (memmap=nn*align:name for the RFC patch, reserve_mem= for 6.11+)."
        ),
    )
    add_inventory_arguments(p)
    p.add_argument("--group", metavar="G", help="only the hosts of group G")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the advice here (atomically)")
    p.add_argument(
        "--diff",
        metavar="FILE",
        help="show the advised line as a unified diff of this boot file (changes nothing)",
    )
    p.set_defaults(func=run)


def subjects(
    path: str, pattern: str | None, group: str | None
) -> tuple[list[Subject], list[Any], list[Any]]:
    """The selected hosts of an inventory, resolved (as advise and as the linter see them);
    and the errors of the hosts that are not."""
    from memmap_lint.engine.advise import Subject
    from memmap_lint.engine.hostinput import CaptureCache
    from memmap_lint.engine.inventory_input import collect_inputs
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.inventory.select import select_hosts

    inventory = load_inventory(path)
    hosts = select_hosts(inventory, pattern)
    if group is not None:
        if group not in inventory.groups:
            raise LintError("MM001", f"no group {group!r} in {path}")
        hosts = [h for h in hosts if group in h.groups]
    inputs, errors = collect_inputs(inventory, hosts, CaptureCache())
    chosen = [
        Subject(
            i.host.name,
            i.kernel,
            i.cmdline,
            i.capture,
            i.digest,
            str(i.host.get("current_kernel")) if i.host.get("current_kernel") else None,
        )
        for i in inputs
    ]
    return chosen, list(inputs), errors


def run(args: argparse.Namespace) -> int:
    import sys

    from memmap_lint.engine.advise import Member, advise, advise_groups
    from memmap_lint.report.output import write_output

    try:
        chosen, inputs, errors = subjects(args.inventory, args.hosts, args.group)
    except LintErrors as exc:
        for err in exc.errors:
            print(str(err), file=sys.stderr)
        return EXIT_ERROR
    for err in errors:
        print(str(err), file=sys.stderr)
    if not chosen:
        raise LintError("MM001", "no host selected (see --hosts / --group)")
    advice = advise(chosen)
    groups = advise_groups(
        _linter(args.inventory), [Member(s, i) for s, i in zip(chosen, inputs, strict=True)]
    )
    if args.diff:
        return show_diff(args.diff, groups, args.inventory)
    if args.format == "json":
        data = advice_json(advice) | {"groups": [groups_json(g) for g in groups]}
        write_output(json.dumps(data, indent=2) + "\n", args.output)
    else:
        text = [*advice_text(advice), *groups_text(groups)]
        write_output("\n".join(text) + "\n", args.output)
    if errors:
        return EXIT_ERROR
    every = all(g.params for g in groups)
    return EXIT_FINDINGS if not (complete(advice) and every) else EXIT_CLEAN


def show_diff(path: str, groups: list[GroupAdvice], inventory: str) -> int:
    """``--diff FILE``: the line of the one group selected, as a change to FILE."""
    import sys

    from memmap_lint.engine.bootlint import is_boot_path
    from memmap_lint.engine.fixes import diff, plan_paths
    from memmap_lint.report.output import write_output

    usable = [g for g in groups if g.params]
    if len(usable) != 1:
        names = "; ".join(
            f"{g.dialect} {', '.join(g.consumers)}: {_hosts(g.hosts)}" for g in usable
        )
        raise LintError(
            "MM001",
            f"--diff needs exactly one group with a line, found {len(usable)} ({names}): "
            "narrow the hosts with --hosts or --group",
        )
    if not is_boot_path(path, None):
        raise LintError("MM001", "not a boot configuration file", path)
    planned, errors = plan_paths(_linter(inventory), [path], None, True, usable[0].params)
    for err in errors:
        print(str(err), file=sys.stderr)
    if errors:
        return EXIT_ERROR
    write_output(diff(planned), None)
    if not any(p.outcome.applied for p in planned):
        print(
            f"{path}: the advised line cannot be written into this file with certainty",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _linter(inventory: str) -> Any:
    """The linter with every rule and the inventory's config (the judge of suggestions)."""
    from pathlib import Path

    from memmap_lint.engine.config import Config, find_config, load_config
    from memmap_lint.engine.lint import Linter
    from memmap_lint.engine.registry import load_rules

    found = find_config(Path(inventory))
    return Linter(load_rules([]), load_config(found) if found else Config())


def groups_json(g: GroupAdvice) -> dict[str, Any]:
    return {
        "dialect": g.dialect,
        "consumers": list(g.consumers),
        "hosts": list(g.hosts),
        "params": g.params,
        "why": g.why or None,
        "dropped": list(g.dropped),
        "notes": list(g.notes),
        "excluded": list(g.excluded),
    }


def groups_text(groups: list[GroupAdvice]) -> Iterator[str]:
    if not groups:
        return
    yield ""
    yield (
        "One line per group of hosts that can share it (replaces the named-region parameters, "
        "ramoops.* and trace_instance=; adds no finding on any of its hosts):"
    )
    for g in groups:
        uses = ", ".join(g.consumers) or "no consumer"
        yield f"  {g.dialect}, {uses} ({len(g.hosts)}: {_hosts(g.hosts)}):"
        yield f"    {g.params}" if g.params else f"    none fits: {g.why}"
        for d in g.dropped:
            yield f"    not copied (a rule flags it): {d}"
        for x in g.excluded:
            yield f"    left out (no line adds no finding there): {x}"
        for n in g.notes:
            yield f"    note (fleet rule, whatever the line): {n}"


def complete(advice: Advice) -> bool:
    """Whether the advice places every region everywhere it can be placed at its full size."""
    return not advice.failed and all(r.advised == r.requested for r in advice.regions)


def advice_json(advice: Advice) -> dict[str, Any]:
    return {
        "schema": "memmap-lint/advice/v1",
        "regions": [
            {
                "name": r.name,
                "requested": r.requested,
                "align": r.align,
                "advised": r.advised,
                "dialects": [
                    {
                        "dialect": f.dialect,
                        "largest": f.largest,
                        "smallest_host": f.smallest_host,
                        "placements": [
                            {"start": s.start, "approximate": s.approximate, "hosts": list(s.hosts)}
                            for s in f.spots
                        ],
                        "moved": list(f.moved),
                    }
                    for f in r.dialects
                ],
            }
            for r in advice.regions
        ],
        "cmdline": advice.cmdlines,
        "hosts": {d: list(h) for d, h in advice.hosts.items()},
        "migration": None
        if advice.migration is None
        else {
            "hosts": list(advice.migration.hosts),
            "from": list(advice.migration.old),
            "to": list(advice.migration.new),
        },
        "failed": {d: list(h) for d, h in advice.failed.items()},
        "no_capture": list(advice.no_capture),
        "notes": list(advice.notes),
    }


def _hosts(names: tuple[str, ...], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def advice_text(advice: Advice) -> Iterator[str]:
    from memmap_lint.kernel.sizes import human

    if not advice.regions:
        yield "No named region (memmap=nn*align:name or reserve_mem=) on the selected hosts."
    for r in advice.regions:
        head = f"Region '{r.name}': requested {human(r.requested)} at alignment {r.align}"
        if r.advised == r.requested:
            yield f"{head}: fits on every host that can hold it."
        else:
            yield f"{head}: at most {human(r.advised)} fits on every host."
        for f in r.dialects:
            line = f"  {f.dialect}: largest that fits everywhere {human(f.largest)}"
            if f.smallest_host:
                line += f" (limited by {f.smallest_host})"
            yield line
            for n, s in enumerate(f.spots):
                if s.start is None:
                    where = "not placed"
                else:
                    where = ("about " if s.approximate else "") + f"{s.start:#x}"
                tag = "most hosts" if n == 0 else "moved"
                yield f"    {where} ({tag}, {len(s.hosts)}): {_hosts(s.hosts)}"
        if any(f.moved for f in r.dialects):
            yield (
                "  Hosts marked moved keep nothing in this region across a move to the common "
                "address (a firmware or command-line change that lines them up)."
            )
    m = advice.migration
    if m is not None:
        yield ""
        yield f"Migration to 6.11+ (reserve_mem=) for {len(m.hosts)} host(s): {_hosts(m.hosts)}"
        if m.old:
            yield f"  replace {' '.join(m.old)} with reserve_mem= (the mainline line of its group below)"
        yield (
            "  memblock places the region elsewhere than the RFC search did: what it held is "
            "lost on the first 6.11+ boot."
        )
    for d, hosts in advice.failed.items():
        yield f"Not placed, or overlapping, at those sizes on {d} host(s): {_hosts(hosts)}"
    if advice.no_capture:
        yield f"No e820 capture (not checked): {_hosts(advice.no_capture)}"
    for note in advice.notes:
        yield f"Note: {note}"
