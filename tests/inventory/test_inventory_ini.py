"""INI and --list JSON inventories: the parts checked against the real thing, positions, MM604,
fuzzing, and ``memmap-lint inventory.ini`` as a real process.

Where ansible-core is importable (the test extra), the INI value parser and host patterns are
compared with ansible-core's own ``plugins/inventory/ini.py`` (``_parse_value``,
``_expand_hostpattern``) on generated input; the host-line splitter is compared with CPython's
``shlex.split(line, comments=True)``, which is what Ansible calls.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memmap_lint.errors import LintError, LintErrors
from memmap_lint.inventory.hostpattern import PatternError, expand_hostpattern
from memmap_lint.inventory.ini import parse_value, read_ini
from memmap_lint.inventory.jsonpos import JNode, is_verbatim, parse, string_offsets
from memmap_lint.inventory.load import load_inventory
from memmap_lint.inventory.reader import Reader
from memmap_lint.inventory.shlex_split import ShlexError, split

FLEET = Path(__file__).parent.parent / "fixtures" / "inventory-interop"
LINE_CHARS = st.text(alphabet=" \t'\"\\#=ab1:[]-_.,{}()", max_size=30)


@given(LINE_CHARS)
def test_split_is_shlex_split_with_indexes(line: str) -> None:
    try:
        expected = shlex.split(line, comments=True)
    except ValueError as exc:
        with pytest.raises(ShlexError, match=str(exc)):
            split(line)
        return
    tokens = split(line)
    assert [t.text for t in tokens] == expected
    for t in tokens:
        assert len(t.index) == len(t.text)
        assert all(line[i] == c for i, c in zip(t.index, t.text, strict=True))


def _ansible_ini() -> Any:
    ini = pytest.importorskip("ansible.plugins.inventory.ini")
    return ini.InventoryModule()


@given(st.text(alphabet="'\"[]{}()0123456789.,:-+jxabTrueFalsNoe b#\\", max_size=24))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # ansible-core imports
def test_parse_value_is_ansibles(text: str) -> None:
    module = _ansible_ini()
    tags = pytest.importorskip("ansible._internal._datatag._tags")
    module._origin = tags.Origin(description="hypothesis")
    try:
        theirs = module._parse_value(text)
    except Exception:  # Ansible fails on it: so must we
        with pytest.raises(Exception):  # noqa: B017 - ValueFailure, whatever Ansible raised
            parse_value(text)
        return
    ours = parse_value(text)
    assert ours == theirs and isinstance(theirs, type(ours))  # Ansible's may be tagged subclasses


@given(st.text(alphabet="ab019:[]-_.", min_size=1, max_size=16))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # ansible-core imports
def test_host_patterns_are_ansibles(pattern: str) -> None:
    module = _ansible_ini()
    try:
        theirs = module._expand_hostpattern(pattern)
    except Exception:
        with pytest.raises(PatternError):
            expand_hostpattern(pattern)
        return
    assert expand_hostpattern(pattern) == (list(theirs[0]), theirs[1])


def test_values_and_positions_in_an_ini_file() -> None:
    inv = load_inventory(FLEET / "ini" / "hosts.ini")
    lines = (FLEET / "ini" / "hosts.ini").read_text().splitlines()
    web05 = inv.hosts["web05"]
    var = web05.vars["kernel_cmdline"]  # kernel_cmdline="ro memmap=12M*4096:oops" on line 8
    assert var.pos.line == 8
    assert var.column_of(3) == (8, lines[7].index("memmap=12M") + 1)
    assert web05.get("count") == 16 and web05.get("labels") == ["a", "b"]
    assert web05.pos.line == 8 and web05.pos.column == 1
    db = inv.hosts["db-01"].vars["kernel_cmdline"]  # a [db:vars] value in single quotes
    assert lines[db.pos.line - 1][db.column_of(24)[1] - 1 :].startswith("ramoops.mem_name")
    port = inv.hosts["web04"].vars["ansible_port"]
    assert (port.pos.line, port.pos.column) == (7, lines[6].index("2222") + 1)


BAD = """\
[web]
web01 kernel=6.10 kernel_features=memmap-wildcard
  web02 "unclosed
