"""A region name of 16 bytes or more.

What it finds:
    The name of an RFC wildcard ``memmap=nn*align:name`` or of a ``reserve_mem=size:align:name``
    that is 16 bytes or longer (UTF-8 bytes, as the kernel counts them with ``strlen``).

    Ownership: the name's length is this rule's; an empty name is MM201's and a comma in an RFC
    name MM205's (the name the kernel sees is the part before the comma, and it is the length of
    that part that counts here).

Why it matters:
    Both tables hold names of at most 15 bytes plus the NUL (``E820_MAP_NAME_SIZE`` and
    ``RESERVE_MEM_NAME_SIZE``, 16). The RFC's ``e820_add_mmap()`` returns ``-EINVAL``, which is
    ignored: the memory is reserved but no name is recorded, so nobody finds it. ``reserve_mem()``
    rejects the whole parameter with ``-EINVAL``: nothing is reserved, silently up to at least
    6.12 (RFC patch; mm/memblock.c reserve_mem(); the RFC patch's memmap_named()).

Example:
    ``reserve_mem=12M:4096:pstore_oops_buffer`` (18 bytes).

How to fix:
    Use a name of at most 15 bytes (``oops``, ``pstore``) in both the region and its consumer.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import named
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM202"
NAME = "name-too-long"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    for req in named(ctx.cmdline, ctx.kernel):
        if req.name is None or "too-long" not in req.faults:
            continue
        length = len(req.name.encode("utf-8", "surrogateescape"))
        if req.kind == RESERVE_MEM:
            effect = (
                "reserve_mem() rejects the whole parameter (-EINVAL, no message up to at least "
                "6.12): nothing is reserved"
            )
        else:
            effect = (
                f"the RFC kernel still reserves the {human(req.size)}, but e820_add_mmap() refuses "
                "the name, so no consumer can ever find that memory"
            )
        yield Hit(
            f"{req.text}: the name '{req.name}' is {length} bytes and at most 15 fit; {effect}. "
            f"Use a shorter name, e.g. '{req.name.encode()[:15].decode('utf-8', 'ignore')}', "
            "in the region and in its consumer.",
            param=req.param,
            offset=req.name_offset,
            text=req.text,
        )
