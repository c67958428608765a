"""JSON with positions: every value with the offset of its first character in the text.

The text is first read by ``json.loads`` (its errors, line and column are the ones reported);
then this walk builds the same values with the json module's own string scanner and number
syntax, keeping each value's offset and, for strings, where the string ends: the offset of each
of its characters is worked out only for a string that needs it (``string_offsets``), so the
walk stays linear in the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from sys import intern
from typing import Any

from memmap_lint.errors import LintError
from memmap_lint.inventory.textpos import LineIndex

#: the json module's own string scanner (``json.decoder.scanstring``; not in typeshed)
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

_WS = re.compile(r"[ \t\n\r]*")
#: an object member's key written without escapes, up to its value (the text is valid JSON)
_MEMBER = re.compile(r'[ \t\n\r]*"([^"\\]*)"[ \t\n\r]*:[ \t\n\r]*')
#: what follows a member or an item: ',' or the end of its object or array
_SEPARATOR = re.compile(r"[ \t\n\r]*([,}\]])")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_CONSTANTS = {
    "null": None,
    "true": True,
    "false": False,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}


@dataclass(frozen=True, slots=True)
class JNode:
    """A JSON value: ``value`` is the plain Python value (dicts/lists hold plain values too)."""

    value: Any
    offset: int
    #: object members (key, key offset, node) in order, duplicates kept; list items
    members: tuple[tuple[str, int, JNode], ...] = ()
    items: tuple[JNode, ...] = ()
    #: for a string: the offset just past its closing quote
    end: int = 0


def parse(text: str, path: str) -> JNode:
    """The node tree of a JSON document; MM604 with json's line:col when it is not JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise LintError("MM604", f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno) from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise LintError("MM604", f"invalid JSON: {exc}", path) from exc
    try:
        node, _ = _value(text, _skip(text, 0))
    except RecursionError as exc:
        raise LintError("MM604", "JSON nested too deeply", path) from exc
    except _Duplicate as dup:
        line, column = LineIndex(text).line_col(dup.offset)
        first, first_col = LineIndex(text).line_col(dup.first)
        raise LintError(
            "MM604",
            f"duplicate key {dup.key!r} (first at line {first}, column {first_col}; json.loads "
            "and Ansible would silently keep this one)",
            path, line, column,
        ) from None  # fmt: skip
    return node


class _Duplicate(Exception):
    def __init__(self, key: str, offset: int, first: int) -> None:
        super().__init__(key)
        self.key, self.offset, self.first = key, offset, first


def _skip(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _value(text: str, i: int) -> tuple[JNode, int]:
    c = text[i]
    if c == '"':
        value, end = scanstring(text, i + 1)
        # one object per distinct string: --list repeats every group var on every host
        return JNode(intern(value), i, end=end), end
    if c == "{":
        return _object(text, i)
    if c == "[":
        return _array(text, i)
    for word, constant in _CONSTANTS.items():
        if text.startswith(word, i):
            return JNode(constant, i), i + len(word)
    m = _NUMBER.match(text, i)
    assert m is not None, "json.loads accepted the text"
    number: Any = float(m.group(0)) if m.group(2) or m.group(3) else int(m.group(0))
    return JNode(number, i), m.end()


def _object(text: str, start: int) -> tuple[JNode, int]:
    members: list[tuple[str, int, JNode]] = []
    value: dict[str, Any] = {}
    i = start + 1
    while True:
        m = _MEMBER.match(text, i)  # a key without escapes, and its ':'
        if m is not None:
            key, key_at, i = intern(m.group(1)), m.start(1) - 1, m.end()
        else:
            i = _skip(text, i)
            if text[i] == "}":  # only where the object is empty
                return JNode(value, start), i + 1
            key, i_key_end = scanstring(text, i + 1)
            key_at = i
            i = _skip(text, _skip(text, i_key_end) + 1)  # past ':'
        node, i = _value(text, i)
        if key in value:
            raise _Duplicate(key, key_at, next(at for k, at, _ in members if k == key))
        members.append((key, key_at, node))
        value[key] = node.value
        sep = _SEPARATOR.match(text, i)
        assert sep is not None, "json.loads accepted the text"
        if sep.group(1) == "}":
            return JNode(value, start, members=tuple(members)), sep.end()
        i = sep.end()


def _array(text: str, start: int) -> tuple[JNode, int]:
    items: list[JNode] = []
    i = _skip(text, start + 1)
    if text[i] == "]":
        return JNode([], start), i + 1
    while True:
        node, i = _value(text, i)
        items.append(node)
        sep = _SEPARATOR.match(text, i)
        assert sep is not None, "json.loads accepted the text"
        if sep.group(1) == "]":
            return JNode([n.value for n in items], start, items=tuple(items)), sep.end()
        i = _skip(text, sep.end())


def is_verbatim(node: JNode) -> bool:
    """Whether string ``node`` is written without escapes (character ``i`` at ``offset + 1 + i``)."""
    return node.end - node.offset - 2 == len(node.value)


def string_offsets(text: str, node: JNode) -> tuple[int, ...]:
    """The offset in ``text`` of each character of string ``node``."""
    i, end = node.offset + 1, node.end - 1
    if is_verbatim(node):
        return tuple(range(i, end))
    out: list[int] = []
    while i < end:
        if text[i] != "\\":
            out.append(i)
            i += 1
        elif text[i + 1] != "u":
            out.append(i)
            i += 2
        else:
            code = int(text[i + 2 : i + 6], 16)
            nxt = i + 6
            # json joins a high surrogate with a following low one into one character
            if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", nxt):
                low = int(text[nxt + 2 : nxt + 6], 16)
                if 0xDC00 <= low <= 0xDFFF:
                    nxt += 6
            out.append(i)
            i = nxt
    return tuple(out)
