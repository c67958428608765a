"""Ansible host patterns over a loaded inventory."""

from __future__ import annotations

import fnmatch

from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Host, Inventory


def _few(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def select_hosts(inv: Inventory, pattern: str | None) -> list[Host]:
    """Ansible host patterns: names, globs, group names, ``a:b``/``a,b``, ``!x``, ``&x``.

    A pattern that selects no host is MM001 naming what exists (nothing checked is not clean).
    """
    if not pattern:
        return list(inv.hosts.values())
    include_all: dict[str, None] = {}
    parts = [p for p in pattern.replace(",", ":").split(":") if p]
    excludes: set[str] = set()
    intersect: list[set[str]] = []
    for part in parts:
        kind = part[0] if part[0] in "!&" else ""
        term = part[1:] if kind else part
        names = _match(inv, term)
        if kind == "!":
            excludes |= names
        elif kind == "&":
            intersect.append(names)
        else:
            for n in inv.hosts:
                if n in names:
                    include_all[n] = None
    chosen = [n for n in include_all if n not in excludes and all(n in s for s in intersect)]
    if not parts or (not include_all and not intersect and excludes):
        chosen = [n for n in inv.hosts if n not in excludes]
    if not chosen:
        groups = sorted(g for g in inv.groups if g not in ("all", "ungrouped"))
        raise LintError(
            "MM001",
            f"--hosts {pattern!r} selects no host; the inventory has {len(inv.hosts)} host(s): "
            f"{_few(list(inv.hosts))}" + (f"; groups: {_few(groups)}" if groups else ""),
            inv.path,
        )
    return [inv.hosts[n] for n in chosen]


def _match(inv: Inventory, term: str) -> set[str]:
    if term in ("all", "*"):
        return set(inv.hosts)
    if term in inv.groups:
        return {h.name for h in inv.hosts.values() if term in h.groups}
    if any(c in term for c in "*?["):
        names = {n for n in inv.hosts if fnmatch.fnmatchcase(n, term)}
        for g in inv.groups:
            if fnmatch.fnmatchcase(g, term):
                names |= {h.name for h in inv.hosts.values() if g in h.groups}
        return names
    return {term} if term in inv.hosts else set()
