"""Inline suppression in boot files: ``# memmap-lint: disable=MM402,unused-region``.

A directive in a comment on the line of a finding, or on the line before, silences the listed
rules (codes or slugs; ``all`` silences every rule) for findings located on that line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_DIRECTIVE = re.compile(r"#\s*memmap-lint:\s*disable\s*=\s*([A-Za-z0-9_,\s-]+)")


def directive_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Every rule word of every directive in ``text``: (line, column, word), 1-based."""
    for m in _DIRECTIVE.finditer(text):
        start = m.start(1)
        for item in re.finditer(r"[^,]+", m.group(1)):
            word = item.group().strip().split()[0] if item.group().strip() else ""
            if word:
                at = start + item.start() + item.group().index(word)
                line = text.count("\n", 0, at) + 1
                yield line, at - (text.rfind("\n", 0, at) + 1) + 1, word


def suppressed_codes(line: str) -> set[str]:
    """The rule codes and slugs a line's directive names (upper-cased codes, slugs as written)."""
    out: set[str] = set()
    for m in _DIRECTIVE.finditer(line):
        for item in m.group(1).split(","):
            word = item.strip().split()[0] if item.strip() else ""
            if not word:
                continue
            out.add(word.upper() if re.fullmatch(r"(?i)mm\d+", word) else word)
    return out
