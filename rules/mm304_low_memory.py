"""A region placed in low memory: below 1 MiB, over the kernel image's 16 MiB, or below 4 GiB.

What it finds:
    A placed region that starts below the rule's ``limit`` option (4 GiB by default) on a machine
    that still has RAM above that limit, and any region that reaches into the first MiB or covers 16
    MiB. A region taken from a stale slot is MM303's. A region that a ``mem=`` limit pushed down is
    not reported here (no RAM is left above the limit; MM307 explains the limit). On a machine whose
    RAM all lies below the limit there is no other place, and nothing is reported.

Why it matters:
    The RFC search goes by table index, not by address, so an entry appended earlier on the command
    line (``memmap=nn@ss``) or a stale slot is searched before the high RAM; and an alignment of 0
    makes ``ALIGN_DOWN`` a mask of 0, which puts the region at physical 0 (the RFC patch's
    memmap_named()). Memory below 4 GiB is ZONE_DMA32 (below 16 MiB ZONE_DMA): devices that address
    only 32 bits and the swiotlb bounce buffer (64 MiB by default) must be served from it. When the
    region covers all RAM below 1 MiB, ``reserve_real_mode()`` finds no memory for the real-mode
    trampoline ("No sub-1M memory is available for the trampoline"); on BIOS boots the kernel is
    then expected to panic ("Real mode trampoline was not allocated"), which was read from
    arch/x86/realmode/init.c but not confirmed by a boot. A region over 16 MiB covers the kernel
    image when physical KASLR is off (the EFI stub turns it off when ``memmap=`` is present,
    arch/x86/boot/compressed/kaslr.c handle_mem_options()): ``e820_add_kernel_range()`` turns the
    image range back into RAM, so the region and the running kernel share memory
    (arch/x86/kernel/setup.c setup_arch()).

Example:
    ``memmap=12M*:oops`` (alignment 0) on an RFC kernel: the region is ``[0, 12M)``.

How to fix:
    Give the wildcard a power-of-two alignment (``memmap=12M*4096:oops``), put it before any
    ``memmap=nn@ss`` on the command line, or use ``reserve_mem=`` on Linux >= 6.11, which
    allocates from the top of memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import usable
from memmap_lint.kernel.kaslr import LOAD_PHYSICAL_ADDR
from memmap_lint.kernel.model import RFC, Region
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext, Option
from memmap_lint.rules._mm3_common import GIB, MIB, rng, shown

CODE = "MM304"
NAME = "low-memory"
SEVERITY = "warning"
NEEDS_E820 = True
OPTIONS = (Option("limit", 1 << 32, "a placed region starting below this is reported", "size"),)


def _hit(region: Region, message: str, severity: str | None = None) -> Hit:
    text = shown(region) if region.kind == "memmap-wildcard" else None
    return Hit(message, region.param, region.offset, text, severity)


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    limit = ctx.options["limit"]
    ram = usable(sim.table)
    for region in reserved_regions(sim):
        assert region.start is not None
        start, end = region.start, region.start + region.size
        about = "about " if region.approximate else ""
        where = f"{shown(region)} is placed at {about}{rng(start, end)}"
        if region.align == 0 and region.kind == "memmap-wildcard":
            where += (
                " because its alignment is 0: ALIGN_DOWN with alignment 0 is a mask of 0, so "
                "e820__region() returns 0 and only an entry starting at 0 passes"
            )
        image = (
            " It also covers 16 MiB (0x1000000), where the kernel image is decompressed when "
            "physical KASLR is off (the EFI stub turns it off because memmap= is present): "
            "e820_add_kernel_range() then turns the image's range back into RAM, and the region "
            "shares memory with the running kernel."
            if start <= LOAD_PHYSICAL_ADDR < end and sim.dialect == RFC
            else ""
        )
        if start < MIB and sim.dialect == RFC:
            left = sum(min(e.end, MIB) - e.start for e in ram if e.start < MIB)
            if not left:
                yield _hit(
                    region,
                    f"{where}. It takes all RAM below 1 MiB, so reserve_real_mode() finds no "
                    "memory for the real-mode trampoline ('No sub-1M memory is available for the "
                    "trampoline'); on BIOS boots the kernel is expected to panic with 'Real mode "
                    "trampoline was not allocated' (read from arch/x86/realmode/init.c, not "
                    f"confirmed by a boot).{image} Give it a power-of-two alignment.",
                    "error",
                )
            else:
                yield _hit(
                    region,
                    f"{where}, in the first MiB: the BIOS data area, the EBDA and the real-mode "
                    f"trampoline live there ({human(left)} of RAM below 1 MiB is left).{image} Give "
                    "it a power-of-two alignment so that it lands at the top of RAM.",
                    "error" if image else None,
                )
            continue
        if image:
            yield _hit(region, f"{where}.{image} Move the region above the kernel.", "error")
            continue
        if region.stale or start >= limit or not any(e.end > limit for e in ram):
            continue  # a stale slot's region is MM303's
        low = sum(min(e.end, 4 * GIB) - e.start for e in ram if e.start < 4 * GIB)
        if sim.dialect == RFC:  # the RFC carved the region out of the final table's RAM
            low += min(end, 4 * GIB) - start
        if sim.dialect == RFC:
            why = (
                f"although the machine has RAM above {human(limit)}: the RFC search takes the "
                f"first RAM slot by table index, not the highest address, and slot {region.slot} "
                "came before the high RAM (entries appended by earlier memmap=nn@ss pieces, and "
                "slot nr_entries, are searched first)"
            )
        else:
            why = (
                f"although the machine has RAM above {human(limit)}: memblock allocates top-down, "
                "so the RAM above had no room left for it (approximate: the early allocations of "
                "setup_arch() are not known offline)"
            )
        dma = (
            f" Memory below 4 GiB is ZONE_DMA32: devices that address only 32 bits and the "
            f"swiotlb bounce buffer (64 MiB by default) are served from it; the region takes "
            f"{human(min(end, 4 * GIB) - start)} of the {human(low)} there."
            if start < 4 * GIB
            else ""
        )
        yield _hit(region, f"{where}, {why}.{dma}")
