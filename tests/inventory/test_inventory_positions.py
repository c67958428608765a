"""Positions in INI and JSON inventories: one index per text, the same answer as counting."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from memmap_lint.inventory.textpos import LineIndex


def counted(text: str, offset: int) -> tuple[int, int]:
    """Line and column by counting newlines from the start (the definition)."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


@given(st.text(alphabet=st.sampled_from(["a", "\n", "\r", " ", "\u00e9", "\u2028"]), max_size=40))
def test_line_index_matches_counting(text: str) -> None:
    index = LineIndex(text)
    pos = index.positions("f.json")
    for offset in range(len(text) + 1):
        assert index.line_col(offset) == counted(text, offset)
        assert (pos(offset).line, pos(offset).column) == counted(text, offset)


def test_dotted_values_are_text_as_literal_eval_says() -> None:
    """The shortcut for digits and dots (IP addresses) answers as ``ast.literal_eval`` does."""
    import ast
    import itertools

    from memmap_lint.inventory.ini import parse_value

    for n in range(1, 7):
        for chars in itertools.product("0.1", repeat=n):
            text = "".join(chars)
            try:
                expected = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                expected = text
            if expected is ...:
                expected = "..."
            assert parse_value(text) == expected, text


class _Count:
    """Counts the host entries a reader reports (the progress line's one call)."""

    def __init__(self) -> None:
        self.n = 0

    def advance(self) -> None:
        self.n += 1


def test_ini_and_json_inventories_report_progress(tmp_path: Path) -> None:
    from typing import Any

    from memmap_lint.inventory.load import load_inventory

    ini = tmp_path / "hosts.ini"
    ini.write_text("[web]\nweb[01:03]\n[db]\ndb01\n")
    js = tmp_path / "list.json"
    js.write_text('{"_meta": {"hostvars": {}}, "web": {"hosts": ["a", "b"]}}')
    for path, hosts in ((ini, 4), (js, 2)):
        count = _Count()
        progress: Any = count
        assert len(load_inventory(path, progress).hosts) == hosts
        assert count.n == hosts
