"""Phrasing shared by the MM4xx consumer rules (the kernel's reading is in
``memmap_lint.kernel.consumers`` and ``memmap_lint.kernel.names``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(name: str, candidates: Iterable[str]) -> list[str]:
    """Names that look like ``name`` (another case, a typo), best first, for a "did you mean"."""
    pool = sorted({c for c in candidates if c and c != name})
    same_case = [c for c in pool if c.lower() == name.lower()]
    rest = difflib.get_close_matches(name, [c for c in pool if c not in same_case], n=2)
    return same_case + rest
