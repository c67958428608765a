"""A region that shares memory with another region, an explicit reservation, or non-RAM.

What it finds:
    A placed ``memmap=nn*align:name`` or ``reserve_mem=`` region that overlaps another region
    or an explicit ``memmap=nn$ss``/``nn#ss``/``nn!ss``/``nn%ss+type`` reservation, and a region
    whose range was not usable RAM in the table the RFC search saw (ACPI tables, firmware
    reserved memory, a hole). Regions taken from a stale slot are MM303's (stale-slot), and
    ``crashkernel=`` overlaps are MM309's (crashkernel-overlap).

Why it matters:
    The RFC adds its reservation with ``e820__range_add()``, which only appends an entry: the RAM
    entry it was cut from stays whole until the sanitize at the end of ``parse_early_param()``. A
    second wildcard therefore searches the same RAM entry and returns the same top-of-entry place,
    and ``e820__region()`` checks nothing against reservations appended earlier (the RFC patch's
    ``e820__region()``). Two consumers on one range overwrite each other's records (a pstore region
    and a trace buffer both lose their data), and a region on ACPI tables or firmware memory lets a
    consumer write over memory the firmware owns. ``reserve_mem=`` allocates through memblock, which
    does not hand out a range twice, so this mostly concerns the RFC.

Example:
    ``memmap=12M*4096:oops,12M*4096:trace`` on an RFC kernel: both land at the top of the
    highest RAM entry, on the same 12 MiB.

How to fix:
    On an RFC kernel, reserve one wildcard region per RAM entry and give other users an explicit
    ``memmap=nn$ss`` range outside it, or move to ``reserve_mem=`` (Linux >= 6.11), which gives
    each name its own memory. Keep explicit reservations clear of the regions.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import type_name
from memmap_lint.kernel.model import Region
from memmap_lint.kernel.placement import overlaps, reserved_regions
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import label, rng, shown

CODE = "MM302"
NAME = "overlap"
SEVERITY = "error"
NEEDS_E820 = True


def _hit(region: Region, message: str) -> Hit:
    return Hit(
        message,
        param=region.param,
        offset=region.offset,
        text=shown(region) if region.kind == "memmap-wildcard" else None,
    )


def _what(etype: int) -> str:
    if etype == 0:
        return "a hole (no memory the firmware reports: nothing, or device registers)"
    return f"{type_name(etype)} memory"


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    claimed: dict[int, list[tuple[int, int]]] = {}
    for ov in overlaps(sim):
        region = ov.region
        claimed.setdefault(id(region), []).append((ov.start, ov.end))
        if ov.other is not None:
            claimed.setdefault(id(ov.other), []).append((ov.start, ov.end))
            same = ov.other.start == region.start and ov.other.size == region.size
            where = "the same" if same else f"{human(ov.end - ov.start)} of"
            why = (
                " The RFC only appends a reservation and leaves the RAM entry whole, so a later "
                "wildcard searches the same entry and returns the same top-of-entry place."
                if region.kind == ov.other.kind == "memmap-wildcard"
                else ""
            )
            yield _hit(
                region,
                f"{shown(region)} and {shown(ov.other)} share {where} memory, "
                f"{rng(ov.start, ov.end)}: {label(region)} and {label(ov.other)} overwrite each "
                f"other's data.{why} Give one of them memory of its own.",
            )
        else:
            yield _hit(
                region,
                f"{shown(region)} lies on the explicit reservation memmap={ov.other_text} in "
                f"{rng(ov.start, ov.end)} ({human(ov.end - ov.start)}): the kernel checks neither "
                f"against the other, so the consumer of {label(region)} writes into memory "
                "reserved for something else. Move one of them.",
            )
    for region in reserved_regions(sim):
        if region.stale:
            continue  # MM303 reports regions taken from a stale slot, clashes included
        taken = claimed.get(id(region), [])
        at = region.start or 0
        for start, end, etype in region.clashes:
            if any(s <= start and end <= e for s, e in taken):
                continue
            yield _hit(
                region,
                f"{shown(region)} is placed at {rng(at, at + region.size)}, "
                f"and {rng(start, end)} ({human(end - start)}) of it is {_what(etype)} in the "
                "table the search saw, not RAM: e820__region() only looks at the slot it takes, "
                f"so the consumer of {label(region)} would write there. Take regions only from "
                "RAM the firmware reports (a memmap=nn@ss over reserved memory does not make it "
                "RAM) with a power-of-two alignment, or place the region explicitly.",
            )
