"""Where placed regions collide: with each other and with explicit reservations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from memmap_lint.kernel.model import NO_FIT, UNSUPPORTED, Region, Simulation


@dataclass(frozen=True, slots=True)
class Overlap:
    """``region`` shares ``[start, end)`` with ``other`` (a region) or with an explicit reservation
    written as ``other_text``."""

    region: Region
    other: Region | None
    other_text: str
    start: int
    end: int


def reserved_regions(sim: Simulation) -> list[Region]:
    """Regions that hold memory (placed, unnamed or shadowed; not refused or unsupported)."""
    return [
        r
        for r in sim.regions
        if r.start is not None and r.size and r.status not in (NO_FIT, UNSUPPORTED)
    ]


def overlaps(sim: Simulation) -> list[Overlap]:
    """Every pair of reservations that claim the same bytes, in command-line order."""
    held = reserved_regions(sim)
    found: list[Overlap] = []
    for i, a in enumerate(held):
        assert a.start is not None
        for b in held[i + 1 :]:
            assert b.start is not None
            lo, hi = max(a.start, b.start), min(a.start + a.size, b.start + b.size)
            if lo < hi:
                found.append(Overlap(b, a, a.text, lo, hi))
        for start, size, _param, text in sim.reservations:
            lo, hi = max(a.start, start), min(a.start + a.size, start + size)
            if lo < hi:
                found.append(Overlap(a, None, text, lo, hi))
    return found


def largest(hi: int, fits: Callable[[int], bool]) -> int:
    """The largest ``n`` in ``[0, hi]`` with ``fits(n)``, for a ``fits`` true up to some point."""
    lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
