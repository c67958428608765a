"""memblock's free memory and its allocator (mm/memblock.c, K6.12).

:class:`Memblock` holds ``memblock.memory`` minus ``memblock.reserved`` and allocates as
``memblock_phys_alloc_range()`` does. What x86 takes from it before ``reserve_mem=`` runs is
modelled in :mod:`memmap_lint.kernel.earlyboot`; :meth:`Memblock.for_table` is the coarse
version (the first 1 MiB and a headroom off the top) that the crash-kernel model uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from memmap_lint.kernel.e820 import U64, Entry, usable

PAGE_SIZE = 4096
#: arch/x86/realmode/init.c reserves [0, 1 MiB) for the trampoline and BIOS quirks.
LOW_RESERVED = 1 << 20
#: Default room left at the top of memory for setup_arch()'s own allocations.
DEFAULT_HEADROOM = 64 << 20


def memory_ranges(table: Iterable[Entry]) -> list[tuple[int, int]]:
    """``memblock.memory`` after ``e820__memblock_setup()``: usable ranges, merged, page-trimmed."""
    ranges: list[tuple[int, int]] = []
    for e in sorted(usable(table), key=lambda e: e.start):
        start, end = e.start, min(e.start + e.size, U64)
        if ranges and ranges[-1][1] >= start:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
    trimmed = []
    for start, end in ranges:
        s = (start + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
        t = end // PAGE_SIZE * PAGE_SIZE
        if t > s:
            trimmed.append((s, t))
    return trimmed


def subtract(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """``ranges`` without ``[start, end)``."""
    out: list[tuple[int, int]] = []
    for s, t in ranges:
        if t <= start or s >= end:
            out.append((s, t))
            continue
        if s < start:
            out.append((s, start))
        if t > end:
            out.append((end, t))
    return out


def add(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """``ranges`` (sorted, disjoint) with ``[start, end)`` added and merged."""
    out: list[tuple[int, int]] = []
    for s, t in sorted([*ranges, (start, end)]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], t))
        else:
            out.append((s, t))
    return out


def take_top(ranges: list[tuple[int, int]], amount: int) -> list[tuple[int, int]]:
    """Remove ``amount`` bytes from the top of ``ranges`` (what top-down early allocations use)."""
    out = list(ranges)
    while amount > 0 and out:
        s, t = out[-1]
        if t - s > amount:
            out[-1] = (s, t - amount)
            amount = 0
        else:
            amount -= t - s
            out.pop()
    return out


@dataclass(slots=True)
class Memblock:
    """Free memory as ``memblock_phys_alloc()`` sees it when reserve_mem runs."""

    free: list[tuple[int, int]]

    @classmethod
    def for_table(cls, table: Iterable[Entry], headroom: int = DEFAULT_HEADROOM) -> Memblock:
        free = subtract(memory_ranges(table), 0, LOW_RESERVED)
        return cls(take_top(free, headroom))

    def reserve(self, start: int, size: int) -> None:
        """``memblock_reserve(start, size)``."""
        self.free = subtract(self.free, start, start + size)

    def release(self, start: int, size: int) -> None:
        """``memblock_phys_free(start, size)`` of a range this model had reserved."""
        self.free = add(self.free, start, start + size)

    def largest(self) -> tuple[int, int] | None:
        """The largest free range as (start, size)."""
        if not self.free:
            return None
        s, t = max(self.free, key=lambda r: (r[1] - r[0], r[0]))
        return s, t - s

    def alloc(self, size: int, align: int, lo: int = 0, hi: int = U64) -> int | None:
        """``memblock_phys_alloc_range(size, align, lo, hi)``: top-down search then reserve; the
        start, or None (-ENOMEM).

        ``memblock_find_in_range_node()`` searches ``[max(lo, PAGE_SIZE), hi)``;
        ``__memblock_find_range_top_down()`` takes ``round_down(end - size, align)`` in the
        highest free range where it is not below the range's start.
        """
        mask = ~((align - 1) & U64) & U64
        for s, t in reversed(self.free):
            s, t = max(s, lo, PAGE_SIZE), min(t, hi)
            if t < size:
                continue
            cand = (t - size) & mask
            if cand >= s:
                self.free = subtract(self.free, cand, cand + size)
                return cand
        return None
