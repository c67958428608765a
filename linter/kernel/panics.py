"""Command lines that stop the boot, predicted with or without a memory map.

``__e820__range_update()`` has ``BUG_ON(old_type == new_type)``; ``e820__finish_early_params()``
panics with "Invalid user supplied memory map" when ``e820__update_table()`` refuses a
user-defined table: an entry ending at or past 2^64, or fewer than two entries after
``exactmap`` (arch/x86/kernel/e820.c). With a simulation its verdict is final; without one only
what no later piece can undo is predicted.
"""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.e820 import U64
from memmap_lint.kernel.model import RFC, Region, Simulation
from memmap_lint.kernel.params import MemmapItem, kernel_items
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.simulate import PANIC_INVALID_MAP


def memmap_pieces(cmdline: Cmdline, kernel: Kernel) -> list[tuple[Param, MemmapItem]]:
    """Every ``memmap=`` piece of the command line, in order, as ``kernel`` reads it."""
    return [(p, item) for p in cmdline.named("memmap") for item in kernel_items(p, kernel)]


def update_bugs(cmdline: Cmdline, kernel: Kernel) -> list[tuple[Param, MemmapItem]]:
    """The ``memmap=nn%ss-N+N`` pieces that reach ``BUG_ON(old_type == new_type)``."""
    return [(p, it) for p, it in memmap_pieces(cmdline, kernel) if it.hits_update_bug]


def _panics(sim: Simulation | None) -> bool:
    return sim is None or sim.panic == PANIC_INVALID_MAP


def _last_exactmap(flat: list[tuple[Param, MemmapItem]]) -> int:
    return max((i for i, (_, it) in enumerate(flat) if it.form == "exactmap"), default=-1)


def wrapping_entries(
    cmdline: Cmdline, kernel: Kernel, sim: Simulation | None
) -> list[tuple[Param, MemmapItem]]:
    """Added entries that end at or past 2^64, making the final sanitize panic.

    Entries hidden by a later ``exactmap`` do not count. Without a simulation an entry that a
    later ``%``, memory limit or ``mem=`` may remove or shorten is left out; with one, nothing is
    reported unless the simulated boot panics with "Invalid user supplied memory map".
    """
    if not _panics(sim):
        return []
    flat = memmap_pieces(cmdline, kernel)
    last = _last_exactmap(flat)
    mem_starts = [p.start for p in cmdline.named("mem")]
    out: list[tuple[Param, MemmapItem]] = []
    for index, (param, item) in enumerate(flat):
        entry = item.appends
        if index <= last or entry is None:
            continue
        start, size = entry
        if not size or start + size <= U64:
            continue
        touched = any(
            (it.form == "%" and not it.trailing and it.appends is None) or it.form == "limit"
            for _, it in flat[index + 1 :]
        ) or any(m > param.start for m in mem_starts)
        if touched and sim is None:
            continue
        out.append((param, item))
    return out


@dataclass(frozen=True, slots=True)
class ShortExactmap:
    """``exactmap`` followed by fewer than two entries: ``appended`` were added after it."""

    param: Param
    item: MemmapItem
    appended: int


def short_exactmap(
    cmdline: Cmdline, kernel: Kernel, sim: Simulation | None
) -> ShortExactmap | None:
    """The last ``exactmap`` when fewer than two entries follow it and the boot panics for it.

    Without a simulation a later ``%`` that may split an entry in two leaves it unknown (None).
    """
    if not _panics(sim) or wrapping_entries(cmdline, kernel, sim):
        return None
    flat = memmap_pieces(cmdline, kernel)
    last = _last_exactmap(flat)
    if last < 0:
        return None
    after = [it for _, it in flat[last + 1 :]]
    appended = sum(1 for it in after if it.appends)
    splits = any(it.form == "%" and not it.trailing and it.appends is None for it in after)
    if appended >= 2 or (splits and sim is None):
        return None
    param, item = flat[last]
    return ShortExactmap(param, item, appended)


def wrapped_regions(sim: Simulation | None, kernel: Kernel) -> list[Region]:
    """RFC regions whose search wrapped below 0, so the reserved entry ends past 2^64."""
    if sim is None or kernel.dialect != RFC or not _panics(sim):
        return []
    return [r for r in sim.regions if r.start is not None and r.start + r.size > U64]
