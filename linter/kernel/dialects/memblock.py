"""A model of memblock for ``reserve_mem=`` (mm/memblock.c, Linux >= 6.11).

``reserve_mem`` runs in ``parse_args("Booting kernel")``, after all of ``setup_arch()`` has made
its own top-down allocations (page tables, ACPI, NUMA data, crashkernel, CMA...). Those cannot be
known offline, so the free memory here is the final e820 RAM, page-trimmed as
``e820__memblock_setup()`` does, minus the first 1 MiB that x86 always reserves and minus a
headroom taken from the top for the early allocations. Fit or no-fit is reliable when the margin
is larger than the headroom; the address is approximate, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from memmap_lint.kernel.e820 import RAM, RESERVED_KERN, U64, Entry

PAGE_SIZE = 4096
#: arch/x86/realmode/init.c reserves [0, 1 MiB) for the trampoline and BIOS quirks.
LOW_RESERVED = 1 << 20
#: Default room left at the top of memory for setup_arch()'s own allocations.
DEFAULT_HEADROOM = 64 << 20


def memory_ranges(table: Iterable[Entry]) -> list[tuple[int, int]]:
    """``memblock.memory`` after ``e820__memblock_setup()``: usable ranges, merged, page-trimmed."""
    ranges: list[tuple[int, int]] = []
    for e in sorted(table, key=lambda e: e.start):
        if e.type not in (RAM, RESERVED_KERN) or not e.size:
            continue
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

    def largest(self) -> tuple[int, int] | None:
        """The largest free range as (start, size)."""
        if not self.free:
            return None
        s, t = max(self.free, key=lambda r: (r[1] - r[0], r[0]))
        return s, t - s

    def alloc(self, size: int, align: int, lo: int = 0, hi: int = U64) -> int | None:
        """``memblock_phys_alloc_range(size, align, lo, hi)``: top-down search then reserve; the
        start, or None (-ENOMEM)."""
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
