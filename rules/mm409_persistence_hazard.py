"""A consumer's reserve_mem region will not be at the same address on the next boot.

What it finds:
    For each ``reserve_mem=`` region that a consumer uses (``ramoops.mem_name``,
    ``trace_instance=...@REGION``):

    * the kernel changes in this rollout: the host fact ``current_kernel`` (the release running
      now) differs from the release that boots next (warning);
    * physical KASLR stays on: no ``nokaslr``, and no ``mem=``/``memmap=``/``hugepages=`` that
      would make the EFI stub turn it off (info).

    Host facts read: ``facts["current_kernel"]`` (optional; without it the first check is
    skipped). Address differences seen between captures or hosts of one hardware profile are
    MM306. Regions at fixed addresses (``memmap=nn$ss``, ``@ADDR:SIZE``) and the RFC wildcard
    (placed from the e820 map only) are not affected by either cause.

Why it matters:
    ``reserve_mem`` allocates top-down from memblock after all of ``setup_arch()``'s own allocations
    (page tables, ACPI, NUMA, crashkernel, CMA...), which depend on the kernel (image size, config),
    so another kernel usually gets another address (mm/memblock.c memblock_phys_alloc_range()). The
    kernel's own documentation (kernel-parameters.txt, ``reserve_mem``): "it is not guaranteed to be
    the same location. For example, if anything about the system changes or if booting a different
    kernel. It can also fail if KASLR places the kernel at the location of where the RAM reservation
    was from a previous boot". Then ramoops finds no old records (the crash of the old kernel is
    lost) and a persistent trace buffer starts empty. Physical KASLR is disabled by the EFI stub
    when ``mem=``/``memmap=``/``hugepages=`` is present (drivers/firmware/efi/libstub/x86-stub.c
    ``parse_options()``); ``reserve_mem=`` does not disable it. Kexec HandOver (≈6.16, unverified)
    can carry regions across a kexec; that is not modelled.

Example:
    ``reserve_mem=12M:4096:oops ramoops.mem_name=oops`` while the host moves from
    6.12.10-amd64 to 6.12.30-amd64.

How to fix:
    Read and save ``/sys/fs/pstore`` (or the trace buffer) before rebooting into the new
    kernel; add ``nokaslr`` if the region must survive every reboot; for a fixed address use
    ``memmap=SIZE$ADDR`` with ``ramoops.mem_address``/``mem_size`` (or ``@ADDR:SIZE``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import TRACE_AT_SINCE, consumers_of, ramoops_kind
from memmap_lint.kernel.kaslr import efi_stub_override
from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import mentions
from memmap_lint.rule import Hit, HostContext

CODE = "MM409"
NAME = "persistence-hazard"
SEVERITY = "warning"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    if not ctx.kernel.has_reserve_mem:
        return
    requested = {
        r.name for r in mentions(ctx.cmdline) if r.kind == RESERVE_MEM and r.where == "params"
    }
    used: list[tuple[str, str]] = []
    for region, users in consumers_of(ctx.cmdline).items():
        if region not in requested:
            continue
        if ctx.sim is not None and ctx.sim.region(region, RESERVE_MEM) is None:
            continue  # not placed: MM301 and friends report why
        for who, _param, _offset in users:
            if who == "ramoops" and ramoops_kind(ctx.kernel) != RESERVE_MEM:
                continue
            if who != "ramoops" and ctx.kernel.at_least(TRACE_AT_SINCE) is False:
                continue
            used.append((region, who))
            break
    if not used:
        return
    by_name = {r.name: r for r in reversed(mentions(ctx.cmdline)) if r.kind == RESERVE_MEM}
    current = ctx.facts.get("current_kernel")
    nxt = ctx.kernel.release
    kaslr = not ctx.cmdline.named("nokaslr") and efi_stub_override(ctx.cmdline, ctx.kernel) is None
    for region, who in used:
        req = by_name[region]
        if isinstance(current, str) and current and nxt and current != nxt:
            yield Hit(
                f"{req.text} ({who}): the host runs {current} and boots {nxt} next; reserve_mem "
                "places the region after the kernel's own early allocations, so the new kernel "
                "will most likely put it elsewhere and what the old one left there (its crash "
                "log or boot trace) is not found. Save what you need from it before the reboot.",
                param=req.param,
                offset=req.offset,
            )
        if kaslr:
            yield Hit(
                f"{req.text} ({who}): physical KASLR is on (no nokaslr; reserve_mem= does not "
                "turn it off): on a boot where the kernel image lands where the region was, "
                "the region moves and its contents are lost (kernel-parameters.txt, "
                "reserve_mem). Add nokaslr if it must survive every reboot.",
                param=req.param,
                offset=req.offset,
                severity="info",
            )
