"""A named region that the kernel cannot place: nothing is reserved.

What it finds:
    A ``memmap=nn*align:name`` (RFC kernels) or ``reserve_mem=nn:align:name`` (Linux >= 6.11) region
    that finds no room in the host's memory map. It says the largest usable range and the largest
    size that would still be placed, the rest of the command line unchanged. A region that fails
    only because a ``mem=``/bare ``memmap=nn`` limit removed the RAM it needed is left to MM307
    (memory-limit-interaction), and a wildcard read as a limit by a kernel without the RFC to MM105,
    and one that fails only because ``crashkernel=`` took its room to MM309. A ``reserve_mem=``
    region that fits only if what cannot be known offline is kind (the CPU count, where physical
    KASLR puts the kernel image, an initrd) is a warning that names the room left and what would tip
    it.

Why it matters:
    Both kernels fail silently. The RFC's ``e820__region()`` walks the e820 table by index from slot
    ``nr_entries`` down to 0 and returns the top of the first RAM entry that holds
    ``ALIGN_DOWN(end - size, align)``; when none does, ``parse_memmap_one()`` returns -EINVAL, which
    ``parse_memmap_opt()`` ignores. Because the walk goes by index, not by address, an entry
    appended earlier on the command line (``memmap=1M@1M``) is searched first, and if it ends below
    the requested size the u64 subtraction wraps to a negative value: the search stops there and
    fails although higher RAM could hold the region (the RFC patch's e820__region(),
    memmap_named()). ``reserve_mem()`` returns -ENOMEM when ``memblock_phys_alloc()`` finds no free
    range; up to at least Linux 6.12 nothing is printed (mm/memblock.c reserve_mem(),
    memblock_phys_alloc_range()). Either way no region exists, so ``ramoops.mem_name=`` or
    ``trace_instance=...@name`` find nothing and the data they were meant to keep is not kept.

Example:
    ``reserve_mem=64G:4096:oops`` on a machine with 8 GiB of RAM; or, on an RFC kernel,
    ``memmap=1M@1M memmap=12M*4096:oops``, where the appended 1 MiB entry is searched first.

How to fix:
    Ask for no more than the largest size the finding names (a pstore region needs a few MiB),
    lower the alignment, or, for the RFC's wrap, put the wildcard before the ``memmap=nn@ss``
    piece that is searched first.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import largest_usable
from memmap_lint.kernel.model import NO_FIT, PLACED, RFC, WILDCARD, Region
from memmap_lint.kernel.sizes import human, kernel_size
from memmap_lint.kernel.whatif import (
    holders,
    largest_fit,
    placed_without_limits,
    size_span,
    table_before,
    wrapping_add,
)
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import rng, shown
from memmap_lint.rules.mm309_crashkernel_overlap import crash_blames

CODE = "MM301"
NAME = "region-does-not-fit"
SEVERITY = "error"
NEEDS_E820 = True


def _suggest(ctx: HostContext, region: Region, size: int) -> str:
    """The parameter as written with its size replaced by ``size``."""
    span = size_span(region)
    text = ctx.cmdline.text
    if span is None:
        return shown(region)
    whole = (
        (region.offset, region.offset + len(region.text))
        if region.kind == WILDCARD
        else (region.param.start, region.param.end)
    )
    out = text[whole[0] : span[0]] + kernel_size(size) + text[span[1] : whole[1]]
    return f"memmap={out}" if region.kind == WILDCARD else out


def _fit_text(ctx: HostContext, index: int, region: Region, approx: str) -> str:
    assert ctx.sim is not None
    fit = largest_fit(ctx.sim, ctx.kernel, index)
    if fit is None:
        return ""
    if fit == 0:
        return f" No size of this alignment{approx} would be placed there."
    return f" {_suggest(ctx, region, fit)} would be placed{approx}."


def _rfc(ctx: HostContext, index: int, region: Region) -> str:
    assert ctx.sim is not None
    size, align = region.size, region.align or 0
    name = f"'{region.name}'" if region.name else "the region"
    head = (
        f"{shown(region)} is not reserved: nothing is printed, memmap_named() finds no {name}, "
        "and its consumers get nothing."
    )
    prefix = table_before(ctx.sim, ctx.kernel, region)
    could = holders(prefix.table, size, align)
    if could:
        best = max(could, key=lambda e: (e.size, e.start))
        culprit = wrapping_add(ctx.cmdline, region)
        why = (
            f" e820__region() walks the table by index from slot nr_entries down, not by address, "
            f"and gives up at the first RAM entry that ends below {human(size)}: the u64 "
            "subtraction wraps to a negative start and the piece returns -EINVAL"
        )
        if culprit:
            why += (
                f"; {culprit} appended such an entry before this piece, so it is searched first. "
                "Put the wildcard before it on the command line"
            )
        return (
            f"{head} RAM that could hold it exists ({rng(best.start, best.end)}, "
            f"{human(best.size)}), but{why}."
        )
    biggest = largest_usable(prefix.table)
    room = (
        f" The largest RAM range is {rng(biggest.start, biggest.end)} ({human(biggest.size)})."
        if biggest
        else " The table has no RAM at that point."
    )
    return (
        f"{head} e820__region() finds no RAM entry that holds {human(size)} aligned to "
        f"{align:#x} (-EINVAL).{room}{_fit_text(ctx, index, region, '')}"
    )


def _mainline(ctx: HostContext, index: int, region: Region) -> str:
    assert ctx.sim is not None
    name = f"'{region.name}'" if region.name else "the region"
    msg = (
        f"{shown(region)} is not reserved: memblock_phys_alloc() finds no free {human(region.size)} "
        f"aligned to {(region.align or 0):#x}, reserve_mem() returns -ENOMEM (Linux up to at "
        f"least 6.12 prints nothing) and consumers of {name} find no region."
    )
    free = ctx.sim.largest_free
    if free:
        msg += (
            f" The largest free range is about {human(free[1])} at {free[0]:#x} (approximate: "
            "setup_arch() allocates from the top before reserve_mem runs)."
        )
    return msg + _fit_text(ctx, index, region, " (approximately)")


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    crash_blamed = crash_blames(ctx)
    for index, region in enumerate(sim.regions):
        if region.status == PLACED and region.risk:
            yield Hit(
                f"{shown(region)} may not be reserved: {region.risk}.{_fit_text(ctx, index, region, '')}",
                param=region.param,
                severity="warning",
            )
            continue
        if region.status != NO_FIT or placed_without_limits(sim, ctx.kernel, index):
            continue
        if index in crash_blamed:
            continue
        if region.kind == WILDCARD and sim.dialect == RFC:
            message = _rfc(ctx, index, region)
        else:
            message = _mainline(ctx, index, region)
        yield Hit(
            message,
            param=region.param,
            offset=region.offset,
            text=shown(region) if region.kind == WILDCARD else None,
        )
