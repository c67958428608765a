"""A named region whose name is empty.

What it finds:
    The RFC wildcard ``memmap=nn*align:`` (nothing after the ``:``) and ``reserve_mem=size:align:``
    with an empty name or a name of only whitespace (possible inside quotes; whitespace as the
    kernel's ``isspace()`` knows it: bytes 0x09-0x0D, 0x20 and 0xA0).

Why it matters:
    The RFC's ``e820_add_mmap()`` refuses an empty name with ``-EINVAL``, which the caller ignores:
    the memory is still reserved, but no name is recorded, so ``memmap_named()`` never finds it:
    reserved memory nobody can use. ``reserve_mem()`` requires 1 to 15 characters with at least
    one that is not whitespace and otherwise returns ``-EINVAL``: nothing is reserved, silently up
    to at least 6.12 (RFC patch; mm/memblock.c reserve_mem(); the RFC patch's memmap_named()).

Example:
    ``memmap=12M*4096: ramoops.mem_name=oops`` (the name was forgotten).

How to fix:
    Name the region and use the same name in its consumer: ``reserve_mem=12M:4096:oops
    ramoops.mem_name=oops``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import named
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM201"
NAME = "name-empty"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    for req in named(ctx.cmdline, ctx.kernel):
        faults = req.faults
        if "empty" not in faults and "blank" not in faults:
            continue
        blank = "empty" if "empty" in faults else "only whitespace"
        if req.kind == RESERVE_MEM:
            effect = (
                "reserve_mem() needs a name with a visible character and returns -EINVAL "
                "(no message up to at least 6.12): nothing is reserved"
            )
        else:
            effect = (
                f"the RFC kernel reserves the {human(req.size)} but e820_add_mmap() refuses the "
                "name, so no consumer can ever find that memory"
            )
        yield Hit(
            f"{req.text}: the name is {blank}; {effect}. Add a name (1 to 15 bytes) and give the "
            "same name to the consumer (ramoops.mem_name=, trace_instance=...@NAME).",
            param=req.param,
            offset=req.name_offset,
            text=req.text,
        )
