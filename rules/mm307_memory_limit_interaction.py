"""A ``mem=`` or bare ``memmap=nn`` limit that changes where a region lands, or removes its RAM.

What it finds:
    A memory limit (``mem=nn`` or a ``memmap=`` piece the kernel reads as the bare ``nn`` form,
    typos included) that (a) on an RFC kernel comes after a wildcard and removes the RAM the
    region was placed in, or (b) acts before a region and makes it land elsewhere or fail.
    On Linux >= 6.11 every limit acts before every ``reserve_mem=``, whatever the order, so only
    the failure is reported there. This rule owns the failures a limit causes (MM301 skips them);
    a ``memmap=nn*align:name`` that a kernel without the RFC reads as a limit is MM105's.

Why it matters:
    ``memmap=`` pieces and ``mem=`` are early parameters applied one by one in command-line order
    (init/main.c start_kernel(), arch/x86/kernel/setup.c setup_arch(); arch/x86/kernel/e820.c
    parse_memmap_one()); each limit calls ``e820__range_remove(nn, ULLONG_MAX - nn, RAM)`` on the
    table as it is at that moment (arch/x86/kernel/e820.c parse_memopt()). The RFC wildcard searches
    that same table: with ``mem=4G`` first it only sees RAM below 4 GiB; with ``mem=4G`` after it,
    the region is placed first and the limit then removes the RAM around it, leaving the reserved
    entry above the RAM the kernel keeps. ``reserve_mem=`` runs much later, in ``parse_args("Booting
    kernel")``, so every limit has already cut the memory it allocates from (mm/memblock.c
    memblock_phys_alloc_range()). Moving or dropping the limit later moves the region, and what it
    kept is lost on that boot.

Example:
    ``memmap=12M*4096:oops mem=4G`` on an RFC kernel, or ``reserve_mem=4G:4096:big mem=2G``.

How to fix:
    Decide which should win: put the limit before the wildcard to keep the region inside the
    RAM the kernel keeps, raise the limit, or reserve less.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import INVALID, RFC, UNSUPPORTED, WILDCARD
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import human
from memmap_lint.kernel.whatif import Limit, limits, without_limits
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import rng, shown

CODE = "MM307"
NAME = "memory-limit-interaction"
SEVERITY = "warning"
NEEDS_E820 = True


def _hit(lim: Limit, message: str, severity: str | None = None) -> Hit:
    return Hit(message, param=lim.param, offset=lim.offset, text=lim.text, severity=severity)


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    lims = [lim for lim in limits(ctx.cmdline, ctx.kernel) if not lim.wildcard]
    if not lims:
        return
    rfc = sim.dialect == RFC
    if rfc:
        for region in reserved_regions(sim):
            assert region.start is not None
            end = region.start + region.size
            after = [lim for lim in lims if lim.offset > region.offset and end > lim.value]
            if region.kind != WILDCARD or not after:
                continue
            lim = after[0]
            yield _hit(
                lim,
                f"{lim.text} comes after {shown(region)}: the kernel applies memmap= and mem= in "
                f"command-line order, so the region is placed first at {rng(region.start, end)} "
                f"and {lim.text} then removes every RAM byte at or above {human(lim.value)}, "
                "the RAM around the region included. The reserved entry stays, outside the RAM "
                "the kernel keeps (a consumer maps it with ioremap, not as RAM). Put "
                f"{lim.text} before the wildcard to keep the region inside the RAM that remains; "
                "either way, changing the order later moves the region and loses its contents.",
            )
    for index, region in enumerate(sim.regions):
        if region.status in (UNSUPPORTED, INVALID):
            continue
        before = [lim for lim in lims if not rfc or lim.offset < region.offset]
        if region.kind == WILDCARD and not rfc:
            continue
        if not before:
            continue
        other = without_limits(sim, ctx.kernel, before)
        if other is None:
            continue
        free = other.regions[index]
        lim = min(before, key=lambda x: x.value)
        order = (
            f"{lim.text} comes before {shown(region)} (memmap= and mem= act in command-line order)"
            if rfc
            else f"{lim.text} is an early parameter and acts before reserve_mem=, wherever it is"
        )
        if region.start is None and free.start is not None:
            about = "about " if free.approximate else ""
            yield _hit(
                lim,
                f"{order}: it removes every RAM byte at or above {human(lim.value)}, and "
                f"{shown(region)} ({human(region.size)}) then finds no room, so nothing is "
                f"reserved. Without the limit it would be placed at {about}"
                f"{rng(free.start, free.start + free.size)}. Raise the limit or reserve less.",
                "error",
            )
        elif (
            rfc
            and region.start is not None
            and free.start is not None
            and region.start != free.start
        ):
            yield _hit(
                lim,
                f"{order}: the search sees only RAM below {human(lim.value)} and places "
                f"{shown(region)} at {rng(region.start, region.start + region.size)} instead of "
                f"{rng(free.start, free.start + free.size)}. Its place now depends on the limit: "
                "changing or dropping it moves the region, and what the region kept is lost on "
                "that boot.",
                "info",
            )
