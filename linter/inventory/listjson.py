"""The JSON that ``ansible-inventory --list`` prints, read as ansible-core's ``script`` plugin reads it.

``{"_meta": {"hostvars": {HOST: {...}}}, GROUP: {"hosts": [...], "vars": {...}, "children":
[...]}, ...}``: a group may also be a bare list of hosts (old scripts), and a mapping with none of
``hosts``/``vars``/``children`` is a host of that name with those vars (both deprecated in
Ansible, still read). Host names are taken as written (no ranges); a host's vars are its
``_meta.hostvars`` entry, and hosts that are in no group are not in the inventory (as in Ansible).
``--list`` merges group vars into each host's vars, ``--list --export`` keeps them in the groups:
both are read. ``{"__ansible_unsafe": "text"}`` is the string ``text``. Every value keeps its
line:column in the JSON text.
"""

from __future__ import annotations

from typing import Any

from memmap_lint.errors import LintError
from memmap_lint.inventory.ini import descendants
from memmap_lint.inventory.jsonpos import JNode, parse, string_offsets
from memmap_lint.inventory.model import Group, VarDef
from memmap_lint.inventory.reader import Reader
from memmap_lint.inventory.textpos import LineIndex, as_written, mapped

_GROUP_KEYS = ("hosts", "vars", "children")


def is_list_json(root: JNode) -> bool:
    """Whether a JSON document is ``--list`` output rather than Ansible's YAML structure."""
    if not isinstance(root.value, dict):
        return False
    for key, _, node in root.members:
        if key == "_meta" or isinstance(node.value, list):
            return True
        if isinstance(node.value, dict) and any(
            isinstance(node.value.get(k), list) for k in ("hosts", "children")
        ):
            return True
    return False


