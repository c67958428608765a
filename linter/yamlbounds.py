"""Bounds on YAML node graphs, checked before any value is built from them.

A YAML document of a few hundred bytes can expand to billions of nodes through aliases, nest
deep enough to exhaust Python's recursion, or hold a number Python refuses to convert; a key
written twice silently loses its first value. ``check_node`` refuses all of these, located.
"""

from __future__ import annotations

import yaml
from memmap_lint.errors import LintError


def _line_col(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


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
            no_duplicate_keys(current, path)
        on_path.add(key)
        stack.append((current, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(current))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def no_duplicate_keys(node: yaml.MappingNode, path: str) -> None:
    seen: dict[str, yaml.Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        first = seen.setdefault(key_node.value, key_node)
        if first is not key_node:
            line, column = _line_col(first)
            _refuse(
                path,
                key_node,
                f"duplicate key {key_node.value!r} (first at line {line}, column {column}; "
                "a YAML loader such as Ansible's silently keeps only this one)",
            )


def _refuse(path: str, node: yaml.Node, why: str) -> None:
    line, column = _line_col(node)
    raise LintError("MM604", why, path, line, column)
