"""Inventories: Ansible's YAML inventory structure, a file or a directory, with Ansible's precedence.

``all`` vars < parent group < child group < host; groups of one depth by
``ansible_group_priority``, then name; every variable replaced whole; ``group_vars/`` files over
every group's own vars, ``host_vars/`` files over the host's own. INI files and
``ansible-inventory --list`` JSON are read too, and a directory's files and the vars files are
found as Ansible finds them (``sources``). memmap-lint's variables are validated against
the shipped JSON Schema, each mapping once, and every error names its file, the variable's path
and line:col (MM604).
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

from memmap_lint.errors import LintError, LintErrors
from memmap_lint.gcpause import collector_paused
from memmap_lint.inventory.model import Group, Host, Inventory, VarDef
from memmap_lint.inventory.reader import Reader

if TYPE_CHECKING:
    from memmap_lint.report.progress import Progress


def _depths(groups: dict[str, Group]) -> dict[str, int]:
    depth = {"all": 0}
    frontier = ["all"]
    while frontier:
        nxt = []
        for name in frontier:
            for child in groups[name].children:
                if depth.get(child, -1) < depth[name] + 1 and depth[name] + 1 <= len(groups):
                    depth[child] = depth[name] + 1
                    nxt.append(child)
        frontier = nxt
    for name in groups:
        depth.setdefault(name, 1)
    return depth


def load_inventory(
    path: str | Path, progress: Progress | None = None, data: bytes | None = None
) -> Inventory:
    """Read an inventory file or directory; LintErrors (MM604) listing every problem.

    ``progress`` counts the host entries read. ``data`` is the content of ``path`` when it is
    not a file (``-``, stdin: its format told by content, paths in it relative to the current
    directory).
    """
    with collector_paused():
        return _load(Path(path), str(path), progress, data)


def _load(root: Path, label: str, progress: Progress | None, data: bytes | None) -> Inventory:
    reader = Reader(progress)
    # YAML, INI or ansible-inventory JSON; a directory's files and group_vars/host_vars as
    # Ansible finds them (inventory_sources).
    from memmap_lint.inventory.sources import inventory_files, read_source

    if data is not None:
        read_source(reader, root, label, data=data)
        return _resolve(reader, label, root.parent)
    try:
        st = root.stat()
    except FileNotFoundError:
        raise LintError("MM604", "no such inventory file or directory", label) from None
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LintError("MM604", f"cannot read inventory: {why}", label) from None
    is_dir = stat.S_ISDIR(st.st_mode)
    if is_dir:
        files = inventory_files(root)
        if not files:
            raise LintError("MM604", "no inventory files in this directory", label)
        for f in files:
            read_source(reader, f, str(f), in_directory=True)
    else:  # a file, or a FIFO or device that fileio reads with a time limit or refuses
        read_source(reader, root, label)
    return _resolve(reader, label, root if is_dir else root.parent)


def _resolve(reader: Reader, label: str, base: Path) -> Inventory:
    """The inventory of what ``reader`` read, with the group_vars/host_vars beside it."""
    from memmap_lint.inventory.sources import read_vars_files

    group_files = read_vars_files(reader, base, "group_vars", list(reader.groups))
    host_files = read_vars_files(reader, base, "host_vars", list(reader.host_pos))
    if reader.errors:
        raise LintErrors(reader.errors)
    groups = reader.groups
    # Hosts declared only under 'all' (or no group) belong to 'ungrouped', as in Ansible; a host
    # of 'ungrouped' that is in another group too leaves it (InventoryData.reconcile_inventory).
    member_of: dict[str, set[str]] = {}
    for group in groups.values():
        for h in group.hosts:
            member_of.setdefault(h, set()).add(group.name)
    leave = {h for h in groups["ungrouped"].hosts if member_of[h] - {"all", "ungrouped"}}
    if leave:
        groups["ungrouped"].hosts = [h for h in groups["ungrouped"].hosts if h not in leave]
        for h in leave:
            member_of[h].discard("ungrouped")
    for gname in list(groups):
        if gname not in ("all", "ungrouped") and not groups[gname].parents:
            groups[gname].parents.add("all")
            if gname not in groups["all"].children:
                groups["all"].children.append(gname)
    depth = _depths(groups)
    hosts: dict[str, Host] = {}
    # Hosts of the same groups share their group order and merged group vars (computed once).
    by_groups: dict[frozenset[str], tuple[tuple[str, ...], dict[str, VarDef]]] = {}
    for name in reader.host_pos:
        direct = frozenset(member_of.get(name, ()))
        shared = by_groups.get(direct)
        if shared is None:
            shared = by_groups[direct] = _group_vars(groups, depth, direct, group_files)
        order, group_vars = shared
        merged = dict(group_vars)
        own = reader.host_vars.get(name)
        if own:
            merged.update(own)
        from_file = host_files.get(name)
        if from_file:
            merged.update(from_file)
        hosts[name] = Host(name, merged, order, reader.host_pos[name])
    if not hosts:
        raise LintError("MM604", "no hosts in this inventory: nothing would be checked", label)
    return Inventory(label, hosts, groups)


def _group_vars(
    groups: dict[str, Group],
    depth: dict[str, int],
    direct: frozenset[str],
    files: dict[str, dict[str, VarDef]],
) -> tuple[tuple[str, ...], dict[str, VarDef]]:
    """The groups of a host that is directly in ``direct`` (``all`` first) and their vars merged.

    Ansible's order (VariableManager.get_vars, VARIABLE_PRECEDENCE): the inventory's own group
    vars, groups sorted by (depth, ansible_group_priority, name), then the group_vars/ files in
    that order (so group_vars/all.yaml beats a child group's vars written in the inventory).
    """
    closure: set[str] = set()
    stack = list(direct)
    while stack:
        g = stack.pop()
        if g in closure:
            continue
        closure.add(g)
        stack.extend(groups[g].parents)
    closure.add("all")
    if direct <= {"all"}:
        closure.add("ungrouped")
    order = sorted(closure, key=lambda g: (depth.get(g, 1), groups[g].priority, g))
    merged: dict[str, VarDef] = {}
    for g in order:
        merged.update(groups[g].vars)
    for g in order:
        merged.update(files.get(g, {}))
    return tuple(order), merged
