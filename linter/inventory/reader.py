"""Reading inventory YAML into groups and host variables, validated against the shipped schema."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from memmap_lint.errors import LintError
from memmap_lint.fileio import decode, read_bytes
from memmap_lint.inventory.model import Group, VarDef
from memmap_lint.inventory.schemafast import Check, compile_members
from memmap_lint.inventory.yamlpos import Pos, compose, mapping_items, scalar_offset_map, value

if TYPE_CHECKING:
    import jsonschema
    from memmap_lint.report.progress import Progress


@cache
def schema() -> dict[str, Any]:
    """The inventory JSON Schema shipped in the package."""
    text = (
        resources.files("memmap_lint")
        .joinpath("inventory/schema/inventory.schema.json")
        .read_text()
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _vars_validator() -> jsonschema.protocols.Validator:
    import jsonschema  # only when a mapping needs the full validator

    cls = jsonschema.validators.validator_for(schema())
    return cls(schema()["$defs"]["vars"])


@cache
def _var_checks() -> dict[str, Check] | None:
    """Quick tests by variable that pass most mappings without jsonschema (see schemafast)."""
    return compile_members(schema()["$defs"]["vars"])


class Reader:
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

    def items(self, node: yaml.Node, path: str, where: str) -> list[tuple[str, yaml.Node, Pos]]:
        """``mapping_items``, its error recorded (then nothing to read)."""
        try:
            return mapping_items(node, path, where)
        except LintError as exc:
            self.errors.append(exc)
            return []

    def read_vars(self, node: yaml.Node, path: str, where: str) -> dict[str, VarDef]:
        items = self.items(node, path, where)
        out: dict[str, VarDef] = {}
        for key, vnode, _ in items:
            try:
                v = value(vnode, path)
            except LintError as exc:
                self.errors.append(exc)
                continue
            single = vnode.start_mark.line == vnode.end_mark.line
            out[key] = VarDef(v, scalar_offset_map(vnode, path), single)
        self.validate(out, path, where)
        return out

    def add_host(self, group: Group, host: str) -> None:
        """List ``host`` in ``group`` unless it is there already (in O(1)); one host entry read
        (``progress``), whatever the format."""
        if self.progress is not None:
            self.progress.advance()
        members = self._members.get(group.name)
        if members is None:
            members = self._members[group.name] = set(group.hosts)
        if host not in members:
            members.add(host)
            group.hosts.append(host)

    def validate(self, defs: dict[str, VarDef], path: str, where: str) -> None:
        """Check memmap-lint's variables of one mapping against the schema (MM604 errors)."""
        checks = _var_checks()
        if checks is not None:
            for k, var in defs.items():
                check = checks.get(k)
                if check is not None and not check(var.value):
                    break
            else:
                return
        known = schema()["$defs"]["vars"]["properties"]
        mine = {k: d.value for k, d in defs.items() if k in known}
        if not mine:
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
        items = self.items(node, path, where)
        for key, vnode, kpos in items:
            if key == "vars":
                defs = self.read_vars(vnode, path, f"{where}.vars")
                prio = defs.get("ansible_group_priority")
                msg = group.take_priority(defs)
                if msg is not None and prio is not None:
                    p = prio.pos
                    self.errors.append(LintError("MM604", msg, path, p.line, p.column))
                group.vars.update(defs)
            elif key == "hosts":
                self._read_hosts(group, vnode, path, f"{where}.hosts")
            elif key == "children":
                children = self.items(vnode, path, f"{where}.children")
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
        items = self.items(node, path, where)
        for host, hnode, kpos in items:
            self.add_host(group, host)
            self.host_pos.setdefault(host, kpos)
            defs = self.read_vars(hnode, path, f"{where}.{host}")
            self.host_vars.setdefault(host, {}).update(defs)

    def read_text(self, path: Path, label: str) -> str | None:
        """The text of an inventory or vars file (``fileio``'s caps and checks); None, with the
        error recorded, when it cannot be read."""
        try:
            return decode(read_bytes(path, "inventory", "MM604"), label, "MM604")
        except LintError as exc:
            self.errors.append(LintError(exc.code, exc.message, label, exc.line, exc.column))
            return None

    def read_file(self, path: Path, label: str, text: str | None = None) -> None:
        if text is None:
            text = self.read_text(path, label)
        if text is None:
            return
        try:
            root = compose(text, label)
        except LintError as exc:
            self.errors.append(exc)
            return
        if root is None:
            return
        items = self.items(root, label, "inventory")
        for name, gnode, _ in items:
            self.read_group(name, gnode, label, name)

    def read_vars_file(self, path: Path, label: str, where: str) -> dict[str, VarDef]:
        text = self.read_text(path, label)
        if text is None:
            return {}
        try:
            root = compose(text, label)
        except LintError as exc:
            self.errors.append(exc)
            return {}
        return {} if root is None else self.read_vars(root, label, where)
