"""A region is reserved elsewhere, or with another size, than the simulation predicted.

What it finds:
    After the reboot (``memmap-lint verify``), a region whose real place differs from the
    prediction for the command line the host booted: for ``memmap=`` (stock and rfc kernels),
    the ``user-defined physical RAM map`` the kernel printed differs from the simulated table;
    for ``reserve_mem=``, the size a consumer found differs from the one asked for (the address
    of a ``reserve_mem=`` region is approximate and reported in ``--format json``, not here).

Why it matters:
    The prediction is exact for ``memmap=`` (arch/x86/kernel/e820.c), so a difference means the
    firmware map or the kernel is not the one the prediction used (a BIOS update, another kernel,
    an option the simulation did not see). A region that moves between boots loses what the
    previous boot left in it: ramoops records and boot trace buffers are read from where the new
    boot put the region.

Example:
    ``memmap=12M*4096:oops`` was predicted at ``0x7f400000``; the kernel printed the reserved
    entry at ``0x7d400000`` because the firmware map changed after a BIOS update.

How to fix:
    Collect the host again (``memmap-lint collect --refresh``), check what changed in its map or
    kernel, and lint the command line against the new facts before the next reboot.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import region_param, region_text, span, verdict

CODE = "MM702"
NAME = "region-moved"
SEVERITY = "error"
NEEDS_E820 = True


def _entries(rows: list[list[int]]) -> str:
    return ", ".join(f"{span(start, size)} type {etype}" for start, size, etype in rows)


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None:
        return
    table = found["table"]
    if table.get("checked") and not table.get("matches"):
        yield Hit(
            "the user-defined physical RAM map the kernel printed at boot differs from the "
            f"simulated one: expected {_entries(table['missing']) or 'nothing more'}; "
            f"printed {_entries(table['unexpected']) or 'nothing more'}. The firmware map or "
            "the kernel is not the one the prediction used."
        )
    for item in found["regions"]:
        if item["state"] != "moved" or item["kind"] != "reserve_mem":
            continue
        text = region_text(ctx, item)
        expected = (
            f"not {span(item['predicted'], item['size'])} as predicted"
            if item["predicted"] is not None
            else f"although the simulation predicted the kernel would refuse it ({item['note']})"
        )
        yield Hit(
            f"{text}: region {item['name']!r} is {span(item['actual'], item['actual_size'])} "
            f"({item['evidence']}), {expected}.",
            region_param(ctx, item),
            text=text,
        )
