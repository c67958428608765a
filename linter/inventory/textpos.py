"""Variables read from INI and JSON inventories, with the column of every character of a string.

An INI host line or a JSON string changes the text between the file and the value (quotes and
escapes go), so a finding at character ``i`` of ``kernel_cmdline`` needs a map from each
character of the value to its column in the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.inventory.model import VarDef


@dataclass(frozen=True, slots=True)
class MappedVarDef(VarDef):
    """A variable whose string value's character ``i`` was written at column ``columns[i]``.

    ``columns`` is empty when the value is not a string or its text cannot be mapped (then every
    offset points at the value's first character, ``pos``).
    """

    columns: tuple[int, ...] = ()

    def column_of(self, offset: int) -> tuple[int, int]:
        cols = self.columns
        if 0 <= offset < len(cols):
            return self.pos.line, cols[offset]
        if cols and offset == len(cols):
            return self.pos.line, cols[-1] + 1
        return self.pos.line, self.pos.column


def line_col(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[offset]`` (lines end at ``\\n``, as json counts)."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)
