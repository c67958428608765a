"""Two consumers on the same memory: they overwrite each other.

What it finds:
    * one region name used by more than one consumer: ``ramoops.mem_name=X`` and
      ``trace_instance=...@X``, or two trace instances ``@X``;
    * explicit ranges that overlap: ``ramoops.mem_address``/``mem_size`` (when ramoops uses
      them) and ``trace_instance=NAME@ADDR:SIZE``, or two ``@ADDR:SIZE`` instances.

    Ownership: overlaps between *reservations* (two regions, a region and ``memmap=$``) are
    MM302; this rule is about consumers sharing one piece of memory.

Why it matters:
    Nothing arbitrates: ``ramoops_probe()`` lays its zones from the region start, and
    ``enable_instances()`` (kernel/trace/trace.c) maps the same pages again for a persistent ring
    buffer (``trace_array_create_systems(name, NULL, addr, size)``). Each writes its own headers and
    data over the other's; after a reboot both find garbage and discard it, so neither crash log nor
    boot trace survives (fs/pstore/ram.c ramoops_probe(); kernel/trace/trace.c enable_instances()).

Example:
    ``reserve_mem=12M:4096:oops ramoops.mem_name=oops trace_instance=boot_map@oops``.

How to fix:
    Give each consumer its own region: ``reserve_mem=12M:4096:oops reserve_mem=64M:4096:trace
    ramoops.mem_name=oops trace_instance=boot_map@trace``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.consumers import (
    TRACE_AT_SINCE,
    all_instances,
    consumers_of,
    mapped_range,
    ramoops_kind,
    ramoops_last,
    ramoops_value,
    region_size,
)
from memmap_lint.rule import Hit, HostContext

CODE = "MM406"
NAME = "shared-region"
SEVERITY = "error"
NEEDS_E820 = False


def _ranges(ctx: HostContext) -> list[tuple[str, Param, int, int, int]]:
    """Explicit ranges consumers use: (who, param, offset, start, end)."""
    out: list[tuple[str, Param, int, int, int]] = []
    name = ramoops_last(ctx.cmdline, "mem_name")
    size = ramoops_value(ctx.cmdline, "mem_size")
    named = (
        name is not None
        and bool(name.value)
        and ctx.kernel.has_mem_name
        and region_size(
            ctx.cmdline, ctx.kernel, ctx.sim, name.value or "", ramoops_kind(ctx.kernel)
        )
        is not None
    )
    p = ramoops_last(ctx.cmdline, "mem_address") or ramoops_last(ctx.cmdline, "mem_size")
    if size and not named and p is not None:
        start = ramoops_value(ctx.cmdline, "mem_address")
        out.append(("ramoops", p, p.start, start, start + size))
    for inst in (
        all_instances(ctx.cmdline) if ctx.kernel.at_least(TRACE_AT_SINCE) is not False else []
    ):
        mapped = mapped_range(inst)
        if mapped is None:
            continue
        assert inst.target_offset is not None
        who = f"trace_instance {inst.name}"
        out.append((who, inst.param, inst.target_offset, *mapped))
    return out


def _supported(ctx: HostContext, who: str) -> bool:
    """Whether the next kernel's consumer understands the name (MM407 reports the others)."""
    if who == "ramoops":
        return ctx.kernel.has_mem_name
    return ctx.kernel.at_least(TRACE_AT_SINCE) is not False


def check(ctx: HostContext) -> Iterator[Hit]:
    for region, found in consumers_of(ctx.cmdline).items():
        users = [u for u in found if _supported(ctx, u[0])]
        if len(users) < 2:
            continue
        first = users[0][0]
        for who, param, offset in users[1:]:
            yield Hit(
                f"{who} and {first} both use the region '{region}': each writes its own data "
                "over the other's, so neither survives a reboot. Give each consumer its own "
                "reserve_mem= region.",
                param=param,
                offset=offset,
            )
    ranges = _ranges(ctx)
    for i, (who_a, _pa, _oa, sa, ea) in enumerate(ranges):
        for who_b, pb, ob, sb, eb in ranges[i + 1 :]:
            lo, hi = max(sa, sb), min(ea, eb)
            if lo < hi:
                yield Hit(
                    f"{who_b} uses {sb:#x}-{eb - 1:#x}, which overlaps {who_a} "
                    f"({sa:#x}-{ea - 1:#x}) in {lo:#x}-{hi - 1:#x}: both write there and "
                    "destroy each other's data.",
                    param=pb,
                    offset=ob,
                )
