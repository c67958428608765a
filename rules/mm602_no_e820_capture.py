"""A host with memory parameters but no e820 map: the hardware checks were skipped.

What it finds:
    A host that has no e820 capture (no ``e820:`` in the inventory, nothing collected, or a
    boot file without a hardware profile) while its command line carries parameters that edit
    the memory map or place regions: ``memmap=``, ``mem=``, ``reserve_mem=``. Hosts without
    such parameters lose nothing and are not reported, so plain hosts stay quiet.

    Every rule with ``NEEDS_E820 = True`` is skipped for such a host: the MM3xx placement rules
    (does-not-fit, overlap, stale-slot, low-memory, large-reservation, placement-unstable,
    memory-limit-interaction, kaslr-scan-aborted, crashkernel-overlap) and any other rule that
    needs the simulated table. Capture files that exist but cannot be read are reported with
    this code by the loader, with their path and line.

Why it matters:
    What ``memmap=``/``reserve_mem=`` do depends on the firmware map: the same
    ``memmap=12M*4096:oops`` lands at another address, or nowhere, on another machine, and ``mem=``
    or ``memmap=nn`` limits are addresses, not amounts (arch/x86/kernel/e820.c parse_memmap_one(),
    parse_memopt(); mm/memblock.c memblock_phys_alloc_range(); the RFC patch's memmap_named()).
    Without the map none of that can be predicted; a clean report would only mean "not checked".

Example:
    A host ``web-01`` with ``kernel_cmdline: "reserve_mem=12M:4096:oops ramoops.mem_name=oops"``
    and no ``e820:`` variable.

How to fix:
    Add ``e820: captures/<host>.e820`` to the host (a ``dmesg`` with the ``BIOS-e820:`` lines,
    a copy of ``/sys/firmware/memmap`` or ``/proc/iomem``), or let memmap-lint read it over SSH
    (``memmap-lint --collect missing INVENTORY`` or ``memmap-lint collect INVENTORY``). A boot
    file has no host: map it to a capture with a ``boot-files`` profile in the config file, or
    lint it with ``--e820 CAPTURE``. For a boot file the finding is an info (its command-line
    and boot-config checks did run), so a pre-commit hook without hardware data stays quiet.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext

CODE = "MM602"
NAME = "no-e820-capture"
SEVERITY = "warning"
NEEDS_E820 = False

#: Parameters whose effect depends on the firmware map.
MAP_PARAMS = ("memmap", "mem", "reserve_mem")


def check(ctx: HostContext) -> Iterator[Hit]:
    if ctx.sim is not None:
        return
    found = ctx.cmdline.named(*MAP_PARAMS)
    if not found:
        return
    names = ", ".join(dict.fromkeys(f"{p.name}=" for p in found))
    skipped = (
        "(every placement rule, MM3xx, was skipped: fit, overlap, low memory, share of RAM, "
        "stability)"
    )
    if ctx.facts.get("linted_as") == "boot-file":
        # A boot file has no host: its map comes from the config or the command line. Without
        # one the file's own checks ran, so this is an info, not a failure of the hook.
        yield Hit(
            f"no e820 map for this boot file: what {names} will do on the hardware was not "
            f"checked {skipped}. Give it a map: a boot-files profile in the config "
            '([tool.memmap-lint.boot-files] "PATH" = {e820 = "CAPTURE"}), or lint it '
            "with --e820 CAPTURE.",
            param=found[0],
            severity="info",
        )
        return
    yield Hit(
        f"no e820 map for this host: what {names} will do on its hardware was not checked "
        f"{skipped}. Add 'e820: <capture file>' to the host or run with --collect missing.",
        param=found[0],
    )
