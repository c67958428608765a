"""Inline suppression in boot files: ``# memmap-lint: disable=MM402,unused-region``.

A directive in a comment on the line of a finding, or on the line before, silences the listed
rules (codes or slugs; ``all`` silences every rule) for findings located on that line.
"""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(r"#\s*memmap-lint:\s*disable\s*=\s*([A-Za-z0-9_,\s-]+)")


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
