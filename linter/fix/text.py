"""Applying edits to text, and showing them as a unified diff."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Sequence


def overlapping(spans: Iterable[tuple[int, int]]) -> bool:
    """Whether any two of the ``[start, end)`` spans overlap (touching insertions do too)."""
    ordered = sorted(spans)
    return any(b[0] < a[1] or (a == b and a[0] == a[1]) for a, b in itertools.pairwise(ordered))


def apply_spans(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    """``text`` with each non-overlapping ``(start, end, new)`` applied."""
    out: list[str] = []
    at = 0
    for start, end, new in sorted(edits):
        out.append(text[at:start])
        out.append(new)
        at = end
    out.append(text[at:])
    return "".join(out)


def unified_diff(path: str, before: str, after: str) -> str:
    """A ``diff -u`` of one file (``a/`` and ``b/`` prefixes, as git and ruff print it)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{path.lstrip('/')}",
        f"b/{path.lstrip('/')}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
