"""The seed RFC's wildcard: ``e820__region()`` and the name table, bug for bug.

Source: "[POC][RFC][PATCH 1/2] mm/x86: Add wildcard * option as memmap=nn*align:name"
(Steven Rostedt, 2024-04-09), arch/x86/kernel/e820.c as it patches it.
"""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.kernel.e820 import U64, Table, is_usable

E820_MAX_MAPS = 8
E820_MAP_NAME_SIZE = 16


@dataclass(frozen=True, slots=True)
class Search:
    """The result of ``e820__region(size, align)``.

    ``start`` is the u64 the function returned (``U64`` for its -1); ``slot`` the index it stopped
    at; ``stale`` that this slot lay past ``nr_entries``; ``unknown`` that the search would have
    read past the array's end (its contents cannot be known).
    """

    start: int
    slot: int | None
    stale: bool
    unknown: bool

    @property
    def negative(self) -> bool:
        """The caller's ``(s64)start_at < 0`` test."""
        return bool(self.start >> 63)


def align_down(x: int, align: int) -> int:
    """``ALIGN_DOWN(x, a)`` in u64: ``x & ~(a - 1)`` (align 0 gives 0; odd aligns clear odd bits)."""
    return x & ~((align - 1) & U64) & U64


def region(table: Table, size: int, align: int) -> Search:
    """Walk slots from ``nr_entries`` (one past the end) down to 0; first usable fit wins."""
    unknown = False
    for i in range(table.nr_entries, -1, -1):
        entry = table.slot(i)
        if entry is None:
            unknown = True
            continue
        if not is_usable(entry.type):
            continue
        start = ((entry.start + entry.size) - size) & U64
        start = align_down(start, align)
        if start >= entry.start:
            return Search(start, i, i >= table.nr_entries, unknown)
    return Search(U64, None, False, unknown)


def name_faults(name: str) -> frozenset[str]:
    """What ``e820_add_mmap`` finds wrong with a name itself: ``empty``, ``too-long``."""
    if not name:
        return frozenset({"empty"})
    if len(name.encode("utf-8", "surrogateescape")) >= E820_MAP_NAME_SIZE:
        return frozenset({"too-long"})
    return frozenset()


def name_status(name: str, count: int) -> str | None:
    """Why ``e820_add_mmap`` refuses a name (None: it records it); ``count`` names so far."""
    faults = name_faults(name)
    if "empty" in faults:
        return "the name is empty"
    if "too-long" in faults:
        return f"the name is {len(name.encode('utf-8', 'surrogateescape'))} bytes (at most 15 fit)"
    if count >= E820_MAX_MAPS:
        return f"the name table is full ({E820_MAX_MAPS} names)"
    return None
