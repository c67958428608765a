"""A memmap= form that stops the kernel at boot (a BUG or a panic the reference confirms).

What it finds:
    - ``memmap=nn%ss-N+N``: old and new type equal (after the kernel keeps their low 32 bits), which
      reaches ``BUG_ON(old_type == new_type)`` in ``__e820__range_update()`` (arch/x86/kernel/e820.c __e820__range_update());
    - an added entry (``nn@ss``, ``nn$ss``, ``nn#ss``, ``nn!ss``, ``nn%ss+T``) that ends at or past 2^64,
      and ``memmap=exactmap`` followed by fewer than two entries: ``e820__update_table()`` refuses
      the map and ``e820__finish_early_params()`` panics with ``Invalid user supplied memory map``
      (arch/x86/kernel/e820.c e820__update_table(); arch/x86/kernel/e820.c e820__finish_early_params()). With an e820 map the simulation decides (an RFC wildcard whose
      arithmetic wraps is found there too); without one the command line alone does, and an
      ``exactmap`` case that depends on the map is left out.

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

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.model import RFC
from memmap_lint.kernel.params import MemmapItem
from memmap_lint.kernel.sizes import U64, human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._cmdline_common import (
    PANIC,
    U32,
    appends,
    bug_on_update,
    items,
    pitfall,
    wrapping_entries,
    written,
)

CODE = "MM110"
NAME = "kernel-bug-trigger"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    flat: list[tuple[Param, MemmapItem]] = [
        (p, item) for p in ctx.cmdline.named("memmap") for item in items(ctx.kernel, p)
    ]
    for param, item in flat:
        if bug_on_update(item):
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
    sim = ctx.sim
    if sim is not None and sim.panic != PANIC:
        return  # the simulated boot gets past e820__finish_early_params()
    last = max((i for i, (_, it) in enumerate(flat) if it.form == "exactmap"), default=-1)
    found = False
    for param, item in wrapping_entries(ctx):
        found = True
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
    appended = sum(1 for index, (_, it) in enumerate(flat) if index > last and appends(it))
    splits = any(
        it.form == "%" and not it.trailing and appends(it) is None
        for index, (_, it) in enumerate(flat)
        if index > last
    )
    if found:
        return
    if last >= 0 and appended < 2 and (not splits or sim is not None):
        param, item = flat[last]
        yield Hit(
            f"critical: memmap=exactmap drops the firmware map and only {appended} "
            f"{'entry follows' if appended == 1 else 'entries follow'}; the sanitize needs at "
            f"least two, so the kernel panics with '{PANIC}'. After exactmap list every usable "
            "range (memmap=exactmap,640K@0,<size>@1M,...).",
            param=param,
            offset=item.offset,
            text=f"memmap={item.text}",
        )
        return
    if sim is not None and ctx.kernel.dialect == RFC:
        for region in sim.regions:
            if region.start is not None and region.start + region.size > U64:
                yield Hit(
                    f"critical: memmap={region.text}: the RFC's search wrapped below 0 and returned "
                    f"{region.start:#x}; the reserved entry ends past 2^64 and the kernel panics "
                    f"with '{PANIC}'. The wildcard's size is larger than the RAM entry it searched "
                    "(the RFC patch's memmap_named()).",
                    param=region.param,
                    offset=region.offset,
                    text=f"memmap={region.text}",
                )
                return
