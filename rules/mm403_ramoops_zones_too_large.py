"""ramoops's zones do not fit in its region, so ramoops_probe() fails.

What it finds:
    The region ramoops gets (the ``ramoops.mem_name`` region when the lookup succeeds, else
    ``ramoops.mem_size``) is too small for ``record_size`` + ``console_size`` +
    ``ftrace_size`` + ``pmsg_size`` as ``ramoops_probe()`` lays them out, or all four sizes are
    0. Sizes the kernel rejects (MM410) count with their defaults (4096 each), as the kernel
    does.

Why it matters:
    ``ramoops_probe()`` (fs/pstore/ram.c ramoops_probe()) rounds each zone size **down** to a
    power of two (not ``mem_size``), gives dmesg ``mem_size - console - ftrace - pmsg`` (a
    ``size_t`` that wraps when the other zones are larger than the region), splits it into
    ``area / record_size`` records (an ``unsigned int``; 0 gives
    ``dmesg record count == 0``), then packs console, pmsg and ftrace behind it (6.2+; before
    6.2 ftrace comes before pmsg) and fails with ``no room for <zone> mem region`` at the first
    zone past the end. Any failure unwinds the whole probe: no pstore at all, only an error in
    the log. ftrace is further split per CPU (``ftrace record size == 0`` when
    ``ftrace_size`` is below the CPU count); the CPU count is not known here.

Example:
    ``reserve_mem=16K:4096:oops ramoops.mem_name=oops ramoops.console_size=0x4000``: console
    alone takes the 16 KiB, ftrace and pmsg (4 KiB each by default) do not fit.

How to fix:
    Make the region larger than console + ftrace + pmsg + at least one record, or shrink the
    zones (``ramoops.ftrace_size=0`` and ``ramoops.pmsg_size=0`` turn those off). Sizes are
    plain numbers (``0x4000``), no suffixes.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import (
    PMSG_BEFORE_FTRACE_SINCE,
    ZONES,
    layout,
    ramoops_kind,
    ramoops_last,
    ramoops_params,
    ramoops_value,
    region_size,
)
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM403"
NAME = "ramoops-zones-too-large"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    if not ramoops_params(ctx.cmdline):
        return
    mem_size = ramoops_value(ctx.cmdline, "mem_size")
    source = ramoops_last(ctx.cmdline, "mem_size")
    what = f"ramoops.mem_size={human(mem_size)}"
    name_param = ramoops_last(ctx.cmdline, "mem_name")
    if name_param is not None and name_param.value and ctx.kernel.has_mem_name:
        found = region_size(
            ctx.cmdline, ctx.kernel, ctx.sim, name_param.value, ramoops_kind(ctx.kernel)
        )
        if found is not None:
            mem_size, source = found, name_param
            what = f"the region '{name_param.value}' ({human(found)})"
    if mem_size == 0:
        return  # ramoops_register_dummy() returns silently (MM401 when a name dangles)
    sizes = {k: ramoops_value(ctx.cmdline, k) for k in ZONES}
    after = ctx.kernel.at_least(PMSG_BEFORE_FTRACE_SINCE)
    result = layout(mem_size, sizes, after is not False)
    if result.error is None:
        return
    zones = ", ".join(
        f"{k.removesuffix('_size').replace('record', 'dmesg record')} {human(v)}"
        + (f" (rounded down from {sizes[k]})" if v != sizes[k] else "")
        for k, v in result.sizes.items()
    )
    order = " -> ".join(result.order)
    version = "" if after is not None else " (kernel release unknown: 6.2+ order assumed)"
    need = sum(result.sizes[k] for k in ZONES if k != "record_size") + result.sizes["record_size"]
    fix = f"the zones need at least {human(need)}" if need > mem_size else "check the zone sizes"
    yield Hit(
        f"ramoops_probe() fails on {what}: '{result.error}'. Zones: {zones}; laid out "
        f"{order}{version}. ramoops does not register, no pstore: {fix}.",
        param=source,
    )
