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
from memmap_lint.yamlbounds import check_node, no_duplicate_keys

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
    no_duplicate_keys(node, path)
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
