"""Variables read from INI and JSON inventories, with the column of every character of a string.

An INI host line or a JSON string changes the text between the file and the value (quotes and
escapes go), so a finding at character ``i`` of ``kernel_cmdline`` needs a map from each
character of the value to its column in the file; and a line index gives the line and column of
any offset of a text in O(log n), so that positions cost the same at the end of a large file as
at its start.
"""

from __future__ import annotations

import re
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from memmap_lint.inventory.model import Pos, VarDef
from memmap_lint.quickinit import quick_init


@quick_init
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


def mapped(value: Any, pos: Pos, columns: Sequence[int]) -> MappedVarDef:
    """A one-line variable whose string characters sit at ``columns`` (kept compact)."""
    if columns and columns[-1] - columns[0] == len(columns) - 1:  # increasing: consecutive
        return MappedVarDef(value, pos, True, first=columns[0])
    return MappedVarDef(value, pos, True, tuple(columns))


def as_written(value: str, pos: Pos) -> MappedVarDef:
    """A string variable written as it reads from ``pos`` on (no quotes or escapes inside)."""
    return MappedVarDef(value, pos, True, (), pos.column)


_NEWLINE = re.compile("\n")
#: past the end of any text
_END = sys.maxsize


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
        """A function giving the ``Pos`` in file ``path`` of an offset (one call per value).

        It keeps the line of its last answer: an offset on that line or the next one costs no
        search, so reading a text from start to end is linear.
        """
        starts = self._starts
        last = len(starts)  # the number of lines
        line, lo, hi = 1, 0, starts[1] if last > 1 else _END  # line ``line`` is [lo, hi)

        def pos(offset: int) -> Pos:
            nonlocal line, lo, hi
            if not lo <= offset < hi:
                if hi <= offset and (line + 1 >= last or offset < starts[line + 1]):
                    line, lo = line + 1, hi
                else:
                    line = bisect_right(starts, offset)
                    lo = starts[line - 1]
                hi = starts[line] if line < last else _END
            return Pos(path, line, offset - lo + 1)

        return pos

    def line_col(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``text[offset]``."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1
