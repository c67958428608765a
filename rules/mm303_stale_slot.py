"""An RFC wildcard region taken from the slot one past the end of the e820 table.

What it finds:
    A ``memmap=nn*align:name`` region (RFC kernels) that ``e820__region()`` placed in slot
    ``nr_entries``: a slot outside the table, whose contents are left over from before (after
    ``memmap=exactmap``, the firmware's own entries). It says what the slot held and what the
    region lies on. This rule owns such regions entirely: MM302 does not report their clashes.

Why it matters:
    The RFC's search loop starts at ``i = e820_table->nr_entries`` instead of ``nr_entries - 1``
    (the RFC patch's e820__region(), memmap_named()). ``memmap=exactmap`` only sets ``nr_entries``
    to 0 (arch/x86/kernel/e820.c parse_memmap_one()), so after
    ``memmap=exactmap,640K@0,1G@1M,1G@4G`` slot 3 still holds the firmware's fourth entry. If that
    entry is RAM, the region is carved from memory the user's map does not declare: a hole, or
    memory the firmware reserved, and its place follows the firmware's table, not the command line.
    When ``nr_entries`` equals the array size the read is past the array's end; the simulator cannot
    know what lies there.

Example:
    ``memmap=exactmap,640K@0,1G@1M,1G@4G memmap=12M*4096:oops`` on a QEMU q35 machine with
    8 GiB: slot 3 is the firmware's ``[mem 0x100000-0x7ffd9fff] usable``, and the region lands
    at 0x7f3da000, outside the 1 GiB the user declared there.

How to fix:
    On an RFC kernel do not combine ``memmap=exactmap`` with a wildcard; reserve the range
    explicitly with ``memmap=nn$ss`` inside the RAM you declare instead. On Linux 6.11 or later
    use ``reserve_mem=``, which has no such slot.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import is_usable, type_name
from memmap_lint.kernel.model import Region, Simulation
from memmap_lint.kernel.params import memmap_items
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import rng, shown

CODE = "MM303"
NAME = "stale-slot"
SEVERITY = "error"
NEEDS_E820 = True


def _exactmap_before(ctx: HostContext, region: Region) -> bool:
    for p in ctx.cmdline.named("memmap"):
        for item in memmap_items(p, True):
            if item.offset >= region.offset:
                return False
            if item.form == "exactmap":
                return True
    return False


def _held_there(sim: Simulation, region: Region, exactmap: bool) -> str:
    """What slot ``region.slot`` held, when it can be told from the firmware map."""
    slot = region.slot
    assert slot is not None and region.start is not None
    end = region.start + region.size
    if exactmap and slot < len(sim.firmware):
        old = sim.firmware[slot]
        if is_usable(old.type) and old.start <= region.start and end <= old.end:
            return (
                f"that slot still holds the firmware's entry {old.describe()}, which "
                "memmap=exactmap hid by setting the count to 0"
            )
    return "that slot holds whatever an earlier step left there"


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    for region in reserved_regions(sim):
        if not region.stale or region.slot is None or region.start is None:
            continue
        exactmap = _exactmap_before(ctx, region)
        start, end = region.start, region.start + region.size
        head = (
            f"{shown(region)} is taken from slot {region.slot}, one past the end of the "
            f"{region.slot}-entry table: the RFC's e820__region() starts its search at index "
            f"nr_entries, and {_held_there(sim, region, exactmap)}. The region is placed at "
            f"{rng(start, end)}"
        )
        if region.clashes:
            parts = ", ".join(
                f"{rng(s, e)} {'a hole' if t == 0 else type_name(t)} ({human(e - s)})"
                for s, e, t in region.clashes
            )
            yield Hit(
                f"{head}, which is not RAM in the table you declared: {parts}. Its place follows "
                "the firmware's old table, not your command line, and its consumer writes to "
                "memory the map does not give it. Reserve the range explicitly with "
                "memmap=nn$ss inside your RAM instead.",
                param=region.param,
                offset=region.offset,
                text=shown(region),
            )
        else:
            yield Hit(
                f"{head}, inside RAM you declared only by chance: its place follows the "
                "stale slot's contents, so a different firmware map or one more memmap= entry "
                "moves it (and the data kept in it is lost on that boot). Reserve the range "
                "explicitly with memmap=nn$ss instead.",
                param=region.param,
                offset=region.offset,
                text=shown(region),
                severity="warning",
            )
