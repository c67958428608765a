"""``crashkernel=`` and a region or explicit reservation that claim the same memory.

What it finds:
    ``crashkernel=size@offset`` whose range meets a placed wildcard region or an explicit
    ``memmap=`` reservation (``$``, ``#``, ``!``, ``%...+type``): the crash kernel's reservation
    then fails. On Linux >= 6.11 it also finds ``reserve_mem=`` regions that no longer fit once
    the crash kernel has taken its memory (the simulator reserves it first, as ``setup_arch()``
    does; MM301 leaves those to this rule). Overlaps between regions and explicit reservations
    are MM302's.

Why it matters:
    ``memmap=`` edits the e820 table in ``parse_early_param()``; reserved entries never become
    memblock memory. ``crashkernel=`` is reserved later in ``setup_arch()`` with
    ``memblock_phys_alloc_range()``: for a fixed offset the whole range must be free memblock memory
    (aligned to 1 MiB on 6.1, to CRASH_ALIGN, 16 MiB, from the generic code of 6.9 on), otherwise
    the kernel prints "crashkernel reservation failed - memory is in use." and kdump has no memory.
    ``crashkernel=size`` without an offset is placed by the kernel: top-down below 4 GiB first, 16
    MiB aligned, then above 4 GiB (with 256 MiB more below 4 GiB for DMA); it avoids e820
    reservations, so it cannot meet an RFC region, but it is taken before ``reserve_mem=`` runs (a
    ``__setup`` parameter handled in ``start_kernel()``, mm/memblock.c memblock_phys_alloc_range()),
    so it shrinks the room a region has. The kernel uses the last ``crashkernel=`` without a
    ``,high``/``,low`` suffix (``get_last_crashkernel()``, a plain substring search).

Example:
    ``memmap=12M*4096:oops crashkernel=256M@0x270000000`` on an RFC kernel and a machine whose
    region lands at the top of RAM, inside that range.

How to fix:
    Give the crash kernel a range clear of every reservation, or let the kernel place it
    (``crashkernel=256M``); on Linux >= 6.11 leave room for both.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.crashkernel import Crash, read_crashkernel
from memmap_lint.kernel.dialects.memblock import memory_ranges
from memmap_lint.kernel.model import MAINLINE, NO_FIT, PLACED, RESERVE_MEM, WILDCARD
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import human, kernel_size
from memmap_lint.kernel.whatif import rerun, same_shape
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import rng, shown

CODE = "MM309"
NAME = "crashkernel-overlap"
SEVERITY = "error"
NEEDS_E820 = True


def crash_blames(ctx: HostContext) -> list[int]:
    """Indexes of the reserve_mem regions that find no room only because of ``crashkernel=``
    (the simulator reserves the crash kernel first; the same command line without it places
    them)."""
    sim = ctx.sim
    if sim is None or sim.panic or sim.dialect != MAINLINE:
        return []
    failed = [i for i, r in enumerate(sim.regions) if r.kind == RESERVE_MEM and r.status == NO_FIT]
    crash = read_crashkernel(ctx.cmdline, sum(t - s for s, t in memory_ranges(sim.table)))
    if not failed or crash is None or crash.param is None:
        return []
    text = ctx.cmdline.text
    other = rerun(sim, ctx.kernel, text[: crash.param.start] + text[crash.param.end :])
    if not same_shape(sim, other):
        return []
    return [i for i in failed if other.regions[i].status == PLACED]


def _hit(crash: Crash, message: str, severity: str | None = None) -> Hit:
    return Hit(message, param=crash.param, offset=crash.offset, text=crash.text, severity=severity)


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    system_ram = sum(t - s for s, t in memory_ranges(sim.table))
    crash = read_crashkernel(ctx.cmdline, system_ram)
    if crash is None:
        return
    if crash.base:
        lo, hi = crash.base, crash.base + crash.size
        claims = [
            (shown(r), r.start, r.start + r.size)
            for r in reserved_regions(sim)
            if r.kind == WILDCARD and r.start is not None
        ]
        claims += [(f"memmap={text}", s, s + n) for s, n, _p, text in sim.reservations]
        for what, s, e in claims:
            a, b = max(lo, s), min(hi, e)
            if a < b:
                yield _hit(
                    crash,
                    f"{crash.text} asks for {rng(lo, hi)}, and {what} reserves {rng(a, b)} of it "
                    "in the e820 map first (parse_early_param()); reserved memory is not memblock "
                    "memory, so reserve_crashkernel() fails with 'crashkernel reservation failed "
                    "- memory is in use.' and kdump gets no memory. Move the crash kernel, or let "
                    f"the kernel place it (crashkernel={kernel_size(crash.size)}).",
                )
                return
    if sim.dialect != MAINLINE:
        return
    where = "at its fixed address" if crash.base else "top-down, below 4 GiB first"
    for index in crash_blames(ctx):
        r = sim.regions[index]
        yield _hit(
            crash,
            f"{crash.text}: setup_arch() reserves {human(crash.size)} for the crash kernel "
            f"({where}) before reserve_mem= runs, and then {shown(r)} finds no room: "
            "reserve_mem() returns -ENOMEM, nothing is reserved and nothing is printed; without "
            "the crash kernel it would be placed. Leave room for both (the early allocations "
            "are modelled).",
        )
