"""Where a reserve_mem region really landed, against the approximate prediction.

What it finds:
    After the reboot (``memmap-lint verify``), each ``reserve_mem=`` region whose real address a
    consumer showed (ramoops' ``mem_address``, a trace instance's mapping), with its distance
    from the approximate address ``lint`` predicted. Information, not a problem.

Why it matters:
    mm/memblock.c ``reserve_mem()`` allocates top-down below what ``setup_arch()`` already took
    (page tables, the memory map, per-CPU areas, crash kernel), so the address depends on the
    kernel, the CPU count and the options, and the documentation says it may change between
    boots. The real address, kept per hardware profile in ``verify --format json``, is what a
    fleet learns about its mainline kernels.

Example:
    ``reserve_mem=12M:4096:oops`` landed at ``0x3de00000``, 42 MiB above the approximate
    ``~0x3b3e0000``.

How to fix:
    Nothing to fix. If the region must not move between boots, keep the kernel, its options and
    the memory size the same, or use a fixed ``memmap=`` region on a kernel that has it.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import region_param, region_text, span, verdict

CODE = "MM708"
NAME = "region-landed"
SEVERITY = "info"
NEEDS_E820 = True


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None:
        return
    for item in found["regions"]:
        if item["state"] != "present" or item["kind"] != "reserve_mem" or item["actual"] is None:
            continue
        text = region_text(ctx, item)
        distance = item["actual"] - item["predicted"]
        where = "above" if distance > 0 else "below"
        offset = f"{human(abs(distance))} {where}" if distance else "exactly at"
        yield Hit(
            f"{text}: region {item['name']!r} landed at "
            f"{span(item['actual'], item['actual_size'])} ({item['evidence']}), {offset} the "
            f"approximate ~{item['predicted']:#x}.",
            region_param(ctx, item),
            text=text,
        )
