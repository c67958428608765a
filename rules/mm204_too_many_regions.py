"""More named regions than the kernel's table holds (8).

What it finds:
    The ninth and later named region: RFC wildcards beyond ``E820_MAX_MAPS`` (8) recorded names,
    ``reserve_mem=`` beyond ``RESERVE_MEM_MAX_ENTRIES`` (8) reserved regions. Only regions that
    take a slot count (the RFC counts recorded names, including duplicates; reserve_mem counts
    successful reservations); with an e820 map, regions that found no room do not count.

Why it matters:
    The RFC's ``e820_add_mmap()`` returns -1 when its 8 slots are used, which is ignored: the
    memory is reserved but unnamed, so nobody finds it. ``reserve_mem()`` checks the count before
    it even parses and returns ``-EBUSY``: nothing is reserved, silently up to at least 6.12 (RFC
    patch; mm/memblock.c; mm/memblock.c reserve_mem(); the RFC patch's memmap_named()).

Example:
    Nine ``reserve_mem=`` parameters, one per pstore/trace buffer.

How to fix:
    Use at most 8 named regions: merge small buffers into one region, or reserve fixed ranges with
    ``memmap=nn$ss`` for the rest.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import requests
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM204"
NAME = "too-many-regions"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    for req in requests(ctx.cmdline, ctx.kernel, ctx.sim):
        if not req.full:
            continue
        if req.kind == RESERVE_MEM:
            effect = (
                "reserve_mem() finds its 8 slots used and returns -EBUSY before reading the "
                "value (no message up to at least 6.12): nothing is reserved"
            )
        else:
            effect = (
                f"the RFC's 8 name slots are used: the {human(req.size)} is reserved but gets no "
                "name, so nobody can find it"
            )
        yield Hit(
            f"{req.text}: more than 8 named regions; {effect}. Use at most 8.",
            param=req.param,
            offset=req.offset,
            text=req.text,
        )
