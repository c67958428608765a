"""A boot trace instance of the booted command line is missing or not mapped to its region.

What it finds:
    After the reboot (``memmap-lint verify``), each ``trace_instance=NAME@REGION`` (or
    ``NAME@ADDR:SIZE``) of the command line the host booted whose instance is not in tracefs
    ``instances/``, or is there without the boot mapping it asked for.

Why it matters:
    kernel/trace/trace.c ``enable_instances()`` (6.12) looks ``REGION`` up with
    ``reserve_mem_find_by_name()``; when it is missing it prints ``Failed to map boot instance``
    and skips the whole instance, events included. The trace that was meant to survive the
    reboot is not recorded.

Example:
    ``reserve_mem=8M:4096:trace trace_instance=boot@trce``: the typo finds no region, the kernel
    prints ``Failed to map boot instance boot to trce`` and ``instances/boot`` does not exist.

How to fix:
    Name an existing ``reserve_mem=`` region (case-sensitive), make sure the region is reserved
    (MM701), then reboot and verify again.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import verdict

CODE = "MM704"
NAME = "trace-instance-missing"
SEVERITY = "error"
NEEDS_E820 = True


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None:
        return
    params = {p.start: p for p in ctx.cmdline.named("trace_instance")}
    for item in found["trace"]:
        target = f"@{item['target']}" if item["target"] else ""
        if item["state"] == "missing":
            region = item.get("failed_region")
            why = (
                f"the kernel printed 'Failed to map boot instance {item['name']} to {region}'"
                if region
                else "it is not in tracefs instances/"
            )
        elif item["state"] == "unmapped":
            why = "the instance exists but the kernel did not map it to its boot memory"
        else:
            continue
        yield Hit(
            f"trace instance {item['name']}{target} is missing after the boot: {why}; "
            "nothing of this boot is traced there.",
            params.get(item["offset"]),
        )
