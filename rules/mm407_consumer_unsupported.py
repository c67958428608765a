"""The next kernel's ramoops or tracing predates the syntax the command line uses.

What it finds:
    * ``ramoops.mem_name=`` on a kernel older than 6.11 without the RFC patch: the parameter
      does not exist there;
    * ``ramoops.mem_name=`` on a kernel with the RFC patch, unless the inventory declares
      ramoops built in (``kernel_features: [ramoops-builtin]``): the RFC's patch 2/2 only looks
      the name up when ramoops is built in (warning);
    * ``trace_instance=`` on a kernel older than 6.3 (no such parameter);
    * ``trace_instance=NAME@...`` or ``NAME^flag`` on 6.3 to 6.11: the ``@``/``^`` syntax came
      with 6.12.

    Nothing is reported when the next kernel's release is unknown and the answer depends on it.
    ``reserve_mem=`` itself on an old kernel is MM106, the wildcard MM105.

Why it matters:
    ``mem_name`` came with "pstore/ramoops: Add ramoops.mem_name= command line option" (commit
    d9d814eebb1a, 6.11). Before it, a built-in ramoops ignores the unknown ``ramoops.mem_name``
    silently and a module prints ``ramoops: unknown parameter 'mem_name' ignored``; ramoops then has
    ``mem_size`` 0 and does not start (fs/pstore/ram.c ramoops_probe()). The RFC's patch 2/2
    ("[POC][RFC][PATCH 2/2] pstore/ramoops: Add ramoops.mem_name= command line option", Steven
    Rostedt, April 2024) wraps the lookup in ``#ifndef MODULE`` because the RFC's name table is
    ``__initdata``: as a module (Debian builds ``CONFIG_PSTORE_RAM=m``) the name is accepted and
    ignored. ``trace_instance=`` came with "tracing: Add creation of instances at boot command line"
    (commit cb1f98c5e574, February 2023: 6.3, inferred from the date); before it the parameter goes
    to init's environment. The ``@addr:size``/``@region`` forms and ``^`` flags are 6.12
    (kernel/trace/trace.c enable_instances()); earlier ``enable_instances()`` does not split the
    token, so the ``@``/``^`` part is not understood (taken into the instance name, from the code
    history; not confirmed by a run) and no memory is mapped.

Example:
    ``reserve_mem=12M:4096:oops ramoops.mem_name=oops`` on Debian's 6.1 kernel.

How to fix:
    Boot 6.11+ for ``ramoops.mem_name`` (6.12+ for ``trace_instance=...@region``), or on an
    older kernel give ramoops a fixed, reserved range: ``memmap=1M$0x...`` with
    ``ramoops.mem_address=0x...`` ``ramoops.mem_size=0x100000``. With the RFC patch, build
    ramoops in (``CONFIG_PSTORE_RAM=y``) and declare it.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import (
    RAMOOPS_BUILTIN_FEATURE,
    TRACE_AT_SINCE,
    TRACE_INSTANCE_SINCE,
    instances,
    ramoops_last,
)
from memmap_lint.kernel.model import RFC
from memmap_lint.rule import Hit, HostContext

CODE = "MM407"
NAME = "consumer-unsupported"
SEVERITY = "error"
NEEDS_E820 = False


def _kernel(ctx: HostContext) -> str:
    return ctx.kernel.release or f"the next kernel ({ctx.kernel.dialect}, release unknown)"


def _mem_name(ctx: HostContext) -> Iterator[Hit]:
    p = ramoops_last(ctx.cmdline, "mem_name")
    if p is None:
        return
    offset = p.start
    if ctx.kernel.dialect == RFC:
        if RAMOOPS_BUILTIN_FEATURE in ctx.kernel.features:
            return
        yield Hit(
            f"{p.raw}: with the RFC patch, ramoops looks the name up only when it is built in "
            "(patch 2/2 wraps memmap_named() in #ifndef MODULE: the name table is __initdata). "
            "As a module (Debian: CONFIG_PSTORE_RAM=m) the name is accepted and ignored, and "
            "ramoops does not start. If this kernel has CONFIG_PSTORE_RAM=y, declare "
            f"kernel_features: [{RAMOOPS_BUILTIN_FEATURE}].",
            param=p,
            offset=offset,
            severity="warning",
        )
        return
    if ctx.kernel.has_mem_name:
        return
    yield Hit(
        f"{p.raw}: {_kernel(ctx)} has no ramoops.mem_name (added in 6.11): built in it is "
        "ignored silently, as a module it prints \"ramoops: unknown parameter 'mem_name' "
        'ignored"; ramoops then has no memory and does not start. Boot 6.11+ with '
        "reserve_mem=, or reserve a fixed range (memmap=SIZE$ADDR) and give ramoops "
        "mem_address/mem_size.",
        param=p,
        offset=offset,
    )


def _trace(ctx: HostContext) -> Iterator[Hit]:
    params = ctx.cmdline.named("trace_instance")
    if not params:
        return
    if ctx.kernel.at_least(TRACE_INSTANCE_SINCE) is False:
        for p in params:
            yield Hit(
                f"{p.raw}: {_kernel(ctx)} has no trace_instance= (it came with 6.3): the "
                "parameter goes to init's environment and no instance is created.",
                param=p,
            )
        return
    if ctx.kernel.at_least(TRACE_AT_SINCE) is not False:
        return
    for p in params:
        for inst in instances(p):
            at = inst.first_mark
            if at is None:
                continue
            marks = [m for m in ("@", "^") if m in inst.token]
            yield Hit(
                f"trace_instance={inst.token}: the {' and '.join(repr(m) for m in marks)} "
                f"syntax needs 6.12; {_kernel(ctx)} does not split it off (it becomes part of "
                "the instance name, from the code history; not confirmed by a run), so no "
                "region is mapped and nothing persists.",
                param=p,
                offset=at,
            )


def check(ctx: HostContext) -> Iterator[Hit]:
    yield from _mem_name(ctx)
    yield from _trace(ctx)
