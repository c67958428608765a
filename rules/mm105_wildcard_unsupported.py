"""memmap=nn*align:name on a kernel without the wildcard patch.

What it finds:
    A ``memmap=`` piece of the RFC wildcard form (``nn*align:name``) on a kernel that does not
    carry the RFC patch: every released kernel, stock or mainline.

    Ownership: this rule owns the wildcard piece on such kernels; MM109 (memory-limit) skips it.
    The other pieces of the same ``memmap=`` value are read on their own by MM101/MM109 (on the
    RFC kernel, the rest of a name cut at a comma is MM205's). The limit also takes the kernel
    image's RAM, which the kernel gives back (MM310); this finding already says the machine
    does not boot, so it is reported alone (``SUPERSEDES``).

Why it matters:
    ``parse_memmap_one()`` reads the size with ``memparse()``, which stops at ``*``. No branch
    handles ``*``, so the piece falls into the bare ``memmap=nn`` branch, which calls
    ``e820__range_remove(nn, ULLONG_MAX - nn, E820_TYPE_RAM, 1)``: every byte of RAM at or above
    physical address ``nn`` is removed. ``memmap=12M*4096:oops`` leaves the machine with less
    than 12 MiB of RAM; it does not boot (arch/x86/kernel/e820.c ``parse_memmap_one``).

Example:
    ``memmap=12M*4096:oops ramoops.mem_name=oops`` booted on Debian's 6.1 kernel.

How to fix:
    On Linux 6.11 or later use ``reserve_mem=12M:4096:oops`` with ``ramoops.mem_name=oops``.
    Only keep the wildcard form for kernels that carry the RFC patch, and declare it in the
    inventory (``kernel_features: [memmap-wildcard]``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RFC
from memmap_lint.kernel.params import memmap_items
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM105"
NAME = "wildcard-unsupported"
SEVERITY = "error"
NEEDS_E820 = False
SUPERSEDES = ("MM310",)


def check(ctx: HostContext) -> Iterator[Hit]:
    if ctx.kernel.dialect == RFC:
        return
    for param in ctx.cmdline.named("memmap"):
        for item in memmap_items(param, wildcard=True):
            if item.form != "*" or item.size is None:
                continue
            size = item.size.value
            fix = (
                f" Use reserve_mem={item.text[: item.size.end]}:"
                f"{item.text[item.size.end + 1 : item.align.end] if item.align else '0'}:"
                f"{item.name or 'NAME'} instead."
                if ctx.kernel.has_reserve_mem
                else " This kernel has no reserve_mem= either (it needs 6.11): drop the parameter or boot a kernel that supports it."
            )
            yield Hit(
                f"critical: this kernel has no memmap wildcard; it reads memmap={item.text[: item.size.end]}: "
                f"every byte of RAM above {human(size)} is dropped and the machine will not boot.{fix}",
                param=param,
                offset=item.offset,
                text=f"memmap={item.text}",
            )
