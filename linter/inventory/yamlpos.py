"""YAML with positions: safe loading that remembers where every value was written.

Values are built from the composed node graph (the C parser when libyaml is there), so a mapping
keeps each key's and value's line and column for error messages and for pointing findings at the
characters of a command line inside an inventory.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml
from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Pos as Pos  # where it lives: importing it needs no yaml

try:
    _Loader: type[Any] = yaml.CSafeLoader
    HAVE_LIBYAML = True
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader
    HAVE_LIBYAML = False

_warned = False


def _warn_once() -> None:
    global _warned
    if not HAVE_LIBYAML and not _warned:
        _warned = True
        print(
            "memmap-lint: warning: PyYAML has no libyaml here; reading YAML is slower",
            file=sys.stderr,
        )


def pos_of(path: str, node: yaml.Node) -> Pos:
    mark = node.start_mark
    style = node.style if isinstance(node, yaml.ScalarNode) else None
    return Pos(path, mark.line + 1, mark.column + 1, style)


def compose(text: str, path: str) -> yaml.Node | None:
    """The node graph of one YAML document (None for an empty file); MM604 on bad YAML."""
    _warn_once()
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_Loader)
        return node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise LintError("MM604", f"invalid YAML: {problem}", path, line, col) from exc
    except yaml.YAMLError as exc:
        raise LintError("MM604", f"invalid YAML: {exc}", path) from exc


_CONSTRUCTOR = yaml.SafeLoader("")

MAX_NODES = 1_000_000
"""Nodes one value may expand to, aliases counted each time they are used (a "billion laughs"
of a few hundred bytes would otherwise take all memory)."""
MAX_DEPTH = 200
"""Nesting one value may have (deeper input would exhaust Python's recursion)."""
MAX_DIGITS = 100
"""Characters a number may have (Python refuses to convert over 4300 digits)."""

_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def check_node(node: yaml.Node, path: str) -> None:
    """MM604 when ``node`` expands to more than MAX_NODES nodes, nests deeper than MAX_DEPTH,
    holds a number longer than MAX_DIGITS or a mapping with a key written twice.

    Sizes are memoized per node, so the check costs the distinct nodes, not the expansion; a
    duplicate key is refused as yamllint's key-duplicates does (Ansible only warns and takes
    the last one, silently dropping the first).
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    on_path: set[int] = set()
    while stack:
        current, depth, done = stack.pop()
        key = id(current)
        if done:
            on_path.discard(key)
            children = _children(current)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_NODES:
                _refuse(path, node, f"this value expands to more than {MAX_NODES} nodes")
            continue
        if key in sizes:
            continue
        if key in on_path:
            _refuse(path, current, "a recursive alias")
        if depth > MAX_DEPTH:
            _refuse(path, current, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(current, yaml.ScalarNode):
            if current.tag in _NUMBER_TAGS and len(current.value) > MAX_DIGITS:
                _refuse(path, current, f"a number of {len(current.value)} characters")
            sizes[key] = 1
            continue
        if isinstance(current, yaml.MappingNode):
            _no_duplicate_keys(current, path)
        on_path.add(key)
        stack.append((current, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(current))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _no_duplicate_keys(node: yaml.MappingNode, path: str) -> None:
    seen: dict[str, yaml.Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        first = seen.setdefault(key_node.value, key_node)
        if first is not key_node:
            p = pos_of(path, first)
            _refuse(
                path,
                key_node,
                f"duplicate key {key_node.value!r} (first at line {p.line}, column {p.column}; "
                "a YAML loader such as Ansible's silently keeps only this one)",
            )


def _refuse(path: str, node: yaml.Node, why: str) -> None:
    p = pos_of(path, node)
    raise LintError("MM604", why, path, p.line, p.column)


_STR = "tag:yaml.org,2002:str"


def value(node: yaml.Node, path: str) -> Any:
    """The plain Python value of a node (safe types only), MM604 on what safe YAML refuses.

    A string scalar is its text (what SafeConstructor returns for it); anything else goes through
    SafeConstructor, whose memo of constructed nodes is emptied after each value so that it does
    not keep the whole node graph of an inventory alive.
    """
    if type(node) is yaml.ScalarNode and node.tag == _STR:
        return node.value
    check_node(node, path)
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as exc:
        p = pos_of(path, node)
        raise LintError("MM604", f"cannot read this value: {exc}", path, p.line, p.column) from exc
    finally:
        _CONSTRUCTOR.constructed_objects.clear()
        _CONSTRUCTOR.recursive_objects.clear()
        _CONSTRUCTOR.state_generators.clear()


def mapping_items(node: yaml.Node, path: str, what: str) -> list[tuple[str, yaml.Node, Pos]]:
    """The ``(key, value node, key position)`` pairs of a mapping node; MM604 otherwise."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(node, yaml.MappingNode):
        p = pos_of(path, node)
        raise LintError("MM604", f"{what} must be a mapping", path, p.line, p.column)
    _no_duplicate_keys(node, path)
    out: list[tuple[str, yaml.Node, Pos]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            p = pos_of(path, key_node)
            raise LintError("MM604", f"{what}: keys must be plain names", path, p.line, p.column)
        out.append((str(key_node.value), value_node, pos_of(path, key_node)))
    return out


def scalar_offset_map(node: yaml.Node, path: str) -> Pos:
    """Where the first character of a scalar's text is (after an opening quote)."""
    p = pos_of(path, node)
    if p.style in ("'", '"'):
        return Pos(path, p.line, p.column + 1, p.style)
    return p
