"""A memmap= form that stops the kernel at boot (a BUG or a panic, as recorded boots confirm).

What it finds:
    - ``memmap=nn%ss-N+N``: old and new type equal (after the kernel keeps their low 32 bits), which
      reaches ``BUG_ON(old_type == new_type)`` in ``__e820__range_update()`` (arch/x86/kernel/e820.c
      __e820__range_update());
    - an added entry (``nn@ss``, ``nn$ss``, ``nn#ss``, ``nn!ss``, ``nn%ss+T``) that ends at or past
      2^64, and ``memmap=exactmap`` followed by fewer than two entries: ``e820__update_table()``
      refuses the map and ``e820__finish_early_params()`` panics with ``Invalid user supplied memory
      map`` (arch/x86/kernel/e820.c e820__update_table(), e820__finish_early_params()). With an e820
      map the simulation decides (an RFC wildcard whose arithmetic wraps is found there too);
      without one the command line alone does, and an ``exactmap`` case that depends on the map is
      left out.

Why it matters:
    All three stop the boot before a console is up; the machine does not come back without a
    rescue boot (arch/x86/kernel/e820.c).

Example:
    ``memmap=1G%0x100000000-2+2``, ``memmap=exactmap,3G@0``,
    ``memmap=16M$0xffffffffff800000``.

How to fix:
    Give ``%`` two different types (``-1+2`` turns RAM into reserved; to add a range of one type
    use ``nn%ss+T`` or ``nn$ss``); keep every range below 2^64; after ``exactmap`` list every
    usable range of the machine (at least two entries).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import U32
from memmap_lint.kernel.misread import pitfall, written
from memmap_lint.kernel.panics import short_exactmap, update_bugs, wrapped_regions, wrapping_entries
from memmap_lint.kernel.simulate import PANIC_INVALID_MAP as PANIC
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM110"
NAME = "kernel-bug-trigger"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    line, kernel, sim = ctx.cmdline, ctx.kernel, ctx.sim
    for param, item in update_bugs(line, kernel):
        shown = f"memmap={item.text}"
        cut = [
            written(item.text, raw)
            for raw in (item.old_raw, item.new_raw)
            if raw is not None and raw.value > U32
        ]
        why = f" (the kernel keeps the low 32 bits of {' and '.join(cut)})" if cut else ""
        yield Hit(
            f"critical: {shown}: old and new type are both {item.old_type}{why}, so "
            "e820__range_update() hits BUG_ON(old_type == new_type) and the kernel stops at "
            f"boot. Use two different types, or memmap={item.text.split('-')[0]}+"
            f"{item.new_type} to add a range of type {item.new_type}.",
            param=param,
            offset=item.offset,
            text=shown,
        )
    wrapping = wrapping_entries(line, kernel, sim)
    for param, item in wrapping:
        assert item.start is not None and item.size is not None
        start, size = item.start.value, item.size.value
        shown = f"memmap={item.text}"
        misread = [
            reason
            for number, role in ((item.size, "the size"), (item.start, "the address"))
            if (reason := pitfall(item.text, number, role)) is not None
        ]
        because = f" ({'; '.join(misread)})" if misread else ""
        yield Hit(
            f"critical: {shown}: the entry starts at {start:#x} and is {human(size)} long{because}, "
            f"so it ends at or past 2^64; the sanitize refuses the whole map and the kernel "
            f"panics with '{PANIC}'. Check the address and the size.",
            param=param,
            offset=item.offset,
            text=shown,
        )
    if wrapping:
        return
    short = short_exactmap(line, kernel, sim)
    if short is not None:
        n = short.appended
        yield Hit(
            f"critical: memmap=exactmap drops the firmware map and only {n} "
            f"{'entry follows' if n == 1 else 'entries follow'}; the sanitize needs at "
            f"least two, so the kernel panics with '{PANIC}'. After exactmap list every usable "
            "range (memmap=exactmap,640K@0,<size>@1M,...).",
            param=short.param,
            offset=short.item.offset,
            text=f"memmap={short.item.text}",
        )
        return
    for region in wrapped_regions(sim, kernel)[:1]:
        assert region.start is not None
        yield Hit(
            f"critical: memmap={region.text}: the RFC's search wrapped below 0 and returned "
            f"{region.start:#x}; the reserved entry ends past 2^64 and the kernel panics "
            f"with '{PANIC}'. The wildcard's size is larger than the RAM entry it searched "
            "(the RFC patch's memmap_named()).",
            param=region.param,
            offset=region.offset,
            text=f"memmap={region.text}",
        )
