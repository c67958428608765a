"""trace_instance= values that enable_instances() rejects or reads differently than written.

What it finds:
    In ``trace_instance=name^flag^flag@target,event,...`` (6.12+; older kernels are MM407):

    * a flag other than ``traceoff``, ``printk``, ``traceprintk``, ``trace_printk``;
    * an empty instance name, or an empty ``@`` target;
    * ``@ADDR:SIZE`` with address 0, without ``:SIZE``, with size 0, or with text after the
      size; an address or size that is not page aligned;
    * ``@REGION`` naming a ``reserve_mem=`` region whose size is not a multiple of 4 KiB.

    A region name that is never reserved is MM405.

Why it matters:
    ``enable_instances()`` (kernel/trace/trace.c, K6.12; kernel/trace/trace.c enable_instances())
    finds ``^`` and ``@`` with ``strchr`` in the first ``,`` token and cuts there, so
    ``boot_map@trace^traceoff`` and ``boot_map^traceoff@trace`` mean the same. An unknown flag
    prints ``Tracing: Invalid instance flag '%s' for %s`` and is dropped (the instance is still
    created). ``@`` followed by a digit is ``memparse(addr)`` then ``:`` then ``memparse(size)``:
    address 0 prints ``Invalid boot instance address``, no ``:`` prints ``No size specified for
    instance``, size 0 prints ``Invalid boot instance size``, and the instance (with its events) is
    skipped; text after the size is ignored. An empty target is looked up as a region named ``""``
    and fails (``Failed to map boot instance``). A later check (commit c44a14f216f4, April 2025;
    release not verified) also skips a mapping whose start or size is not page aligned (``Tracing:
    mapping start addr ... is not page aligned``). What the kernel does with an empty instance name
    is not confirmed.

Example:
    ``trace_instance=boot_map^notrace@0x284500000`` (unknown flag, no size).

How to fix:
    Use ``trace_instance=NAME[^traceoff][@REGION][,events]`` with a ``reserve_mem=`` region,
    or ``@ADDR:SIZE`` with page-aligned, non-zero values inside a ``memmap=SIZE$ADDR``
    reservation.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import (
    TRACE_AT_SINCE,
    TRACE_FLAGS,
    Instance,
    all_instances,
    read_mapping,
)
from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import mentions
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM408"
NAME = "trace-instance-syntax"
SEVERITY = "error"
NEEDS_E820 = False

PAGE_SIZE = 4096


def _address_form(inst: Instance) -> Iterator[Hit]:
    t = inst.target or ""
    off = inst.target_offset or inst.offset
    name = inst.name
    mapping = read_mapping(t)
    start = mapping.start
    if start.value == 0:
        yield Hit(
            f"trace_instance {name}@{t}: the address reads as 0: the kernel prints 'Tracing: "
            f"Invalid boot instance address for {name}' and skips the instance.",
            param=inst.param,
            offset=off,
        )
        return
    if mapping.size is None:
        yield Hit(
            f"trace_instance {name}@{t}: no ':SIZE' after the address: the kernel prints "
            f"'Tracing: No size specified for instance {name}' and skips the instance. "
            f"Write @{t[: start.end]}:SIZE.",
            param=inst.param,
            offset=off + start.end,
        )
        return
    size = mapping.size
    if size.value == 0:
        yield Hit(
            f"trace_instance {name}@{t}: the size reads as 0: the kernel prints 'Tracing: "
            f"Invalid boot instance size for {name}' and skips the instance.",
            param=inst.param,
            offset=off + start.end + 1,
        )
        return
    if size.end < len(t):
        yield Hit(
            f"trace_instance {name}@{t}: '{t[size.end :]}' after the size is ignored; the "
            f"kernel maps {human(size.value)} at {start.value:#x}.",
            param=inst.param,
            offset=off + size.end,
            severity="warning",
        )
    if start.value % PAGE_SIZE or size.value % PAGE_SIZE:
        yield Hit(
            f"trace_instance {name}@{t}: address {start.value:#x} / size {size.value:#x} is "
            "not page aligned; kernels with the page-alignment check (2025, release not "
            "verified) skip the instance.",
            param=inst.param,
            offset=off,
            severity="warning",
        )


def check(ctx: HostContext) -> Iterator[Hit]:
    if ctx.kernel.at_least(TRACE_AT_SINCE) is False:
        return
    sizes = {
        r.name: r.size
        for r in reversed(mentions(ctx.cmdline))
        if r.kind == RESERVE_MEM and r.where == "params" and not r.loose
    }
    for inst in all_instances(ctx.cmdline):
        if inst.name == "":
            yield Hit(
                f"trace_instance={inst.token}: the instance name is empty (what the kernel "
                "does with it is not confirmed).",
                param=inst.param,
                offset=inst.offset,
            )
        for flag, at in inst.flags:
            if flag not in TRACE_FLAGS:
                yield Hit(
                    f"trace_instance {inst.name}: '^{flag}' is not a flag: the kernel prints "
                    f"\"Tracing: Invalid instance flag '{flag}' for {inst.name}\" and ignores it "
                    f"(flags: {', '.join(TRACE_FLAGS)}).",
                    param=inst.param,
                    offset=at,
                    severity="warning",
                )
        t = inst.target
        if t is None:
            continue
        if t == "":
            yield Hit(
                f"trace_instance={inst.token}: nothing after '@': the kernel looks up a region "
                f"named \"\", prints 'Failed to map boot instance {inst.name} to ' and skips "
                "the instance.",
                param=inst.param,
                offset=inst.target_offset,
            )
        elif not inst.names_region:
            yield from _address_form(inst)
        elif t in sizes and sizes[t] % PAGE_SIZE:
            yield Hit(
                f"trace_instance {inst.name}@{t}: the region is {sizes[t]} bytes, not a "
                "multiple of 4 KiB; kernels with the page-alignment check (2025, release not "
                "verified) refuse to map it.",
                param=inst.param,
                offset=inst.target_offset,
                severity="warning",
            )
