"""Inventories: Ansible's YAML inventory structure, a file or a directory, with Ansible's precedence.

``all`` vars < parent group < child group < host; groups of one depth by
``ansible_group_priority``, then name; every variable replaced whole; ``group_vars/`` files over
every group's own vars, ``host_vars/`` files over the host's own. INI files and
``ansible-inventory --list`` JSON are read too, and a directory's files and the vars files are
found as Ansible finds them (inventory_sources). memmap-lint's variables are validated against
the shipped JSON Schema, each mapping once, and every error names its file, the variable's path
and line:col (MM604).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from .errors import LintError, LintErrors
from .schemafast import Check, compile_valid
from .yamlpos import Pos, compose, mapping_items, scalar_offset_map, value

if TYPE_CHECKING:
    from .progress import Progress

GROUP_KEYS = ("vars", "hosts", "children")


@dataclass(frozen=True, slots=True)
class VarDef:
    """A variable's value and where it was written (``pos``: its value's first character)."""

    value: Any
    pos: Pos
    key_pos: Pos
    single_line: bool

    def column_of(self, offset: int) -> tuple[int, int]:
        """The line and column of character ``offset`` of a string value (exact on one line)."""
        if self.single_line and self.pos.style in (None, "'", '"'):
            return self.pos.line, self.pos.column + offset
        return self.pos.line, self.pos.column


@dataclass
class Group:
    name: str
    vars: dict[str, VarDef] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    parents: set[str] = field(default_factory=set)
    #: ``ansible_group_priority`` (not kept as a var): orders groups of one depth before names
    priority: int = 1


@dataclass(frozen=True)
class Host:
    """A host with its merged variables and the groups it belongs to (``all`` first)."""

    name: str
    vars: dict[str, VarDef]
    groups: tuple[str, ...]
    pos: Pos

    def get(self, key: str, default: Any = None) -> Any:
        d = self.vars.get(key)
        return default if d is None else d.value


@dataclass(frozen=True)
class Inventory:
    path: str
    hosts: dict[str, Host]
    groups: dict[str, Group]


@cache
def schema() -> dict[str, Any]:
    """The inventory JSON Schema shipped in the package."""
    text = resources.files("memmap_lint").joinpath("schema/inventory.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _vars_validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    return cls(schema()["$defs"]["vars"])


@cache
def _vars_certainly_valid() -> Check | None:
    """A quick test that passes most mappings without jsonschema (see schemafast)."""
    return compile_valid(schema()["$defs"]["vars"])


class _Reader:
    """Collects groups, host declarations and errors from one or more YAML files."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress
        self.groups: dict[str, Group] = {"all": Group("all"), "ungrouped": Group("ungrouped")}
        self.host_vars: dict[str, dict[str, VarDef]] = {}
        self.host_pos: dict[str, Pos] = {}
        self.errors: list[LintError] = []
        #: group name -> the hosts already listed in it (``Group.hosts`` keeps their order).
        self._members: dict[str, set[str]] = {}

    def group(self, name: str) -> Group:
        if name not in self.groups:
            self.groups[name] = Group(name)
        return self.groups[name]

    def read_vars(self, node: yaml.Node, path: str, where: str) -> dict[str, VarDef]:
        try:
            items = mapping_items(node, path, where)
        except LintError as exc:
            self.errors.append(exc)
            return {}
        out: dict[str, VarDef] = {}
        for key, vnode, kpos in items:
            try:
                v = value(vnode, path)
            except LintError as exc:
                self.errors.append(exc)
                continue
            single = vnode.start_mark.line == vnode.end_mark.line
            out[key] = VarDef(v, scalar_offset_map(vnode, path), kpos, single)
        self._validate(out, path, where)
        return out

    def _validate(self, defs: dict[str, VarDef], path: str, where: str) -> None:
        known = schema()["$defs"]["vars"]["properties"]
        mine = {k: d.value for k, d in defs.items() if k in known}
        if not mine:
            return
        quick = _vars_certainly_valid()
        if quick is not None and quick(mine):
            return
        for err in sorted(_vars_validator().iter_errors(mine), key=lambda e: list(e.path)):
            key = str(err.path[0]) if err.path else ""
            d = defs.get(key)
            var_path = ".".join([where, *(str(p) for p in err.path)])
            pos = d.pos if d else None
            self.errors.append(
                LintError(
                    "MM604",
                    f"{var_path}: {err.message}",
                    path,
                    pos.line if pos else None,
                    pos.column if pos else None,
                )
            )

    def read_group(self, name: str, node: yaml.Node, path: str, where: str) -> None:
        group = self.group(name)
        try:
            items = mapping_items(node, path, where)
        except LintError as exc:
            self.errors.append(exc)
            return
        for key, vnode, kpos in items:
            if key == "vars":
                defs = self.read_vars(vnode, path, f"{where}.vars")
                prio = defs.pop("ansible_group_priority", None)
                if prio is not None:
                    try:
                        group.priority = int(prio.value)
                    except (TypeError, ValueError, OverflowError) as exc:
                        p = prio.pos
                        msg = f"ansible_group_priority: {exc}"
                        self.errors.append(LintError("MM604", msg, path, p.line, p.column))
                group.vars.update(defs)
            elif key == "hosts":
                self._read_hosts(group, vnode, path, f"{where}.hosts")
            elif key == "children":
                try:
                    children = mapping_items(vnode, path, f"{where}.children")
                except LintError as exc:
                    self.errors.append(exc)
                    continue
                for child, cnode, _ in children:
                    if child not in group.children:
                        group.children.append(child)
                    self.group(child).parents.add(name)
                    self.read_group(child, cnode, path, f"{where}.children.{child}")
            else:
                self.errors.append(
                    LintError(
                        "MM604",
                        f"{where}: unknown key '{key}' (a group holds vars, hosts and children)",
                        path,
                        kpos.line,
                        kpos.column,
                    )
                )

    def _read_hosts(self, group: Group, node: yaml.Node, path: str, where: str) -> None:
        try:
            items = mapping_items(node, path, where)
        except LintError as exc:
            self.errors.append(exc)
            return
        members = self._members.setdefault(group.name, set(group.hosts))
        for host, hnode, kpos in items:
            if host not in members:
                members.add(host)
                group.hosts.append(host)
            self.host_pos.setdefault(host, kpos)
            defs = self.read_vars(hnode, path, f"{where}.{host}")
            self.host_vars.setdefault(host, {}).update(defs)
            if self.progress is not None:
                self.progress.advance()

    def read_file(self, path: Path, label: str) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.errors.append(LintError("MM604", f"cannot read inventory: {exc}", label))
            return
        try:
            root = compose(text, label)
        except LintError as exc:
            self.errors.append(exc)
            return
        if root is None:
            return
        try:
            items = mapping_items(root, label, "inventory")
        except LintError as exc:
            self.errors.append(exc)
            return
        for name, gnode, _ in items:
            self.read_group(name, gnode, label, name)

    def read_vars_file(self, path: Path, label: str, where: str) -> dict[str, VarDef]:
        try:
            root = compose(path.read_text(encoding="utf-8"), label)
        except LintError as exc:
            self.errors.append(exc)
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            self.errors.append(LintError("MM604", f"cannot read: {exc}", label))
            return {}
        return {} if root is None else self.read_vars(root, label, where)


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


def load_inventory(path: str | Path, progress: Progress | None = None) -> Inventory:
    """Read an inventory file or directory; LintErrors (MM604) listing every problem.

    ``progress`` counts the host entries read.
    """
    root = Path(path)
    reader = _Reader(progress)
    label = str(path)
    # YAML, INI or ansible-inventory JSON; a directory's files and group_vars/host_vars as
    # Ansible finds them (inventory_sources).
    from .inventory_sources import inventory_files, read_source, read_vars_files

    if root.is_dir():
        files = inventory_files(root)
        if not files:
            raise LintError("MM604", "no inventory files in this directory", label)
        for f in files:
            read_source(reader, f, str(f), in_directory=True)
    elif root.is_file():
        read_source(reader, root, label)
    else:
        raise LintError("MM604", "no such inventory file or directory", label)
    base = root if root.is_dir() else root.parent
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


def select_hosts(inv: Inventory, pattern: str | None) -> list[Host]:
    """Ansible host patterns: names, globs, group names, ``a:b``/``a,b``, ``!x``, ``&x``."""
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
