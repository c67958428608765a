"""ramoops.mem_address / ramoops.mem_size written beside ramoops.mem_name.

What it finds:
    ``ramoops.mem_name`` together with ``ramoops.mem_address`` and/or ``ramoops.mem_size`` on a
    kernel whose ramoops knows ``mem_name`` (6.11+, or the RFC patch). On older kernels the
    name is unknown and MM407 reports it instead.

Why it matters:
    ``ramoops_register_dummy()`` (fs/pstore/ram.c, commit d9d814eebb1a; the RFC's patch 2/2
    has the same code) overwrites ``mem_address`` and ``mem_size`` with the region when the
    name is found, so the explicit values are ignored while everything works. When the lookup
    fails (the region did not fit, its name changed, the next kernel lacks ``reserve_mem=``)
    nothing is printed and the explicit values take over: ramoops writes to that fixed range
    (with only ``mem_size``, to physical address 0 upwards) although nothing reserved it; on
    RAM ``persistent_ram_new()`` maps it with ``vmap`` and overwrites whatever lives there
    (fs/pstore/ram.c ramoops_probe()).

Example:
    ``reserve_mem=1M:4096:oops ramoops.mem_name=oops ramoops.mem_size=0x100000``.

How to fix:
    Keep only ``ramoops.mem_name=NAME``: the region supplies address and size.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import ramoops_last, ramoops_value, read_ramoops
from memmap_lint.rule import Hit, HostContext

CODE = "MM404"
NAME = "ramoops-conflicting-address"
SEVERITY = "warning"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    name = ramoops_last(ctx.cmdline, "mem_name")
    if name is None or not name.value or not ctx.kernel.has_mem_name:
        return
    explicit = [
        p
        for p in (ramoops_last(ctx.cmdline, "mem_address"), ramoops_last(ctx.cmdline, "mem_size"))
        if p is not None and p.value is not None and read_ramoops(p).value is not None
    ]
    if not explicit:
        return
    address = ramoops_value(ctx.cmdline, "mem_address")
    size = ramoops_value(ctx.cmdline, "mem_size")
    if size:
        fallback = (
            f"if the lookup of '{name.value}' ever fails, ramoops silently uses "
            f"{address:#x}-{address + size - 1:#x} instead, memory nothing reserved for it"
        )
    else:
        fallback = (
            f"if the lookup of '{name.value}' fails, mem_size stays 0 and ramoops does not start"
        )
    written = " and ".join(p.raw for p in explicit)
    yield Hit(
        f"{written} beside ramoops.mem_name={name.value}: while the region is found the kernel "
        f"overwrites both with the region's address and size, so these values are ignored; "
        f"{fallback}. Drop {written}.",
        param=explicit[0],
    )
