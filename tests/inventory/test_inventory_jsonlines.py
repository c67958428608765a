"""The JSON walk's remembered member lines and the cursor of ``LineIndex.positions``: every node
where the json module finds it, however often and wherever a member's line repeats."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from memmap_lint.errors import LintError
from memmap_lint.inventory.jsonpos import JNode, parse, scanstring
from memmap_lint.inventory.load import load_inventory
from memmap_lint.inventory.textpos import LineIndex


def check_where(text: str, node: JNode) -> None:
    """Each key and value of ``node`` is what the json module reads at its offset."""
    decoder = json.JSONDecoder()
    if isinstance(node.value, str):
        assert scanstring(text, node.offset + 1) == (node.value, node.end)
    else:
        value, _ = decoder.raw_decode(text, node.offset)
        assert json.dumps(value) == json.dumps(node.value)
    for key, key_at, member in node.members:
        assert scanstring(text, key_at + 1)[0] == key
        check_where(text, member)
    for item in node.items:
        check_where(text, item)


def counted(text: str, offset: int) -> tuple[int, int]:
    """Line and column by counting newlines from the start."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


HOST_VARS = st.dictionaries(
    st.sampled_from(["kernel", "e820", "site", "n", "x\u00e9", 'q"k']),
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["ro quiet", "a\\b", 'say "hi"', "\u00e9\U0001f600", "tab\there", ""])
    | st.lists(st.sampled_from(["memmap-wildcard", "x\ty"]), max_size=2),
    max_size=5,
)


@given(st.lists(HOST_VARS, min_size=1, max_size=6), st.sampled_from([None, 0, 1, 4]), st.booleans())
def test_repeated_member_lines_read_where_they_are(
    hosts: list[dict[str, Any]], indent: int | None, ascii_only: bool
) -> None:
    doc = {"_meta": {"hostvars": {f"h{i}": v for i, v in enumerate(hosts)}}, "g": {"x": hosts}}
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    root = parse(text, "t.json")
    assert root.value == json.loads(text)
    check_where(text, root)


def test_a_line_read_again_at_other_offsets_and_columns() -> None:
    """Lines read again (with the separator on them or on a later line), at other columns, and
    members that share a line or span lines."""
    line = '"k": "a\\u00e9\\ud83d\\ude00 b"'
    text = (
        f'{{"o": {{\n  {line},\n  "n": -1.5e2  \n}},\n "p": {{\n  {line},\n  "n": -1.5e2  \n}},\n'
        f' "q": {{\n      {line},\n  "n": -1.5e2\n   }}, "r": {{{line}, "s": {{"t":\n "u"}}}},\n'
        f' "v": {{\n  {line}\n, "w": [\n "x" ,\n "y"\n]}}, "v2": {{\n  {line}\n, "w": 1}}}}'
    )
    root = parse(text, "t.json")
    assert root.value == json.loads(text)
    check_where(text, root)
    offsets = [n.members[0][2].offset for _, _, n in root.members]
    assert offsets == [text.index('"a', o) for o in [n.offset for _, _, n in root.members]]


def test_long_lines_and_a_value_across_lines() -> None:
    long = "m" * 2000
    text = f'{{"a": "{long}",\n "b":\n  "{long}", "c" :\n 1, "d": {{"e": true}}\n}}'
    root = parse(text, "t.json")
    assert root.value == json.loads(text)
    check_where(text, root)


def test_escaped_values_repeated_in_hostvars_keep_their_columns(tmp_path: Path) -> None:
    cmdline = "ro \\u0071uiet memmap=12M*4096:oops"  # \u0071 is q
    text = (
        '{"_meta": {"hostvars": {\n'
        f'    "a": {{\n        "kernel_cmdline": "{cmdline}"\n    }},\n'
        f'    "b": {{\n        "kernel_cmdline": "{cmdline}"\n    }},\n'
        f'    "c": {{\n  "kernel_cmdline": "{cmdline}"}}\n'
        '}}, "web": {"hosts": ["a", "b", "c"]}}\n'
    )
    path = tmp_path / "fleet.json"
    path.write_text(text)
    inv = load_inventory(path)
    value = "ro quiet memmap=12M*4096:oops"
    at = [text.index('"kernel_cmdline"', text.index(f'"{h}": {{')) for h in "abc"]
    for host, key_at in zip("abc", at, strict=True):
        var = inv.hosts[host].vars["kernel_cmdline"]
        assert var.value == value
        first = text.index('"ro', key_at) + 1
        assert (var.pos.line, var.pos.column) == counted(text, first)
        quiet = value.index("quiet")
        assert var.column_of(quiet) == counted(text, text.index("\\u0071", key_at))
        assert var.column_of(quiet + 1) == counted(text, text.index("uiet", key_at))
        mem = value.index("memmap")
        assert var.column_of(mem) == counted(text, text.index("memmap", key_at))


@given(
    st.text(alphabet=st.sampled_from(["a", "\n", "\r", " ", "\u00e9"]), max_size=40), st.randoms()
)
def test_positions_in_any_order_match_counting(text: str, rnd: random.Random) -> None:
    pos = LineIndex(text).positions("f.json")
    offsets = list(range(len(text) + 1)) * 2
    rnd.shuffle(offsets)
    for offset in offsets + sorted(offsets, reverse=True):
        assert (pos(offset).line, pos(offset).column) == counted(text, offset)


def test_a_duplicate_key_read_from_a_remembered_line() -> None:
    text = '{"o": {\n  "a": 1,\n  "b": 2\n}, "p": {\n  "a": 1,\n  "a": 1,\n  "b": 2\n}}'
    with pytest.raises(LintError) as info:
        parse(text, "t.json")
    assert (info.value.code, info.value.line, info.value.column) == ("MM604", 6, 3)
    assert "duplicate key 'a' (first at line 5, column 3;" in info.value.message
