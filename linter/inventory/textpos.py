"""Variables read from INI and JSON inventories, with the column of every character of a string.

An INI host line or a JSON string changes the text between the file and the value (quotes and
escapes go), so a finding at character ``i`` of ``kernel_cmdline`` needs a map from each
character of the value to its column in the file; and a line index gives the line and column of
any offset of a text in O(log n), so that positions cost the same at the end of a large file as
at its start.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from memmap_lint.inventory.model import Pos, VarDef


@dataclass(frozen=True, slots=True)
class MappedVarDef(VarDef):
    """A variable whose string value's character ``i`` was written at column ``columns[i]``.

    A value written as it reads (no quotes or escapes inside) keeps only the column of its first
    character, ``first`` (its characters follow one another). ``columns`` is empty and ``first``
    0 when the value is not a string or its text cannot be mapped (then every offset points at
    the value's first character, ``pos``).
    """

    columns: tuple[int, ...] = ()
    first: int = 0

    def column_of(self, offset: int) -> tuple[int, int]:
        if self.first:
            if 0 <= offset <= len(self.value):
                return self.pos.line, self.first + offset
            return self.pos.line, self.pos.column
        cols = self.columns
        if 0 <= offset < len(cols):
            return self.pos.line, cols[offset]
        if cols and offset == len(cols):
            return self.pos.line, cols[-1] + 1
        return self.pos.line, self.pos.column


def mapped(value: Any, pos: Pos, key_pos: Pos, columns: Sequence[int]) -> MappedVarDef:
    """A one-line variable whose string characters sit at ``columns`` (kept compact)."""
    if columns and columns[-1] - columns[0] == len(columns) - 1:  # increasing: consecutive
        return MappedVarDef(value, pos, key_pos, True, first=columns[0])
    return MappedVarDef(value, pos, key_pos, True, tuple(columns))


_NEWLINE = re.compile("\n")


class LineIndex:
    """The line and column of any offset of one text, in O(log lines) (one scan of the text).

    Lines end at ``\\n`` only, as the json module counts them.
    """

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        starts = array("q", [0])
        starts.extend(m.end() for m in _NEWLINE.finditer(text))
        self._starts = starts

    def positions(self, path: str) -> Callable[[int], Pos]:
        """A function giving the ``Pos`` in file ``path`` of an offset (one call per value)."""
        starts = self._starts

        def pos(offset: int) -> Pos:
            line = bisect_right(starts, offset)
            return Pos(path, line, offset - starts[line - 1] + 1)

        return pos

    def line_col(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``text[offset]``."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1
