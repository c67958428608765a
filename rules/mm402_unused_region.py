"""A named region that no consumer on the command line references.

What it finds:
    A ``reserve_mem=size:align:NAME`` (or, on a kernel with the RFC patch,
    ``memmap=nn*align:NAME``) that the kernel accepts and names, while neither
    ``ramoops.mem_name=NAME`` nor any ``trace_instance=...@NAME`` asks for it.

    Ownership: regions the kernel refuses or leaves unnamed are reported by MM1xx/MM2xx; a
    duplicate name by MM203; a consumer whose kernel cannot use the name by MM407. A consumer
    written with another spelling is MM401/MM405 (this rule still reports the region, since its
    memory is then reserved for nothing; the message points at the near match).

Why it matters:
    ``reserve_mem()`` (mm/memblock.c) takes the memory out of the page allocator for the whole
    uptime; the RFC's wildcard turns it into an e820 reserved range. Only a consumer that looks
    the name up (``reserve_mem_find_by_name()`` / ``memmap_named()``) ever uses it. The in-tree
    consumers on x86 are ramoops (``ramoops.mem_name``, 6.11+) and tracing
    (``trace_instance=NAME@REGION``, 6.12+); an out-of-tree module may look it up too (the
    mainline table is exported, the RFC table is ``__initdata`` and gone after boot).

Example:
    ``reserve_mem=64M:4096:trace`` with no ``trace_instance=...@trace``: 64 MiB held for nothing.

How to fix:
    Add the consumer (``ramoops.mem_name=NAME`` or ``trace_instance=boot_map@NAME``), or drop
    the reservation. Keep it only if a module of yours looks the name up.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import consumers_of
from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import kind_supported, mentions
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._consumers_common import close_names

CODE = "MM402"
NAME = "unused-region"
SEVERITY = "warning"
NEEDS_E820 = False

_MAX_NAMES = 8


def check(ctx: HostContext) -> Iterator[Hit]:
    used = consumers_of(ctx.cmdline)
    seen: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    for req in mentions(ctx.cmdline):
        if req.where != "params" or not req.valid or not kind_supported(ctx.kernel, req.kind):
            continue
        if not req.size:
            continue
        key = (req.kind, req.name)
        if key in seen:
            continue  # a duplicate: MM203
        seen.add(key)
        counts[req.kind] = counts.get(req.kind, 0) + 1
        if counts[req.kind] > _MAX_NAMES:
            continue  # table full: MM204
        if req.name in used:
            continue
        if ctx.sim is not None and ctx.sim.region(req.name, req.kind) is None:
            continue  # nothing is held: MM301 (or MM1xx/MM2xx) reports why
        similar = close_names(req.name, used)
        hint = ""
        if similar:
            hint = f" A consumer asks for '{similar[0]}': names are compared exactly (strcmp)."
        how = "reserve_mem" if req.kind == RESERVE_MEM else "the memmap wildcard"
        yield Hit(
            f"{req.text}: {how} reserves {human(req.size)} named '{req.name}', but no "
            f"ramoops.mem_name= or trace_instance=...@{req.name} uses it: the memory is held "
            f"for the whole uptime for nothing (unless a module of yours looks the name up).{hint}",
            param=req.param,
            offset=req.offset,
            text=req.text if req.kind != RESERVE_MEM else None,
        )
