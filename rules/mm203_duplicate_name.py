"""Two regions with the same name.

What it finds:
    A named region (RFC wildcard or ``reserve_mem=``) whose name an earlier region already holds.
    With an e820 map, regions that found no room do not count (they record no name); without one,
    every region is assumed to be placed.

Why it matters:
    The RFC records both (``e820_add_mmap()`` does not check), and ``memmap_named()`` returns the
    first entry with a non-zero size: the later one reserves memory that nobody can find (and takes
    one of the 8 name slots). ``reserve_mem()`` checks and returns ``-EBUSY`` for the later one:
    nothing is reserved, silently up to at least 6.12 (the RFC patch's ``memmap_named()``;
    mm/memblock.c ``reserve_mem()``).

Example:
    ``reserve_mem=12M:4096:oops reserve_mem=1M:4096:oops``

How to fix:
    Give every region its own name, or remove the extra one.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import REJECTED, SHADOWED, requests
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM203"
NAME = "duplicate-name"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    for req in requests(ctx.cmdline, ctx.kernel, ctx.sim):
        if req.first is None or req.fate not in (SHADOWED, REJECTED):
            continue
        if req.kind == RESERVE_MEM:
            effect = (
                "reserve_mem() returns -EBUSY (no message up to at least 6.12): nothing is "
                "reserved for it"
            )
        else:
            effect = (
                f"the RFC kernel reserves its {human(req.size)} too, but memmap_named() returns the "
                "first match, so that memory is reserved for nobody"
            )
        yield Hit(
            f"{req.text}: the name '{req.name}' is already taken by {req.first.text} (column {req.first.offset + 1}); {effect}. "
            "Give each region its own name.",
            param=req.param,
            offset=req.name_offset,
            text=req.text,
        )
