"""A region the booted command line asks for is not reserved on the running host.

What it finds:
    After the reboot (``memmap-lint verify``), each ``reserve_mem=`` or ``memmap=nn*align:name``
    region of the command line the host actually booted (``/proc/cmdline``) that the running
    kernel did not reserve: refused at boot (no room, a duplicate name, a full table, bad
    syntax), or not found by the consumers that looked it up by name (ramoops left its
    ``mem_size`` at 0, a trace instance printed ``Failed to map boot instance``, debugfs
    ``memblock/reserve_mem_param`` does not list it).

Why it matters:
    ``reserve_mem=`` fails silently before 7.1: mm/memblock.c ``reserve_mem()`` returns an error
    that init/main.c ``obsolete_checksetup()`` takes as handled, so nothing in the log says the
    region is missing. Whatever was meant to survive a crash in it (ramoops records, a boot trace
    buffer) has nowhere to go, and ``pstore`` stays empty after the next crash.

Example:
    ``reserve_mem=2G:4096:oops`` on a 1 GiB machine: memblock cannot allocate it (-ENOMEM), and
    ``ramoops.mem_name=oops`` finds nothing. MM701 names the parameter and why it failed.

How to fix:
    Make the region fit (``memmap-lint advise`` gives the largest size that fits), give each
    region its own name, keep at most 8; then reboot and run ``memmap-lint verify`` again.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import region_param, region_text, verdict

CODE = "MM701"
NAME = "region-missing"
SEVERITY = "error"
NEEDS_E820 = True


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None:
        return
    for item in found["regions"]:
        if item["state"] != "absent":
            continue
        text = region_text(ctx, item)
        if item["evidence"].startswith("refused"):
            why = f"the kernel refused it at boot: {item['note'] or item['status']}"
        else:
            why = (
                f"{item['evidence']}, although it was expected to fit "
                f"({human(item['size'])} at ~{item['predicted']:#x})"
                if item["predicted"] is not None
                else item["evidence"]
            )
        yield Hit(
            f"{text}: region {item['name']!r} is not reserved on the running kernel ({why}); "
            "nothing that looks it up by name gets memory, and nothing in the log says so.",
            region_param(ctx, item),
            text=text,
        )
