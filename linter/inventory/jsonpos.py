"""JSON with positions: every value with the offset of its first character in the text.

The text is first read by ``json.loads`` (its errors, line and column are the ones reported);
then this walk builds the same values with the json module's own string scanner and number
syntax, keeping each value's offset and, for strings, where the string ends: the offset of each
of its characters is worked out only for a string that needs it (``string_offsets``), so the
walk stays linear in the text. A line that holds one member with a scalar value is read once:
the same text further on (``--list`` repeats each group var on every host) is taken from a memo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from sys import intern
from typing import Any, NamedTuple

from memmap_lint.errors import LintError
from memmap_lint.inventory.textpos import LineIndex

#: the json module's own string scanner (``json.decoder.scanstring``; not in typeshed)
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

_WS = re.compile(r"[ \t\n\r]*")
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


class JNode(NamedTuple):
    """A JSON value: ``value`` is the plain Python value (dicts/lists hold plain values too)."""

    value: Any
    offset: int
    #: object members (key, key offset, node) in order, duplicates kept; list items
    members: tuple[tuple[str, int, JNode], ...] = ()
    items: tuple[JNode, ...] = ()
    #: for a string: the offset just past its closing quote
    end: int = 0


_new_tuple = tuple.__new__


def _node(value: Any, offset: int, end: int = 0) -> JNode:
    """A node without members or items (``JNode.__new__`` without its keyword handling)."""
    return _new_tuple(JNode, (value, offset, (), (), end))


#: an object member whose key has no escapes (1), up to its value; when the value is a string,
#: a number or a constant: the value (2) and the separator after it (3) (the text is valid JSON)
_MEMBER_LINE = re.compile(
    r'[ \t\n\r]*"([^"\\]*)"[ \t\n\r]*:[ \t\n\r]*'
    r'(?:("[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9][-+.eE0-9]*|true|false|null)[ \t\n\r]*([,}]))?'
)
#: an array item that is a string without escapes, and the separator after it
_PLAIN_ITEM = re.compile(r'[ \t\n\r]*"([^"\\]*)"[ \t\n\r]*([,\]])')
#: the longest line remembered, and the most lines remembered at a time
_LINE_MAX = 512
_MEMO_SIZE = 1 << 14

#: A scalar member read from the start of its line: key, key offset, value, value offset, its
#: end (a string's), where the member's separator ends and whether it closes the object (None:
#: the separator is on a later line; the offset is the value's end). Offsets from the line start.
_Member = tuple[str, int, Any, int, int, int, "bool | None"]
#: the text of a line that holds one scalar member (from its object's '{' or its ',')
_Memo = dict[str, _Member]


def parse(text: str, path: str) -> JNode:
    """The node tree of a JSON document; MM604 with json's line:col when it is not JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise LintError("MM604", f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno) from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise LintError("MM604", f"invalid JSON: {exc}", path) from exc
    try:
        node, _ = _value(text, _skip(text, 0), {})
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


def _value(text: str, i: int, memo: _Memo) -> tuple[JNode, int]:
    c = text[i]
    if c == '"':
        value, end = scanstring(text, i + 1)
        # one object per distinct string: --list repeats every group var on every host
        return _node(intern(value), i, end), end
    if c == "{":
        return _object(text, i, memo)
    if c == "[":
        return _array(text, i, memo)
    for word, constant in _CONSTANTS.items():
        if text.startswith(word, i):
            return _node(constant, i), i + len(word)
    m = _NUMBER.match(text, i)
    assert m is not None, "json.loads accepted the text"
    number: Any = float(m.group(0)) if m.group(2) or m.group(3) else int(m.group(0))
    return _node(number, i), m.end()


