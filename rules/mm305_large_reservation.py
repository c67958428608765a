"""A region that takes a large share of the machine's RAM.

What it finds:
    A placed ``memmap=nn*align:name`` or ``reserve_mem=`` region whose size is more than
    the rule's ``share`` option (0.10, 10 % by default) of the RAM in the host's firmware
    map. Regions that are not placed are MM301's (or MM105's/MM106's when the kernel does not
    support them).

Why it matters:
    The memory is taken away before the page allocator sees it: an RFC region becomes an e820
    reserved entry, a ``reserve_mem=`` region a memblock reservation (mm/memblock.c
    memblock_phys_alloc_range(); the RFC patch's memmap_named()). The kernel and applications can
    never use it, on every boot. Consumers need little: ramoops keeps its records, console and
    ftrace zones in a few MiB (fs/pstore/ram.c ramoops_probe()); a boot-mapped trace instance needs
    its ring buffer. A size typed with the wrong suffix (``12G`` for ``12M``) is the usual cause.

Example:
    ``reserve_mem=12G:4096:oops`` on a machine with 32 GiB of RAM.

How to fix:
    Reserve what the consumer needs (for ramoops: the sum of record, console, ftrace and pmsg
    sizes), or raise ``share`` in the configuration (``[tool.memmap-lint.rules.MM305]``) if the size
    is intended.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import usable
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext, Option
from memmap_lint.rules._mm3_common import shown

CODE = "MM305"
NAME = "large-reservation"
SEVERITY = "warning"
NEEDS_E820 = True
OPTIONS = (Option("share", 0.10, "the largest share of the RAM a region may take", "float"),)


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    total = sum(e.size for e in usable(sim.firmware))
    share = ctx.options["share"]
    if not total:
        return
    for region in reserved_regions(sim):
        part = region.size / total
        if part <= share:
            continue
        yield Hit(
            f"{shown(region)} takes {human(region.size)}, {part:.0%} of the machine's "
            f"{human(total)} of RAM (the limit is {share:.0%}): the kernel and applications never "
            "get this memory, on every boot. A ramoops region needs a few MiB, a trace instance its "
            "ring buffer: check the size and its suffix.",
            param=region.param,
            offset=region.offset,
            text=shown(region) if region.kind == "memmap-wildcard" else None,
        )