class ListReader:
    """Reads one ``--list`` document into a ``Reader``."""

    def __init__(self, reader: Reader, text: str, path: str) -> None:
        self.reader = reader
        self.text = text
        #: the Pos of an offset of the text
        self.pos = LineIndex(text).positions(path)
        self.path = path
        self.hosts: dict[str, None] = {}
        self.new_hosts: set[str] = set()  # first declared in this document

    def error(self, message: str, offset: int) -> None:
        p = self.pos(offset)
        self.reader.errors.append(LintError("MM604", message, self.path, p.line, p.column))

    def read(self, root: JNode) -> None:
        if not isinstance(root.value, dict):
            self.error("an inventory must be a JSON object", root.offset)
            return
        hostvars: JNode | None = None
        for key, key_at, node in root.members:
            if key == "_meta":
                found = _member(node, "hostvars")
                if found is None or not isinstance(found.value, dict):
                    self.error("'_meta.hostvars' must be an object", node.offset)
                    continue
                hostvars = found
            else:
                self._group(key, key_at, node)
        entries = {k: (at, n) for k, at, n in hostvars.members} if hostvars else {}
        for host in self.hosts:
            entry = entries.get(host)
            if entry is None:
                continue
            at, node = entry
            if host in self.new_hosts:  # findings about the host point at its hostvars
                self.reader.host_pos[host] = self.pos(at)
            if not isinstance(node.value, dict):
                self.error(f"_meta.hostvars.{host} must be an object", node.offset)
                continue
            defs = self._vars(node, f"_meta.hostvars.{host}")
            if host in self.reader.groups:  # Ansible's set_variable prefers a group of that name
                self.reader.groups[host].vars.update(defs)
            else:
                self.reader.host_vars.setdefault(host, {}).update(defs)

    def _group(self, name: str, at: int, node: JNode) -> None:
        group = self.reader.group(name)
        if not isinstance(node.value, dict):
            hosts: JNode | None = node
            vars_node = children = None
        elif not any(k in node.value for k in _GROUP_KEYS):
            hosts = JNode([name], at, items=(JNode(name, at),))
            vars_node, children = node, None
        else:
            hosts = _member(node, "hosts")
            vars_node, children = _member(node, "vars"), _member(node, "children")
        if hosts is not None:
            if not isinstance(hosts.value, list):
                self.error(f"'{name}.hosts' must be a list", hosts.offset)
            else:
                for item in hosts.items:
                    self._host(group, item)
        if vars_node is not None:
            if not isinstance(vars_node.value, dict):
                self.error(f"'{name}.vars' must be an object", vars_node.offset)
            else:
                defs = self._vars(vars_node, f"{name}.vars")
                msg = group.take_priority(defs)
                if msg is not None:
                    self.error(msg, vars_node.offset)
                group.vars.update(defs)
        if children is not None:
            self._children(group, children)

    def _children(self, group: Group, node: JNode) -> None:
        value = node.value
        if isinstance(value, list):
            names = [(n.value, n.offset) for n in node.items]
        elif isinstance(value, dict):
            names = [(k, at) for k, at, _ in node.members]
        elif isinstance(value, str):  # Ansible iterates whatever it is given: a string's letters
            names = [(c, node.offset) for c in value]
        else:
            self.error(f"'{group.name}.children' must be a list", node.offset)
            return
        groups = self.reader.groups
        for child, offset in names:
            if not isinstance(child, str) or not child:
                self.error(f"invalid group name {child!r} in '{group.name}.children'", offset)
                continue
            self.reader.group(child)
            if child == group.name or group.name in descendants(groups, child):
                self.error(
                    f"Adding group '{child}' as child to '{group.name}' creates a recursive "
                    "dependency loop.",
                    offset,
                )
                continue
            if child not in group.children:
                group.children.append(child)
            groups[child].parents.add(group.name)

    def _host(self, group: Group, item: JNode) -> None:
        name = item.value
        if not isinstance(name, str) or not name:
            self.error(f"invalid host name {name!r} in '{group.name}.hosts'", item.offset)
            return
        if name not in self.reader.host_pos:
            self.reader.host_pos[name] = self.pos(item.offset + 1)
            self.new_hosts.add(name)
        self.hosts[name] = None
        self.reader.add_host(group, name)

    def _vars(self, node: JNode, where: str) -> dict[str, VarDef]:
        defs: dict[str, VarDef] = {}
        pos = self.pos
        for key, _, vnode in node.members:
            value = vnode.value
            if type(value) is not str:  # strings first: most values are
                if isinstance(value, dict):
                    vnode = _unwrap(vnode)
                    value = vnode.value
                if not isinstance(value, str):
                    defs[key] = VarDef(_plain(value), pos(vnode.offset), True)
                    continue
            if vnode.end - vnode.offset - 2 == len(value):  # is_verbatim: no escapes inside
                defs[key] = as_written(value, pos(vnode.offset + 1))
                continue
            chars = string_offsets(self.text, vnode)
            first = chars[0] if chars else vnode.offset + 1
            p = pos(first)
            columns = [p.column + (c - first) for c in chars]
            defs[key] = mapped(value, p, columns)
        self.reader.validate(defs, self.path, where)
        return defs


def _member(node: JNode, key: str) -> JNode | None:
    found = None
    for k, _, n in node.members:
        if k == key:
            found = n  # the last of duplicate keys, as json.loads keeps it
    return found


def _unwrap(node: JNode) -> JNode:
    """``{"__ansible_unsafe": "text"}`` (an object node) as the string node ``"text"``."""
    inner = _member(node, "__ansible_unsafe")
    return inner if inner is not None and isinstance(inner.value, str) else node


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        unsafe = value.get("__ansible_unsafe")
        if isinstance(unsafe, str):
            return unsafe
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_list_json(reader: Reader, root: JNode, text: str, path: str) -> None:
    """Add the groups, hosts and variables of ``--list`` JSON ``root`` (parsed from ``text``)."""
    ListReader(reader, text, path).read(root)


def parse_json(text: str, path: str) -> JNode:
    """The positioned node tree of a JSON inventory (MM604 with line:col when it is not JSON)."""
    return parse(text, path)