[web:vars]
dialect = rfcx
[web:nonsense]
[web:children]
nosuchgroup
[db:vars]
x=1
web[01:
"""


def test_mm604_errors_carry_line_and_column(tmp_path: Path) -> None:
    """Types come from Ansible's reading: ``6.10`` is the float 6.1, a bare word a string."""
    path = tmp_path / "bad.ini"
    path.write_text(BAD)
    with pytest.raises(LintErrors) as info:
        load_inventory(path)
    got = sorted((e.line or 0, e.column or 0, e.message) for e in info.value.errors)
    where = [(line, col) for line, col, _ in got]
    assert where == [(2, 14), (2, 35), (3, 3), (5, 11), (6, 1), (8, 1), (9, 1), (11, 1)]
    messages = [m for _, _, m in got]
    assert messages[0].startswith("web01.kernel: 6.1 is not of type 'string'")
    assert messages[1].startswith("web01.kernel_features: 'memmap-wildcard' is not of type 'array'")
    assert "No closing quotation" in messages[2]
    assert messages[3].startswith("[web:vars].dialect: 'rfcx' is not one of")
    assert "unknown type: nonsense" in messages[4]
    assert "undefined group 'nosuchgroup'" in messages[5]
    assert "[db:vars] not valid for undefined group 'db'" in messages[6]
    assert messages[7] == "Expected key=value, got: web[01:"


def test_json_positions_follow_escapes() -> None:
    text = '{"a": "x\\u00e9\\ud83d\\ude00\\ty", "b": [1, 2.5e1, true, null]}'
    root = parse(text, "t.json")
    assert root.value == json.loads(text)
    a = root.members[0][2]
    assert a.value == "x\u00e9\U0001f600\ty"
    assert [text[i] for i in string_offsets(text, a)] == ["x", "\\", "\\", "\\", "y"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES, st.booleans())
def test_json_walk_equals_json_loads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=1 if ascii_only else None)
    root = parse(text, "t.json")
    assert root.value == json.loads(text)

    def check(node: JNode) -> None:
        if isinstance(node.value, str):
            offsets = string_offsets(text, node)
            assert is_verbatim(node) == ("\\" not in text[node.offset : node.end])
            assert len(offsets) == len(node.value)
            for i, c in zip(offsets, node.value, strict=True):
                assert text[i] in (c, "\\")
        for _, _, n in node.members:
            check(n)
        for n in node.items:
            check(n)

    check(root)


@given(st.binary(max_size=200))
@settings(max_examples=300)
def test_any_ini_bytes_give_a_result_or_lint_errors(data: bytes) -> None:
    reader = Reader()
    read_ini(reader, data, "fuzz.ini")
    assert all(isinstance(e, LintError) and e.code == "MM604" for e in reader.errors)


@given(
    st.text(alphabet="[]:=#; \n'\"\\abw01.-_{}", max_size=120),
    st.sampled_from([".ini", ".json", ""]),
)
@settings(max_examples=200)
def test_any_inventory_text_loads_or_fails_cleanly(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"inv{suffix}"
        path.write_text(text)
        with contextlib.suppress(LintError, LintErrors):
            load_inventory(path)


def test_memmap_lint_on_an_ini_inventory_end_to_end() -> None:
    """The real CLI on the INI fleet: findings point into the INI file, at the parameter."""
    res = subprocess.run(
        [str(Path(sys.executable).parent / "memmap-lint"), "--format", "json", "hosts.ini"],
        cwd=FLEET / "ini",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1, res.stderr  # an error finding
    report = json.loads(res.stdout)
    lines = (FLEET / "ini" / "hosts.ini").read_text().splitlines()
    found = {(f["host"], f["code"]): f for f in report["findings"]}
    mm105 = found[("web05", "MM105")]  # a 6.1 kernel reads memmap=12M*4096:oops as memmap=12M
    assert (mm105["path"], mm105["line"]) == ("hosts.ini", 8)
    start = lines[7].index("memmap=12M*4096:oops")  # a column inside the parameter's text
    assert start < mm105["column"] - 1 < start + len("memmap=12M*4096:oops")
    mm407 = found[("db-01", "MM407")]  # from the [db:vars] line, inside single quotes
    line = lines[mm407["line"] - 1]
    start = line.index("ramoops.mem_name=oops")
    assert start <= mm407["column"] - 1 < start + len("ramoops.mem_name=oops")