def _object(text: str, start: int, memo: _Memo) -> tuple[JNode, int]:
    members: list[tuple[str, int, JNode]] = []
    value: dict[str, Any] = {}
    i = start + 1
    find, remembered = text.find, memo.get
    while True:
        # ansible-inventory --list writes one member a line and repeats each group var's line on
        # every host: a line seen before is read from the memo
        nl = find("\n", i + 1, i + _LINE_MAX)
        known = remembered(text[i:nl]) if nl > 0 else None
        m = None
        if known is None:
            m = _MEMBER_LINE.match(text, i)
            if m is not None and m.group(3) is not None:
                known = _scalar_member(text, i, nl, memo, m)
        if known is not None:
            key, key_rel, v, v_rel, end_rel, after_rel, closing = known
            key_at = i + key_rel
            node = _new_tuple(JNode, (v, i + v_rel, (), (), i + end_rel if end_rel else 0))
            i += after_rel
        else:
            if m is not None:  # a key without escapes, and its ':'
                key, key_at, i = intern(m.group(1)), m.start(1) - 1, m.end()
            else:
                i = _skip(text, i)
                if text[i] == "}":  # only where the object is empty
                    return _node(value, start), i + 1
                key, i_key_end = scanstring(text, i + 1)
                key_at = i
                i = _skip(text, _skip(text, i_key_end) + 1)  # past ':'
            node, i = _value(text, i, memo)
            closing = None
        if closing is None:
            sep = _SEPARATOR.match(text, i)
            assert sep is not None, "json.loads accepted the text"
            i = sep.end()
            closing = sep.group(1) == "}"
        if key in value:
            raise _Duplicate(key, key_at, next(at for k, at, _ in members if k == key))
        members.append((key, key_at, node))
        value[key] = node.value
        if closing:
            return _new_tuple(JNode, (value, start, tuple(members), (), 0)), i


def _scalar_member(text: str, i: int, nl: int, memo: _Memo, m: re.Match[str]) -> _Member:
    """The member ``_MEMBER_LINE`` matched from offset ``i`` (after '{' or ','), with a scalar
    value; remembered when it is all of the text up to the newline at ``nl``."""
    raw, at, end = m.group(2), m.start(2), m.end(2)
    if raw[0] == '"':
        value: Any = intern(scanstring(text, at + 1)[0] if "\\" in raw else raw[1:-1])
        end_rel = end - i
    else:  # as _value reads them
        if raw in _CONSTANTS:
            value = _CONSTANTS[raw]
        elif "." in raw or "e" in raw or "E" in raw:
            value = float(raw)
        else:
            value = int(raw)
        end_rel = 0
    after = m.end(3)
    known = (
        intern(m.group(1)),
        m.start(1) - 1 - i,
        value,
        at - i,
        end_rel,
        after - i,
        m.group(3) == "}",
    )
    if nl > 0:
        line: _Member | None = None
        if after == nl or (after < nl and _space_to(text, after, nl)):
            line = known
        elif end == nl or (end < nl and _space_to(text, end, nl)):  # the separator is further on
            line = (*known[:5], end - i, None)
        if line is not None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text[i:nl]] = line
    return known


def _space_to(text: str, i: int, end: int) -> bool:
    """Whether ``text[i:end]`` is JSON whitespace."""
    m = _WS.match(text, i, end)
    return m is not None and m.end() == end


def _array(text: str, start: int, memo: _Memo) -> tuple[JNode, int]:
    items: list[JNode] = []
    i = _skip(text, start + 1)
    if text[i] == "]":
        return _node([], start), i + 1
    while True:
        m = _PLAIN_ITEM.match(text, i)
        if m is not None:  # a host name of a group's "hosts"
            items.append(_node(intern(m.group(1)), m.start(1) - 1, m.end(1) + 1))
            i = m.end()
            closing = m.group(2) == "]"
        else:
            node, i = _value(text, i, memo)
            items.append(node)
            sep = _SEPARATOR.match(text, i)
            assert sep is not None, "json.loads accepted the text"
            i = sep.end()
            closing = sep.group(1) == "]"
        if closing:
            return _new_tuple(JNode, ([n.value for n in items], start, (), tuple(items), 0)), i
        i = _skip(text, i)


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
